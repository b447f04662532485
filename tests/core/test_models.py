"""Canonical model: validation errors and lossless round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    Appointment,
    AppointmentStatus,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)

NHS = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"


def appointment_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "patient": Identifier(system=NHS, value="9000000009"),
        "location": Identifier(system=ODS, value="A20047"),
        "appointment_type": "routine",
        "status": "booked",
        "start": datetime(2025, 3, 30, 9, 0, tzinfo=UTC),
        "end": datetime(2025, 3, 30, 9, 15, tzinfo=UTC),
    }
    fields.update(overrides)
    return fields


def only_error(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    errors = caught.value.errors()
    assert len(errors) == 1
    return dict(errors[0])


def test_appointment_valid() -> None:
    appointment = Appointment(**appointment_fields())
    assert appointment.status is AppointmentStatus.BOOKED


def test_naive_start_rejected() -> None:
    naive = datetime(2025, 3, 30, 9, 0)
    with pytest.raises(ValidationError) as caught:
        Appointment(**appointment_fields(start=naive))
    error = only_error(caught)
    assert error["loc"] == ("start",)
    assert error["type"] == "timezone_aware"
    assert error["input"] == naive
    assert "start" in str(caught.value)
    assert "datetime.datetime(2025, 3, 30, 9, 0)" in str(caught.value)


def test_end_before_start_rejected() -> None:
    end = datetime(2025, 3, 30, 8, 45, tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        Appointment(**appointment_fields(end=end))
    message = str(caught.value)
    assert "end 2025-03-30T08:45:00+00:00" in message
    assert "must be after start 2025-03-30T09:00:00+00:00" in message


def test_end_equal_start_rejected() -> None:
    start = datetime(2025, 3, 30, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Appointment(**appointment_fields(start=start, end=start))


def test_end_after_start_other_zone() -> None:
    # 10:05 at +01:00 is 09:05 UTC, after the 09:00 UTC start.
    end = datetime(2025, 3, 30, 10, 5, tzinfo=timezone(timedelta(hours=1)))
    appointment = Appointment(**appointment_fields(end=end))
    assert appointment.end == end


def test_unknown_status_named() -> None:
    with pytest.raises(ValidationError) as caught:
        Appointment(**appointment_fields(status="confirmed"))
    error = only_error(caught)
    assert error["loc"] == ("status",)
    assert error["input"] == "confirmed"


def test_patient_without_identifiers() -> None:
    with pytest.raises(ValidationError) as caught:
        Patient(identifiers=())
    error = only_error(caught)
    assert error["loc"] == ("identifiers",)
    assert error["type"] == "too_short"
    assert "identifiers" in str(caught.value)
    assert "input_value=()" in str(caught.value)


def test_patient_identifiers_missing() -> None:
    with pytest.raises(ValidationError) as caught:
        Patient()  # type: ignore[call-arg]
    error = only_error(caught)
    assert error["loc"] == ("identifiers",)
    assert error["type"] == "missing"


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        Patient(identifiers=(Identifier(system=NHS, value="9000000009"),), nmae="x")  # type: ignore[call-arg]
    error = only_error(caught)
    assert error["loc"] == ("nmae",)
    assert error["type"] == "extra_forbidden"
    assert "input_value='x'" in str(caught.value)


def test_nested_error_path() -> None:
    with pytest.raises(ValidationError) as caught:
        Patient(identifiers=[{"system": NHS, "value": ""}])
    by_location = {error["loc"]: error for error in caught.value.errors()}
    assert ("identifiers", 0, "value") in by_location
    assert by_location[("identifiers", 0, "value")]["input"] == ""


def test_models_frozen() -> None:
    patient = Patient(identifiers=(Identifier(system=NHS, value="9000000009"),))
    with pytest.raises(ValidationError):
        patient.restricted = True  # type: ignore[misc]


def test_identifier_value_lookup() -> None:
    patient = Patient(
        identifiers=(
            Identifier(system=ODS, value="A20047"),
            Identifier(system=NHS, value="9000000009"),
        )
    )
    assert patient.identifier_value(NHS) == "9000000009"
    assert patient.identifier_value("urn:other") is None


# Letters from Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari, Thai, CJK,
# Hangul and supplementary planes, plus marks, digits, spaces and punctuation.
any_script_text = st.text(
    alphabet=st.characters(
        categories=("L", "M", "N", "Zs", "P"),
    ),
    max_size=30,
)
nonempty_text = st.text(
    alphabet=st.characters(categories=("L", "M", "N", "Zs", "P")),
    min_size=1,
    max_size=30,
)
optional_text = st.none() | any_script_text
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(2100, 12, 30),
    timezones=offsets,
)
identifiers = st.builds(Identifier, system=nonempty_text, value=nonempty_text)
names = st.builds(
    HumanName,
    use=st.none() | st.sampled_from(["usual", "official", "maiden"]),
    family=optional_text,
    given=st.tuples(any_script_text) | st.tuples(),
    prefix=st.tuples() | st.tuples(any_script_text),
)
addresses = st.builds(
    Address,
    use=st.none() | st.just("home"),
    line=st.lists(any_script_text, max_size=3).map(tuple),
    city=optional_text,
    postal_code=optional_text,
    country=optional_text,
)
telecom = st.builds(
    ContactPoint,
    system=st.sampled_from(["phone", "email", "sms"]),
    value=nonempty_text,
)
patients = st.builds(
    Patient,
    id=optional_text,
    identifiers=st.lists(identifiers, min_size=1, max_size=3).map(tuple),
    names=st.lists(names, max_size=2).map(tuple),
    gender=st.none() | st.sampled_from(AdministrativeGender),
    birth_date=st.none() | st.dates(min_value=date(1900, 1, 1)),
    deceased_at=st.none() | aware_datetimes,
    addresses=st.lists(addresses, max_size=2).map(tuple),
    telecom=st.lists(telecom, max_size=2).map(tuple),
    general_practitioner=st.none() | identifiers,
    restricted=st.booleans(),
)


@st.composite
def appointments(draw: st.DrawFn) -> Appointment:
    start = draw(aware_datetimes)
    length = draw(st.integers(min_value=1, max_value=24 * 60))
    return Appointment(
        id=draw(optional_text),
        patient=draw(identifiers),
        location=draw(identifiers),
        appointment_type=draw(nonempty_text),
        status=draw(st.sampled_from(AppointmentStatus)),
        start=start,
        end=start + timedelta(minutes=length),
        description=draw(optional_text),
        created=draw(st.none() | aware_datetimes),
    )


SCRIPT_SAMPLES = [
    "Øyvind",
    "Ἀλέξανδρος",
    "Иван",
    "محمد",
    "דוד",
    "राम",
    "สมชาย",
    "王小明",
    "김민준",
    "𠮷野",
    "Zoe\u0301",
]


@pytest.mark.parametrize("text", SCRIPT_SAMPLES)
def test_script_sample_round_trip(text: str) -> None:
    patient = Patient(
        identifiers=(Identifier(system=NHS, value=text),),
        names=(HumanName(family=text, given=(text,)),),
        addresses=(Address(line=(text,), city=text),),
    )
    assert Patient.model_validate_json(patient.model_dump_json()) == patient
    assert Patient.model_validate(patient.model_dump()) == patient


@given(patients)
def test_patient_python_round_trip(patient: Patient) -> None:
    assert Patient.model_validate(patient.model_dump()) == patient


@given(patients)
def test_patient_json_round_trip(patient: Patient) -> None:
    assert Patient.model_validate_json(patient.model_dump_json()) == patient


@given(appointments())
def test_appointment_python_round_trip(appointment: Appointment) -> None:
    assert Appointment.model_validate(appointment.model_dump()) == appointment


@given(appointments())
def test_appointment_json_round_trip(appointment: Appointment) -> None:
    dumped = appointment.model_dump(mode="json")
    restored = Appointment.model_validate(dumped)
    assert restored == appointment
    assert restored.start is not None
    assert appointment.start is not None
    assert restored.start.utcoffset() == appointment.start.utcoffset()
