"""Property tests of the CVS mappings and validators.

Canonical -> wire -> canonical must be the identity on every value the wire
carries, names in any script included, and every generated request and
response must validate against the adapter's openapi.yaml.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.codes import (
    APPOINTMENT_STATUSES,
    FILL_STATUSES,
    NDC_SYSTEM,
    PATIENT_ID_SYSTEM,
    STORE_SYSTEM,
    VACCINES,
)
from carecert.adapters.cvs.mapping import (
    appointment_from_wire,
    appointment_to_wire,
    booking_request_to_wire,
    patient_from_wire,
    patient_to_wire,
    status_from_wire,
    status_to_wire,
)
from carecert.adapters.cvs.patients import (
    MAX_NAME_LENGTH,
    demographic_key,
    patient_from_info,
)
from carecert.adapters.cvs.synthetic import synthetic_npi
from carecert.adapters.cvs.validation import (
    find_vaccine,
    ndc_11,
    parse_birth_date,
    vaccine_for_cvx,
    validate_rx_number,
    validate_store_number,
)
from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.identifiers import NPI_SYSTEM, is_valid_npi
from carecert.adapters.models import (
    AdministrativeGender,
    Appointment,
    AppointmentStatus,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
    Quantity,
)
from carecert.adapters.models.pharmacy import FillStatus, PrescriptionStatus
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
)

from ..support.openapi import json_wire, openapi_validator

API = "https://api.cvs.com"
JSON_TYPE = "application/json"
OTHER_SCRIPTS = ["王", "秀英", "Αθηνά", "Соколова", "שלום", "नमस्ते", "Nguyễn", "Zoë"]


def check_exchange(
    path: str,
    request_body: Any,
    status: int,
    response_body: Any,
    **headers: str,
) -> None:
    request_headers = {
        "Authorization": "Bearer test",
        "x-api-key": "test-key",
        "Accept": JSON_TYPE,
        "Content-Type": JSON_TYPE,
        **headers,
    }
    response_headers = {"Content-Type": JSON_TYPE}
    if status == 201:
        response_headers["Location"] = "/v2/immunizations/appointments/1"
    openapi_validator(CVSInterface.info).validate_exchange(
        None,
        None,
        ExchangeRequest("POST", API + path, request_headers, json_wire(request_body)),
        ExchangeResponse(status, response_headers, json_wire(response_body)),
    )


# Strategies

# Names in any script, without control or format characters, trimmed and at
# most MAX_NAME_LENGTH long, as patient_from_info accepts them.
name_text = st.one_of(
    st.sampled_from(OTHER_SCRIPTS),
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Z")),
        min_size=1,
        max_size=MAX_NAME_LENGTH,
    ),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
patient_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True)
stores = st.integers(1, 99_999).map(str)
rx_numbers = st.from_regex(r"[0-9]{6,9}", fullmatch=True)
npis = st.integers(100_000_000, 299_999_999).map(lambda n: synthetic_npi(str(n)))
offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
)
instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    offsets,
)


@st.composite
def patients(draw: st.DrawFn, *, with_id: bool | None = None) -> Patient:
    first, last = draw(name_text), draw(name_text)
    middle = draw(st.one_of(st.none(), name_text))
    born = draw(births)
    has_id = draw(st.booleans()) if with_id is None else with_id
    identity = (
        Identifier(system=PATIENT_ID_SYSTEM, value=draw(patient_ids))
        if has_id
        else demographic_key(first, last, born)
    )
    telecom = []
    if draw(st.booleans()):
        telecom.append(ContactPoint(system="email", value="person@example.com"))
    if draw(st.booleans()):
        telecom.append(ContactPoint(system="phone", value="+1 555 010 0199"))
    return Patient(
        identifiers=(identity,),
        names=(
            HumanName(
                use="official",
                family=last,
                given=(first,) if middle is None else (first, middle),
            ),
        ),
        gender=draw(st.one_of(st.none(), st.sampled_from(AdministrativeGender))),
        birth_date=born,
        telecom=tuple(telecom),
    )


@st.composite
def appointments(draw: st.DrawFn) -> tuple[Appointment, Patient]:
    patient = draw(patients())
    start = end = None
    if draw(st.booleans()):
        start = draw(instants)
        end = start + timedelta(minutes=15)
    appointment = Appointment(
        id=draw(st.one_of(st.none(), st.from_regex(r"VAX-[0-9]{6}", fullmatch=True))),
        patient=patient.identifiers[0],
        location=Identifier(system=STORE_SYSTEM, value=draw(stores)),
        appointment_type=draw(st.sampled_from(sorted(VACCINES))),
        status=draw(st.sampled_from(sorted(APPOINTMENT_STATUSES.values()))),
        start=start,
        end=end,
        description=draw(st.one_of(st.none(), name_text)),
        created=draw(st.one_of(st.none(), instants)),
    )
    return appointment, patient


@st.composite
def statuses(draw: st.DrawFn) -> PrescriptionStatus:
    labeler, product, package = (
        draw(st.integers(0, 99_999)),
        draw(st.integers(0, 9_999)),
        draw(st.integers(0, 99)),
    )
    optional = st.booleans()
    return PrescriptionStatus(
        rx_number=draw(rx_numbers),
        status=draw(st.sampled_from(sorted(FILL_STATUSES.values()))),
        pharmacy=Identifier(system=STORE_SYSTEM, value=draw(stores)),
        pharmacy_npi=(
            Identifier(system=NPI_SYSTEM, value=draw(npis)) if draw(optional) else None
        ),
        patient=(
            Identifier(system=PATIENT_ID_SYSTEM, value=draw(patient_ids))
            if draw(optional)
            else None
        ),
        medication=(
            Coding(system=NDC_SYSTEM, code=f"{labeler:05d}-{product:04d}-{package:02d}")
            if draw(optional)
            else None
        ),
        medication_text=draw(st.one_of(st.none(), name_text)),
        quantity=(
            Quantity(
                value=draw(
                    st.decimals(min_value=0, max_value=10_000, places=2).filter(
                        lambda d: d.is_finite()
                    )
                ),
                unit=draw(st.one_of(st.none(), st.sampled_from(["tablet", "mL"]))),
            )
            if draw(optional)
            else None
        ),
        days_supply=draw(st.one_of(st.none(), st.integers(1, 365))),
        refills_remaining=draw(st.integers(0, 11)),
        last_fill_date=draw(st.one_of(st.none(), births)),
        next_fill_date=draw(st.one_of(st.none(), births)),
        expiration_date=draw(st.one_of(st.none(), births)),
        prescriber=(
            Identifier(system=NPI_SYSTEM, value=draw(npis)) if draw(optional) else None
        ),
    )


# Round trips


@given(patients())
def test_patient_round_trip(patient: Patient) -> None:
    assert patient_from_wire(json.loads(json_wire(patient_to_wire(patient)))) == patient


@given(appointments())
def test_appointment_round_trip(drawn: tuple[Appointment, Patient]) -> None:
    appointment, patient = drawn
    payload = json.loads(json_wire(appointment_to_wire(appointment, patient)))
    assert appointment_from_wire(payload) == appointment
    assert patient_from_wire(payload["patient"]) == patient


@given(statuses())
def test_status_round_trip(status: PrescriptionStatus) -> None:
    assert status_from_wire(json.loads(json_wire(status_to_wire(status)))) == status


@given(name_text, name_text, st.one_of(st.none(), name_text), births)
def test_patient_info_keeps_names(
    first: str, last: str, middle: str | None, born: date
) -> None:
    info: dict[str, Any] = {
        "first_name": f" {first} ",
        "last_name": last,
        "dob": born.isoformat(),
    }
    if middle is not None:
        info["middle_name"] = middle
    patient = patient_from_info(info)

    name = patient.names[0]
    assert name.family == last
    assert name.given == ((first,) if middle is None else (first, middle))
    assert patient.birth_date == born
    assert patient.identifiers == (demographic_key(first, last, born),)
    assert patient_from_wire(patient_to_wire(patient)) == patient


# Generated traffic validates against openapi.yaml


@given(appointments(), st.booleans())
@settings(max_examples=50)
def test_booking_exchange_validates(
    drawn: tuple[Appointment, Patient], timed: bool
) -> None:
    appointment, patient = drawn
    start = datetime(2030, 1, 7, 14, 0, tzinfo=UTC) if timed else None
    end = start + timedelta(minutes=15) if start else None
    request = booking_request_to_wire(
        patient,
        appointment.appointment_type,
        appointment.location.value,
        start,
        end,
    )
    response = appointment_to_wire(appointment, patient)
    check_exchange(
        "/v2/immunizations/appointments",
        request,
        201,
        response,
        **{"Idempotency-Key": "key-1"},
    )


@given(statuses(), births)
@settings(max_examples=50)
def test_lookup_exchange_validates(status: PrescriptionStatus, born: date) -> None:
    request = {
        "rxNumber": status.rx_number,
        "dateOfBirth": born.isoformat(),
        "storeNumber": status.pharmacy.value,
    }
    check_exchange("/v2/prescriptions/lookup", request, 200, status_to_wire(status))


def test_error_exchange_validates() -> None:
    request = {"rxNumber": "1234567", "dateOfBirth": "1950-01-01", "storeNumber": "1"}
    error = {"error": {"code": "RX_NOT_FOUND", "message": "No match."}}
    check_exchange("/v2/prescriptions/lookup", request, 404, error)


def test_spec_rejects_dob_missing() -> None:
    request = {"rxNumber": "1234567", "storeNumber": "3456"}
    with pytest.raises(AssertionError, match="dateOfBirth"):
        check_exchange(
            "/v2/prescriptions/lookup", request, 404, {"error": {"code": "X"}}
        )


# Mapping failures


def test_status_without_wire_code_is_rejected() -> None:
    appointment = Appointment(
        patient=Identifier(system=PATIENT_ID_SYSTEM, value="p-1"),
        location=Identifier(system=STORE_SYSTEM, value="3456"),
        appointment_type="MMR",
        status=AppointmentStatus.WAITLIST,
    )
    patient = patient_from_info(
        {"first_name": "A", "last_name": "B", "dob": "2000-01-01", "patient_id": "p-1"}
    )
    with pytest.raises(ValueError, match="waitlist"):
        appointment_to_wire(appointment, patient)


def test_cvx_mismatch_is_rejected() -> None:
    payload = {
        "status": "SCHEDULED",
        "storeNumber": "3456",
        "vaccine": {"type": "COVID-19", "cvxCode": "88"},
        "patient": {"firstName": "A", "lastName": "B", "dateOfBirth": "2000-01-01"},
    }
    with pytest.raises(MappingError, match="cvxCode"):
        appointment_from_wire(payload)


def test_patient_with_two_names_is_rejected() -> None:
    patient = Patient(
        identifiers=(Identifier(system=PATIENT_ID_SYSTEM, value="p-1"),),
        names=(HumanName(family="A", given=("B",)), HumanName(family="C")),
        birth_date=date(2000, 1, 1),
    )
    with pytest.raises(ValueError, match="2 names"):
        patient_to_wire(patient)


# Validators


@given(rx_numbers, st.sampled_from(["", "RX", "rx", "Rx#", "RX # "]))
def test_rx_number_accepts_label_forms(digits: str, prefix: str) -> None:
    assert validate_rx_number(f"{prefix}{digits}") == digits


@pytest.mark.parametrize(
    "value", ["RX12345", "RX 1234567890", "Rx-1234567", "１２３４５６７", ""]
)
def test_rx_number_rejects(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="Rx number"):
        validate_rx_number(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3456", "3456"), ("03456", "3456"), (3456, "3456"), (" 12 ", "12")],
)
def test_store_number_forms(value: Any, expected: str) -> None:
    assert validate_store_number(value) == expected


@pytest.mark.parametrize("value", ["0", "123456", "34a6", True, None, 3.5])
def test_store_number_rejects(value: Any) -> None:
    with pytest.raises(InvalidIdentifierError, match="store"):
        validate_store_number(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234-5678-90", "01234-5678-90"),
        ("12345-678-90", "12345-0678-90"),
        ("12345-6789-0", "12345-6789-00"),
        ("12345-6789-01", "12345-6789-01"),
        ("12345678901", "12345-6789-01"),
    ],
)
def test_ndc_forms(value: str, expected: str) -> None:
    assert ndc_11(value) == expected


@pytest.mark.parametrize("value", ["1234567890", "123-4567-890", "1234-567-89", "x"])
def test_ndc_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="NDC"):
        ndc_11(value)


@given(npis)
def test_synthetic_npi_detects_digit_changes(npi: str) -> None:
    assert is_valid_npi(npi)
    for position in range(10):
        for digit in "0123456789":
            if digit != npi[position]:
                changed = npi[:position] + digit + npi[position + 1 :]
                assert not is_valid_npi(changed), changed


def test_birth_date_limits() -> None:
    today = date(2026, 12, 4)
    assert parse_birth_date("2026-12-04", today=today) == today
    with pytest.raises(ValueError, match="future"):
        parse_birth_date("2026-12-05", today=today)
    with pytest.raises(ValueError, match="before 1900"):
        parse_birth_date("1899-12-31", today=today)


def test_every_declared_vaccine_is_found() -> None:
    for name, vaccine in VACCINES.items():
        assert find_vaccine(name.upper()) is vaccine
        assert vaccine_for_cvx(vaccine.cvx) is vaccine
        for product in vaccine.products:
            assert vaccine_for_cvx(product) is vaccine
    assert vaccine_for_cvx("3") is VACCINES["MMR"]
    assert vaccine_for_cvx("999") is None


def test_cvx_codes_are_unique() -> None:
    codes = [c for v in VACCINES.values() for c in (v.cvx, *v.products)]
    assert len(codes) == len(set(codes))


def test_ncpdp_types_cover_final_statuses() -> None:
    status = PrescriptionStatus(
        rx_number="1234567",
        status=FillStatus.TRANSFERRED,
        pharmacy=Identifier(system=STORE_SYSTEM, value="1"),
        refills_remaining=0,
        quantity=Quantity(value=Decimal(1)),
    )
    assert status.ncpdp_fill_status == "Transferred"
    assert (
        status.model_copy(update={"status": FillStatus.ON_HOLD}).ncpdp_fill_status
        is None
    )
