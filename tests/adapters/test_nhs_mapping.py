"""FHIR R4 to canonical mapping, checked on NHS Digital's published PDS examples.

Tests read the examples from the folder of published inputs that
tests/realdata.py locates, and skip when it is absent.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    AllergyIntolerance,
    ClinicalStatus,
    Coding,
    MedicationStatement,
    Patient,
    RecordType,
)
from carecert.adapters.nhs.fhir import ODS_SYSTEM, MappingError
from carecert.adapters.nhs.mapping import (
    allergy_from_fhir,
    allergy_to_fhir,
    appointment_from_fhir,
    condition_from_fhir,
    medication_statement_from_fhir,
    medication_statement_to_fhir,
    patient_from_fhir,
    patient_to_fhir,
)
from carecert.adapters.nhs.record import (
    clinical_entries_from_bundle,
    structured_record_parameters,
    structured_record_request_from_parameters,
)

from ..realdata import PDS_EXAMPLES, PDS_STUBS, missing_reason, real_path

EXAMPLES = real_path(PDS_EXAMPLES)
STUBS = real_path(PDS_STUBS)
OPENAPI = Path(__file__).resolve().parents[2] / "adapters" / "nhs" / "openapi.yaml"

needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason=missing_reason(EXAMPLES)
)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def published_patients() -> list[tuple[str, dict[str, Any]]]:
    """Every Patient in the published examples and mock stubs, with its source."""
    if not EXAMPLES.is_dir():
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted([*EXAMPLES.glob("*.json"), *STUBS.glob("*/*.json")]):
        document = load(path)
        if document.get("resourceType") == "Patient":
            found.append((path.name, document))
        for entry in document.get("entry", []):
            if entry.get("resource", {}).get("resourceType") == "Patient":
                found.append(
                    (f"{path.name}#{entry['resource']['id']}", entry["resource"])
                )
    return found


def patient_schema_validator() -> OAS30Validator:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    schema = {
        "$ref": "#/components/schemas/Patient",
        "components": document["components"],
    }
    return OAS30Validator(schema, format_checker=oas30_format_checker)


# Published examples


@needs_examples
@pytest.mark.parametrize(
    "name", ["Patient.json", "Patient-Jayne-Smyth.json", "Minimal_Patient.json"]
)
def test_published_example_matches_schema(name: str) -> None:
    errors = [
        f"{list(error.absolute_path)}: {error.message}"
        for error in patient_schema_validator().iter_errors(load(EXAMPLES / name))
    ]

    assert errors == []


@needs_examples
def test_published_patient_maps_every_field() -> None:
    patient = patient_from_fhir(load(EXAMPLES / "Patient.json"))

    assert patient.id == "9000000009"
    assert patient.identifier_value(NHS_NUMBER_SYSTEM) == "9000000009"
    assert len(patient.names) == 1
    name = patient.names[0]
    assert (name.use, name.family, name.given) == ("usual", "Smith", ("Jane",))
    assert (name.prefix, name.suffix) == (("Mrs",), ("MBE",))
    assert (name.period_start, name.period_end) == (
        date(2024, 1, 1),
        date(2025, 12, 31),
    )
    assert patient.gender == "female"
    assert patient.birth_date == date(2010, 10, 22)
    assert patient.deceased_at == datetime(2010, 10, 22, tzinfo=UTC)
    assert [a.use for a in patient.addresses] == ["home", "temp"]
    assert patient.addresses[0].line[0] == "1 Trevelyan Square"
    assert patient.addresses[0].postal_code == "LS1 6AE"
    assert [(t.system, t.use) for t in patient.telecom] == [
        ("phone", "home"),
        ("email", "home"),
        ("other", "home"),
    ]
    assert patient.telecom[1].value == "jane.smith@example.com"
    assert patient.general_practitioner is not None
    assert patient.general_practitioner.system == ODS_SYSTEM
    assert patient.general_practitioner.value == "Y12345"
    assert patient.restricted is False


@needs_examples
def test_minimal_patient_maps() -> None:
    patient = patient_from_fhir(load(EXAMPLES / "Minimal_Patient.json"))

    assert patient.identifier_value(NHS_NUMBER_SYSTEM) == "9000000033"
    assert patient.names == ()
    assert patient.addresses == ()
    assert patient.general_practitioner is None
    assert patient.restricted is False


@needs_examples
def test_sensitive_patient_restricted() -> None:
    bundle = load(EXAMPLES / "Sensitive_PatientSearch.json")
    patient = patient_from_fhir(bundle["entry"][0]["resource"])

    assert patient.restricted is True
    assert patient.addresses == ()
    assert patient.general_practitioner is None


@needs_examples
@pytest.mark.parametrize(
    ("source", "resource"),
    published_patients(),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_published_patients_lose_nothing(source: str, resource: dict[str, Any]) -> None:
    patient = patient_from_fhir(resource)

    assert patient.id == resource["id"]
    assert [(i.system, i.value) for i in patient.identifiers] == [
        (i.get("system", NHS_NUMBER_SYSTEM), i["value"]) for i in resource["identifier"]
    ]
    assert [
        (n.use, n.family, list(n.given), list(n.prefix), list(n.suffix))
        for n in patient.names
    ] == [
        (
            n.get("use"),
            n.get("family"),
            n.get("given", []),
            n.get("prefix", []),
            n.get("suffix", []),
        )
        for n in resource.get("name", [])
    ]
    assert patient.gender == resource.get("gender")
    if len(resource.get("birthDate", "")) == 10:
        assert patient.birth_date == date.fromisoformat(resource["birthDate"])
    assert [(a.use, list(a.line), a.postal_code) for a in patient.addresses] == [
        (a.get("use"), a.get("line", []), a.get("postalCode"))
        for a in resource.get("address", [])
    ]
    assert [(t.system, t.value, t.use) for t in patient.telecom] == [
        (t["system"], t["value"], t.get("use")) for t in resource.get("telecom", [])
    ]
    practices = [
        g["identifier"]["value"] for g in resource.get("generalPractitioner", [])
    ]
    gp = patient.general_practitioner
    assert ([gp.value] if gp else []) == practices
    if "deceasedDateTime" in resource:
        died = datetime.fromisoformat(resource["deceasedDateTime"])
        assert patient.deceased_at == (
            died if died.tzinfo else died.replace(tzinfo=UTC)
        )
    else:
        assert patient.deceased_at is None
    security = [s["code"] for s in resource.get("meta", {}).get("security", [])]
    assert patient.restricted == ("R" in security or "V" in security)


@needs_examples
@pytest.mark.parametrize(
    "name", ["Patient.json", "Patient-Jayne-Smyth.json", "Minimal_Patient.json"]
)
def test_published_example_survives_round_trip(name: str) -> None:
    patient = patient_from_fhir(load(EXAMPLES / name))

    assert patient_from_fhir(patient_to_fhir(patient)) == patient


# Patient edge cases


def minimal(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "9000000009",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "9000000009"}],
        **fields,
    }


def test_partial_birth_date_left_empty() -> None:
    assert patient_from_fhir(minimal(birthDate="1970")).birth_date is None
    assert patient_from_fhir(minimal(birthDate="1970-05")).birth_date is None


def test_date_only_death_is_midnight_utc() -> None:
    patient = patient_from_fhir(minimal(deceasedDateTime="2010-10-22"))

    assert patient.deceased_at == datetime(2010, 10, 22, tzinfo=UTC)


def test_death_without_offset_is_utc() -> None:
    patient = patient_from_fhir(minimal(deceasedDateTime="2010-10-22T13:45:00"))

    assert patient.deceased_at == datetime(2010, 10, 22, 13, 45, tzinfo=UTC)


def test_death_written_in_utc() -> None:
    moment = datetime(2010, 10, 22, 14, 45, tzinfo=timezone(timedelta(hours=1)))
    patient = Patient(
        identifiers=patient_from_fhir(minimal()).identifiers, deceased_at=moment
    )

    assert patient_to_fhir(patient)["deceasedDateTime"] == "2010-10-22T13:45:00+00:00"


def test_missing_identifier_system_is_nhs_number() -> None:
    patient = patient_from_fhir(minimal(identifier=[{"value": "9000000009"}]))

    assert patient.identifiers[0].system == NHS_NUMBER_SYSTEM


def test_missing_identifier_rejected() -> None:
    with pytest.raises(MappingError, match="Patient.identifier"):
        patient_from_fhir(minimal(identifier=[]))


def test_wrong_resource_type_rejected() -> None:
    with pytest.raises(MappingError, match="expected 'Patient', got 'Bundle'"):
        patient_from_fhir({"resourceType": "Bundle"})


def test_mapping_error_hides_values() -> None:
    secret_name = "Zebedee-Unlikely"

    with pytest.raises(MappingError) as raised:
        patient_from_fhir(
            minimal(name=[{"family": secret_name, "given": "not a list"}])
        )

    assert "name[0]" in str(raised.value)
    assert secret_name not in str(raised.value)
    assert "not a list" not in str(raised.value)


def test_bad_birth_date_names_field() -> None:
    with pytest.raises(MappingError, match="Patient.birthDate"):
        patient_from_fhir(minimal(birthDate="22/10/2010"))


# Clinical entries


def test_medication_by_reference_resolved() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Medication",
                    "id": "m1",
                    "code": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "1"}]
                    },
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationStatement",
                    "id": "s1",
                    "status": "active",
                    "medicationReference": {"reference": "Medication/m1"},
                    "subject": {"reference": "Patient/9000000009"},
                    "effectiveDateTime": "2020-02-03T10:00:00+00:00",
                }
            },
        ],
    }

    entries = clinical_entries_from_bundle(bundle)

    assert entries.medications == (
        MedicationStatement(
            id="s1",
            medication=Coding(system="http://snomed.info/sct", code="1"),
            status="active",
            effective_start=date(2020, 2, 3),
        ),
    )


def test_contained_medication_resolved() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "x",
                "code": {"coding": [{"code": "7"}]},
            }
        ],
        "medicationReference": {"reference": "#x"},
        "subject": {"reference": "Patient/9000000009"},
    }

    assert medication_statement_from_fhir(statement).medication == Coding(code="7")


def test_unresolved_medication_rejected() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationReference": {"reference": "Medication/absent"},
    }

    with pytest.raises(MappingError, match="neither contained nor in the Bundle"):
        medication_statement_from_fhir(statement)


def test_concept_without_code_rejected() -> None:
    allergy = {"resourceType": "AllergyIntolerance", "code": {"text": "peanuts"}}

    with pytest.raises(MappingError, match="AllergyIntolerance.code.coding"):
        allergy_from_fhir(allergy)


def test_condition_reads_onset_period() -> None:
    condition = condition_from_fhir(
        {
            "resourceType": "Condition",
            "code": {"coding": [{"code": "195967001"}]},
            "clinicalStatus": {"coding": [{"code": "relapse"}]},
            "onsetPeriod": {"start": "1999-04"},
        }
    )

    assert condition.clinical_status is ClinicalStatus.RELAPSE
    assert condition.onset is None


def test_unknown_clinical_status_rejected() -> None:
    with pytest.raises(MappingError, match="clinicalStatus"):
        condition_from_fhir(
            {
                "resourceType": "Condition",
                "code": {"coding": [{"code": "1"}]},
                "clinicalStatus": {"coding": [{"code": "dormant"}]},
            }
        )


def test_allergy_relapse_has_no_fhir_code() -> None:
    allergy = AllergyIntolerance(
        substance=Coding(code="1"), clinical_status=ClinicalStatus.RELAPSE
    )

    with pytest.raises(ValueError, match="'relapse' has no FHIR R4 code"):
        allergy_to_fhir(allergy, patient="Patient/9000000009")


def test_unknown_medication_status_rejected() -> None:
    statement = MedicationStatement(medication=Coding(code="1"), status="taking")

    with pytest.raises(ValueError, match="'taking' is not a FHIR R4 code"):
        medication_statement_to_fhir(statement, subject="Patient/9000000009")


def test_bundle_ignores_other_resources() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Organization", "id": "o1"}},
            {"resource": {"resourceType": "List", "id": "l1"}},
        ],
    }

    entries = clinical_entries_from_bundle(bundle)

    assert (entries.medications, entries.allergies, entries.conditions) == ((), (), ())


# GP record request


def test_parameters_name_requested_sections() -> None:
    sections = (RecordType.ALLERGIES, RecordType.CONDITIONS)
    body = structured_record_parameters("9000000009", sections)

    names = [p["name"] for p in body["parameter"]]
    assert names == ["patientNHSNumber", "includeAllergies", "includeProblems"]
    assert body["parameter"][1]["part"] == [
        {"name": "includeResolvedAllergies", "valueBoolean": True}
    ]
    assert structured_record_request_from_parameters(body) == ("9000000009", sections)


def test_parameters_reject_unknown_name() -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "includeEverything"}],
    }

    with pytest.raises(MappingError, match="unknown parameter 'includeEverything'"):
        structured_record_request_from_parameters(body)


# Appointment


def test_appointment_patient_by_reference() -> None:
    appointment = appointment_from_fhir(
        {
            "resourceType": "Appointment",
            "status": "booked",
            "appointmentType": {"coding": [{"code": "ROUTINE"}]},
            "start": "2030-01-07T09:00:00+00:00",
            "participant": [
                {"actor": {"reference": "Patient/9000000009"}, "status": "accepted"},
                {
                    "actor": {"type": "Location", "identifier": {"value": "Y12345"}},
                    "status": "accepted",
                },
            ],
        }
    )

    assert appointment.patient.system == NHS_NUMBER_SYSTEM
    assert appointment.patient.value == "9000000009"
    assert appointment.location.system == ODS_SYSTEM
    assert appointment.appointment_type == "ROUTINE"
    assert appointment.start == datetime(2030, 1, 7, 9, tzinfo=UTC)


def test_appointment_without_location_rejected() -> None:
    with pytest.raises(MappingError, match="no participant is a Location"):
        appointment_from_fhir(
            {
                "resourceType": "Appointment",
                "status": "booked",
                "appointmentType": {"text": "routine"},
                "participant": [
                    {"actor": {"reference": "Patient/9000000009"}, "status": "accepted"}
                ],
            }
        )
