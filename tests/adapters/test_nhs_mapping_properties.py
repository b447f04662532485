"""Property tests of the NHS mapping.

Canonical -> FHIR -> canonical must be the identity for every value FHIR R4
can carry, and what the mapping writes must validate against the adapter's
own openapi.yaml. FHIR strings are never empty, so the strategies draw
non-empty text; PDS writes deaths to the second, so deaths are drawn whole.
"""

from __future__ import annotations

import json
import string
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM, nhs_number_check_digit
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    AllergyIntolerance,
    Appointment,
    AppointmentStatus,
    ClinicalStatus,
    Coding,
    Condition,
    ContactPoint,
    HumanName,
    Identifier,
    MedicationStatement,
    Patient,
    RecordType,
)
from carecert.adapters.nhs.fhir import ODS_SYSTEM
from carecert.adapters.nhs.mapping import (
    allergy_from_fhir,
    allergy_to_fhir,
    appointment_from_fhir,
    appointment_to_fhir,
    condition_from_fhir,
    condition_to_fhir,
    medication_statement_from_fhir,
    medication_statement_to_fhir,
    patient_from_fhir,
    patient_to_fhir,
)
from carecert.adapters.nhs.record import (
    clinical_entries_from_bundle,
    record_bundle,
    structured_record_parameters,
)

OPENAPI = Path(__file__).resolve().parents[2] / "adapters" / "nhs" / "openapi.yaml"
SUBJECT = "Patient/9000000009"


@cache
def validator(schema_name: str) -> OAS30Validator:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    schema = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": document["components"],
    }
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def schema_errors(schema_name: str, payload: Any) -> list[str]:
    # A JSON round trip proves the payload is plain JSON, as sent on the wire.
    wire = json.loads(json.dumps(payload))
    return [
        f"{list(error.absolute_path)}: {error.message}"
        for error in validator(schema_name).iter_errors(wire)
    ]


# Strategies

LETTERS = string.ascii_letters + "ÀÉÏÕÜßàéïõüŁł"
words = st.text(alphabet=LETTERS + " '-", min_size=1, max_size=35).filter(
    lambda s: s == s.strip()
)
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,19}", fullmatch=True)
uris = st.sampled_from(
    ["http://snomed.info/sct", "https://fhir.nhs.uk/Id/local", "urn:oid:2.16.840.1"]
)
fhir_ids = st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30), timezones=offsets
)
whole_seconds = instants.map(lambda moment: moment.replace(microsecond=0))


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    first_nine = draw(st.from_regex(r"[0-9]{9}", fullmatch=True))
    check = nhs_number_check_digit(first_nine)
    if check is None:
        first_nine = first_nine[:8] + str((int(first_nine[8]) + 1) % 10)
        check = nhs_number_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


ods_codes = st.from_regex(r"[A-Z0-9]{3,8}", fullmatch=True)
codings = st.builds(
    Coding, system=st.none() | uris, code=codes, display=st.none() | words
)


def human_names(*, pds: bool) -> st.SearchStrategy[HumanName]:
    if pds:
        uses = st.sampled_from(["usual", "temp", "nickname", "old", "maiden"])
        return st.builds(
            HumanName,
            use=uses,
            family=words,
            given=st.lists(words, max_size=5).map(tuple),
            prefix=st.lists(words, max_size=2).map(tuple),
            suffix=st.lists(words, max_size=2).map(tuple),
            period_start=st.none() | dates,
        )
    all_uses = ["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"]
    return st.builds(
        HumanName,
        use=st.none() | st.sampled_from(all_uses),
        family=st.none() | words,
        given=st.lists(words, max_size=4).map(tuple),
        prefix=st.lists(words, max_size=2).map(tuple),
        suffix=st.lists(words, max_size=2).map(tuple),
        period_start=st.none() | dates,
        period_end=st.none() | dates,
    )


def addresses(*, pds: bool) -> st.SearchStrategy[Address]:
    pds_uses = ["home", "work", "temp", "billing"]
    return st.builds(
        Address,
        use=st.sampled_from(pds_uses)
        if pds
        else st.none() | st.sampled_from([*pds_uses, "old"]),
        line=st.lists(words, max_size=5).map(tuple),
        city=st.none() | words,
        district=st.none() | words,
        postal_code=st.none() | words,
        country=st.none() | words,
    )


def contact_points(*, pds: bool) -> st.SearchStrategy[ContactPoint]:
    systems = ["phone", "fax", "email", "other"]
    uses = ["home", "work", "temp", "mobile"]
    if not pds:
        systems += ["pager", "url", "sms"]
        uses += ["old"]
    return st.builds(
        ContactPoint,
        system=st.sampled_from(systems),
        value=words,
        use=st.none() | st.sampled_from(uses),
    )


@st.composite
def patients(draw: st.DrawFn, *, pds: bool) -> Patient:
    """Draw canonical patients; ``pds`` keeps to what the PDS schema allows."""
    number = draw(nhs_numbers())
    nhs_identifier = Identifier(system=NHS_NUMBER_SYSTEM, value=number)
    if pds:
        identifiers = (nhs_identifier,)
    else:
        others = st.builds(Identifier, system=uris, value=words)
        identifiers = (nhs_identifier, *draw(st.lists(others, max_size=2)))
    return Patient(
        id=number if pds else draw(st.none() | st.just(number)),
        identifiers=identifiers,
        names=tuple(draw(st.lists(human_names(pds=pds), max_size=3))),
        gender=draw(st.none() | st.sampled_from(list(AdministrativeGender))),
        birth_date=draw(st.none() | dates),
        deceased_at=draw(st.none() | whole_seconds),
        addresses=tuple(draw(st.lists(addresses(pds=pds), max_size=3))),
        telecom=tuple(draw(st.lists(contact_points(pds=pds), max_size=3))),
        general_practitioner=draw(
            st.none()
            | st.builds(Identifier, system=st.just(ODS_SYSTEM), value=ods_codes)
        ),
        restricted=draw(st.booleans()),
    )


medication_statements = st.builds(
    MedicationStatement,
    id=st.none() | fhir_ids,
    medication=codings,
    status=st.sampled_from(
        ["active", "completed", "entered-in-error", "intended", "stopped", "on-hold"]
    ),
    dosage=st.none() | words,
    effective_start=st.none() | dates,
)
allergies = st.builds(
    AllergyIntolerance,
    id=st.none() | fhir_ids,
    substance=codings,
    clinical_status=st.none()
    | st.sampled_from(
        [ClinicalStatus.ACTIVE, ClinicalStatus.INACTIVE, ClinicalStatus.RESOLVED]
    ),
    criticality=st.none() | st.sampled_from(["low", "high", "unable-to-assess"]),
    recorded=st.none() | instants,
)
conditions = st.builds(
    Condition,
    id=st.none() | fhir_ids,
    code=codings,
    clinical_status=st.none() | st.sampled_from(list(ClinicalStatus)),
    onset=st.none() | dates,
)


@st.composite
def appointments(draw: st.DrawFn) -> Appointment:
    start = draw(st.none() | instants)
    end = None
    if start is not None and draw(st.booleans()):
        end = start + draw(st.timedeltas(timedelta(minutes=1), timedelta(hours=8)))
    return Appointment(
        id=draw(st.none() | fhir_ids),
        patient=Identifier(system=NHS_NUMBER_SYSTEM, value=draw(nhs_numbers())),
        location=Identifier(system=ODS_SYSTEM, value=draw(ods_codes)),
        appointment_type=draw(words | st.sampled_from(["routine", "WALKIN"])),
        status=draw(st.sampled_from(list(AppointmentStatus))),
        start=start,
        end=end,
        description=draw(st.none() | words),
        created=draw(st.none() | instants),
    )


# Round trips


@given(patients(pds=False))
def test_patient_round_trip(patient: Patient) -> None:
    assert patient_from_fhir(patient_to_fhir(patient)) == patient


@given(medication_statements)
def test_medication_round_trip(statement: MedicationStatement) -> None:
    resource = medication_statement_to_fhir(statement, subject=SUBJECT)

    assert medication_statement_from_fhir(resource) == statement


@given(allergies)
def test_allergy_round_trip(allergy: AllergyIntolerance) -> None:
    resource = allergy_to_fhir(allergy, patient=SUBJECT)

    assert allergy_from_fhir(resource) == allergy


@given(conditions)
def test_condition_round_trip(condition: Condition) -> None:
    resource = condition_to_fhir(condition, subject=SUBJECT)

    assert condition_from_fhir(resource) == condition


@given(appointments())
def test_appointment_round_trip(appointment: Appointment) -> None:
    assert appointment_from_fhir(appointment_to_fhir(appointment)) == appointment


@given(
    st.lists(medication_statements, max_size=3),
    st.lists(allergies, max_size=3),
    st.lists(conditions, max_size=3),
)
def test_bundle_round_trip(
    medications: list[MedicationStatement],
    allergy_list: list[AllergyIntolerance],
    condition_list: list[Condition],
) -> None:
    bundle = record_bundle(
        medications=medications,
        allergies=allergy_list,
        conditions=condition_list,
        subject=SUBJECT,
    )

    entries = clinical_entries_from_bundle(bundle)

    assert entries.medications == tuple(medications)
    assert entries.allergies == tuple(allergy_list)
    assert entries.conditions == tuple(condition_list)


# Generated payloads against openapi.yaml


@given(patients(pds=True))
def test_patient_payload_matches_schema(patient: Patient) -> None:
    assert schema_errors("Patient", patient_to_fhir(patient)) == []


@given(medication_statements)
def test_medication_payload_matches_schema(statement: MedicationStatement) -> None:
    resource = medication_statement_to_fhir(statement, subject=SUBJECT)

    assert schema_errors("MedicationStatement", resource) == []


@given(allergies)
def test_allergy_payload_matches_schema(allergy: AllergyIntolerance) -> None:
    resource = allergy_to_fhir(allergy, patient=SUBJECT)

    assert schema_errors("AllergyIntolerance", resource) == []


@given(conditions)
def test_condition_payload_matches_schema(condition: Condition) -> None:
    resource = condition_to_fhir(condition, subject=SUBJECT)

    assert schema_errors("Condition", resource) == []


@given(appointments())
def test_appointment_payload_matches_schema(appointment: Appointment) -> None:
    assert schema_errors("Appointment", appointment_to_fhir(appointment)) == []


@given(
    patients(pds=True),
    st.lists(medication_statements, max_size=2),
    st.lists(allergies, max_size=2),
    st.lists(conditions, max_size=2),
)
def test_bundle_payload_matches_schema(
    patient: Patient,
    medications: list[MedicationStatement],
    allergy_list: list[AllergyIntolerance],
    condition_list: list[Condition],
) -> None:
    bundle = record_bundle(
        patient=patient_to_fhir(patient),
        medications=medications,
        allergies=allergy_list,
        conditions=condition_list,
        subject=SUBJECT,
    )

    assert schema_errors("Bundle", bundle) == []


@given(nhs_numbers(), st.lists(st.sampled_from(list(RecordType)), unique=True))
def test_parameters_payload_matches_schema(
    number: str, sections: list[RecordType]
) -> None:
    body = structured_record_parameters(number, sections)

    assert schema_errors("Parameters", body) == []
