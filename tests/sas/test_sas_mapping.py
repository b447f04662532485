"""Property tests of the SAS mappings.

Canonical -> FHIR -> canonical must be the identity on every value FHIR R4
carries, and what the mapping writes must validate against the adapter's
openapi.yaml (through SpecValidator) and against the fhir.resources R4B
models. FHIR strings are never empty and contain no whitespace other than
space, tab and newline, so the text strategy draws such strings in any script.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle as FhirBundle
from fhir.resources.R4B.medicationrequest import (
    MedicationRequest as FhirMedicationRequest,
)
from fhir.resources.R4B.patient import Patient as FhirPatient
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    Appointment,
    AppointmentStatus,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
    Prescription,
    Quantity,
)
from carecert.adapters.nhs.fhir import MappingError
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.codes import (
    CENTRE_CODE_SYSTEM,
    CENTRE_NAME_SYSTEM,
    DNI_SYSTEM,
    MEDICATION_SYSTEM,
    NIE_SYSTEM,
    NUHSA_SYSTEM,
    PRESCRIBER_SYSTEM,
    SPECIALTIES,
)
from carecert.adapters.sas.mapping import (
    appointment_from_fhir,
    appointment_to_fhir,
    patient_from_fhir,
    patient_to_fhir,
)
from carecert.adapters.sas.prescriptions import (
    prescription_from_fhir,
    prescription_to_fhir,
    prescriptions_from_bundle,
    search_bundle,
)
from carecert.adapters.sas.synthetic import synthetic_dni, synthetic_nie

from ..support.openapi import (
    check_fhir_exchange,
    json_wire,
)

API = "https://api.sas.junta-andalucia.es"
CITAS = "https://citapreviacas.juntadeandalucia.es"
RECETAS = "https://recetaelectronica.sas.es"
SPANISH = ["Rocío", "Peña Ruiz", "Málaga", "Ibáñez de la Fuente", "Núñez", "Córdoba"]
OTHER_SCRIPTS = ["東京都", "Αθήνα", "مرحبا", "Привет", "שלום", "नमस्ते", "🙂 ok"]


def check_response(
    method: str, url: str, status: int, payload: Any, body: Any = None, **headers: str
) -> None:
    check_fhir_exchange(
        SASInterface.info,
        method,
        url,
        status,
        payload,
        body,
        created_location=f"{CITAS}/Appointment/1",
        **headers,
    )


# Strategies

fhir_text = st.one_of(
    st.sampled_from(SPANISH + OTHER_SCRIPTS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1),
)
nuhsas = st.from_regex(r"AN[0-9]{10}", fullmatch=True)
ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-3, minutes=-30))]
)
instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)),
    offsets,
)
documents = st.one_of(
    st.integers(0, 99_999_999).map(
        lambda n: Identifier(system=DNI_SYSTEM, value=synthetic_dni(n))
    ),
    st.tuples(st.sampled_from("XYZ"), st.integers(0, 9_999_999)).map(
        lambda pair: Identifier(system=NIE_SYSTEM, value=synthetic_nie(*pair))
    ),
)

names = st.builds(
    HumanName,
    use=st.sampled_from([None, "official", "usual", "maiden"]),
    family=st.one_of(st.none(), fhir_text),
    given=st.lists(fhir_text, max_size=3).map(tuple),
    prefix=st.lists(fhir_text, max_size=1).map(tuple),
    suffix=st.lists(fhir_text, max_size=1).map(tuple),
    period_start=st.one_of(st.none(), dates),
    period_end=st.one_of(st.none(), dates),
)
addresses = st.builds(
    Address,
    use=st.sampled_from([None, "home", "work"]),
    line=st.lists(fhir_text, max_size=2).map(tuple),
    city=st.one_of(st.none(), fhir_text),
    district=st.one_of(st.none(), fhir_text),
    postal_code=st.one_of(st.none(), st.from_regex(r"[0-9]{5}", fullmatch=True)),
    country=st.sampled_from([None, "ES"]),
)
contacts = st.builds(
    ContactPoint,
    system=st.sampled_from(["phone", "email", "sms"]),
    value=fhir_text,
    use=st.sampled_from([None, "home", "mobile"]),
)


@st.composite
def patients(draw: st.DrawFn) -> Patient:
    nuhsa = draw(nuhsas)
    identifiers = [Identifier(system=NUHSA_SYSTEM, value=nuhsa)]
    identifiers += draw(st.lists(documents, max_size=1))
    return Patient(
        id=draw(st.one_of(st.none(), ids)),
        identifiers=tuple(identifiers),
        names=tuple(draw(st.lists(names, max_size=2))),
        gender=draw(st.one_of(st.none(), st.sampled_from(AdministrativeGender))),
        birth_date=draw(st.one_of(st.none(), dates)),
        deceased_at=draw(st.one_of(st.none(), instants)),
        addresses=tuple(draw(st.lists(addresses, max_size=2))),
        telecom=tuple(draw(st.lists(contacts, max_size=2))),
        general_practitioner=draw(
            st.one_of(
                st.none(),
                st.just(Identifier(system=CENTRE_CODE_SYSTEM, value="CS_MALAGA_007")),
            )
        ),
        restricted=draw(st.booleans()),
    )


@st.composite
def appointments(draw: st.DrawFn) -> Appointment:
    timed = draw(st.booleans())
    start = end = None
    if timed:
        start = draw(instants)
        end = start + draw(st.sampled_from([timedelta(minutes=10), timedelta(hours=1)]))
    location = draw(
        st.one_of(
            fhir_text.map(
                lambda name: Identifier(system=CENTRE_NAME_SYSTEM, value=name)
            ),
            st.from_regex(r"CS_[A-Z]{3,8}_[0-9]{3}", fullmatch=True).map(
                lambda code: Identifier(system=CENTRE_CODE_SYSTEM, value=code)
            ),
        )
    )
    status = AppointmentStatus.BOOKED if timed else AppointmentStatus.PROPOSED
    return Appointment(
        id=draw(st.one_of(st.none(), ids)),
        patient=Identifier(system=NUHSA_SYSTEM, value=draw(nuhsas)),
        location=location,
        appointment_type=draw(
            st.one_of(
                st.sampled_from(sorted(SPECIALTIES)),
                st.from_regex(r"[a-z]{1,12}", fullmatch=True),
            )
        ),
        status=status,
        start=start,
        end=end,
        description=draw(st.one_of(st.none(), fhir_text)),
        created=draw(st.one_of(st.none(), instants)),
    )


@st.composite
def prescriptions(draw: st.DrawFn, nuhsa: str | None = None) -> Prescription:
    coded = draw(st.booleans())
    medication = None
    if coded:
        medication = Coding(
            system=MEDICATION_SYSTEM,
            code=draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
            display=draw(st.one_of(st.none(), fhir_text)),
        )
    text = draw(fhir_text) if not coded else draw(st.one_of(st.none(), fhir_text))
    return Prescription(
        id=draw(st.one_of(st.none(), ids)),
        prescription_id=draw(st.one_of(st.none(), ids)),
        patient=Identifier(system=NUHSA_SYSTEM, value=nuhsa or draw(nuhsas)),
        medication=medication,
        medication_text=text,
        dosage=draw(st.one_of(st.none(), fhir_text)),
        quantity=Quantity(
            value=draw(
                st.decimals(
                    min_value=0,
                    max_value=100_000,
                    places=2,
                    allow_nan=False,
                    allow_infinity=False,
                )
            ),
            unit=draw(st.one_of(st.none(), fhir_text)),
        ),
        authored_on=draw(dates),
        prescriber=draw(
            st.one_of(
                st.none(),
                st.just(Identifier(system=PRESCRIBER_SYSTEM, value="414100001")),
            )
        ),
    )


# Round trips


@given(patients())
def test_patient_round_trip(patient: Patient) -> None:
    resource = patient_to_fhir(patient)
    assert patient_from_fhir(json.loads(json_wire(resource))) == patient


@given(patients())
@settings(max_examples=50)
def test_patient_validates(patient: Patient) -> None:
    resource = patient_to_fhir(patient)
    FhirPatient.model_validate(resource)
    nuhsa = patient.identifier_value(NUHSA_SYSTEM)
    check_response("GET", f"{API}/v2/Patient/{nuhsa}", 200, resource)


@given(appointments())
def test_appointment_round_trip(appointment: Appointment) -> None:
    resource = appointment_to_fhir(appointment)
    assert appointment_from_fhir(json.loads(json_wire(resource))) == appointment


@given(appointments())
@settings(max_examples=50)
def test_appointment_validates(appointment: Appointment) -> None:
    resource = appointment_to_fhir(appointment)
    FhirAppointment.model_validate(resource)
    check_response(
        "POST",
        f"{CITAS}/Appointment",
        201,
        resource,
        body=resource,
        **{"Idempotency-Key": "clave"},
    )


@given(prescriptions())
def test_prescription_round_trip(prescription: Prescription) -> None:
    resource = prescription_to_fhir(prescription)
    assert prescription_from_fhir(json.loads(json_wire(resource))) == prescription


@given(nuhsas.flatmap(lambda n: st.tuples(st.just(n), st.lists(prescriptions(n)))))
@settings(max_examples=50)
def test_prescription_bundle_validates(drawn: tuple[str, list[Prescription]]) -> None:
    nuhsa, found = drawn
    bundle = search_bundle((prescription_to_fhir(p) for p in found), RECETAS)
    FhirBundle.model_validate(bundle)
    for entry in bundle.get("entry", []):
        FhirMedicationRequest.model_validate(entry["resource"])
    query = f"patient.identifier={NUHSA_SYSTEM}|{nuhsa}"
    check_response("GET", f"{RECETAS}/MedicationRequest?{query}", 200, bundle)
    patient = Identifier(system=NUHSA_SYSTEM, value=nuhsa)
    assert prescriptions_from_bundle(json.loads(json_wire(bundle)), patient) == found


# Examples


def test_spanish_names_survive_as_utf8() -> None:
    patient = Patient(
        identifiers=(Identifier(system=NUHSA_SYSTEM, value="AN0123456789"),),
        names=(HumanName(family="Peña Ruiz", given=("Rocío",)),),
        addresses=(Address(city="Málaga"),),
    )
    payload = json_wire(patient_to_fhir(patient))
    assert "Peña Ruiz".encode() in payload
    assert patient_from_fhir(json.loads(payload)) == patient


def test_bundle_with_other_patient_is_rejected() -> None:
    other = Prescription(
        patient=Identifier(system=NUHSA_SYSTEM, value="AN1111111111"),
        medication_text="Paracetamol 1 g",
        quantity=Quantity(value=Decimal(1)),
        authored_on=date(2026, 1, 1),
    )
    bundle = search_bundle([prescription_to_fhir(other)], RECETAS)
    patient = Identifier(system=NUHSA_SYSTEM, value="AN0123456789")
    with pytest.raises(MappingError, match="another patient"):
        prescriptions_from_bundle(bundle, patient)


def test_malformed_nuhsa_in_prescription_is_flagged() -> None:
    resource = prescription_to_fhir(
        Prescription(
            patient=Identifier(system=NUHSA_SYSTEM, value="AN123"),
            medication_text="Ibuprofeno 600 mg",
            quantity=Quantity(value=Decimal(2)),
            authored_on=date(2026, 1, 1),
        )
    )
    assert prescription_from_fhir(resource).patient_identifier_valid is False


def test_prescription_without_medication_is_rejected() -> None:
    prescription = Prescription(
        patient=Identifier(system=NUHSA_SYSTEM, value="AN0123456789"),
        quantity=Quantity(value=Decimal(1)),
        authored_on=date(2026, 1, 1),
    )
    with pytest.raises(ValueError, match="neither medication"):
        prescription_to_fhir(prescription)


def test_appointment_without_location_is_rejected() -> None:
    resource = {
        "resourceType": "Appointment",
        "status": "proposed",
        "specialty": [{"coding": [{"code": "cardiologia"}]}],
        "participant": [
            {
                "actor": {
                    "type": "Patient",
                    "identifier": {"system": NUHSA_SYSTEM, "value": "AN0123456789"},
                },
                "status": "accepted",
            }
        ],
    }
    with pytest.raises(MappingError, match="no Location participant"):
        appointment_from_fhir(resource)
