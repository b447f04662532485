"""The Kaiser parsers on published US Core examples and Synthea patient bundles.

Each resource the adapter's operations return (Patient, Condition,
MedicationRequest, Immunization) is mapped and then compared, field by
field, with the source JSON as this file reads it independently. Every
top-level element of the source must either be held by the canonical model
or be named in ``unmapped_elements``, so nothing is dropped unnoticed.

Known gaps: the canonical models have no place for extensions, ``meta``,
``encounter``, ``recorder``, ``performer``, ``location``,
``dispenseRequest``, structured dosage or coding ``version``, and all of
these are listed in ``unmapped_elements``. On Patient, the shared mapping
drops the address ``state`` and the race and ethnicity extensions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecert.adapters.errors import InvalidResponseError
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.codes import MRN_SYSTEM
from carecert.adapters.kaiser.conditions import condition_from_fhir
from carecert.adapters.kaiser.immunizations import immunization_from_fhir
from carecert.adapters.kaiser.medication_requests import medication_request_from_fhir
from carecert.adapters.kaiser.patients import patient_from_fhir
from carecert.adapters.kaiser.search import search_page_bundle
from carecert.adapters.models import Coding, Condition, Patient
from carecert.adapters.models.clinical import Immunization, MedicationRequest

from ..realdata import real_file_params, require_real
from ..support.config import Config

US_CORE = "us-core/input/examples"
SYNTHEA = "synthea/R4/SYNTHEA"
API = "https://api.kaiserpermanente.org/fhir/R4"
CLINICAL_TYPES = ("Condition", "MedicationRequest", "Immunization")

# Top-level elements each canonical model holds, as this test reads them.
CONDITION_HELD = {
    "resourceType",
    "id",
    "subject",
    "code",
    "clinicalStatus",
    "verificationStatus",
    "category",
    "onsetDateTime",
    "abatementDateTime",
    "recordedDate",
}
MEDICATION_REQUEST_HELD = {
    "resourceType",
    "id",
    "subject",
    "status",
    "intent",
    "medicationCodeableConcept",
    "medicationReference",
    "contained",
    "authoredOn",
    "requester",
    "dosageInstruction",
    "reasonCode",
}
IMMUNIZATION_HELD = {
    "resourceType",
    "id",
    "patient",
    "status",
    "vaccineCode",
    "occurrenceDateTime",
    "primarySource",
    "lotNumber",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def synthea_resources(path: Path, resource_type: str) -> list[dict[str, Any]]:
    bundle = load(path)
    found = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]
    assert found, f"{path.name} has no {resource_type}; the upstream files changed"
    return found


def codings(concept: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (c.get("system"), c["code"], c.get("display"))
        for c in concept.get("coding", [])
        if "code" in c
    ]


def as_tuples(found: tuple[Coding, ...]) -> list[tuple[Any, ...]]:
    return [(c.system, c.code, c.display) for c in found]


def fhir_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def fhir_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    return datetime.fromisoformat(value)


def assert_nothing_dropped(
    source: Mapping[str, Any], held: set[str], unmapped: tuple[str, ...]
) -> None:
    for key in source:
        assert key in held or key in unmapped, f"{key} neither held nor listed"


# Field-by-field checks


def check_condition(source: Mapping[str, Any], mapped: Condition) -> None:
    assert mapped.id == source.get("id")
    assert as_tuples((mapped.code, *mapped.other_codings)) == codings(source["code"])
    assert mapped.text == source["code"].get("text")
    clinical = source.get("clinicalStatus")
    expected_clinical = codings(clinical)[0][1] if clinical else None
    assert (mapped.clinical_status or None) == expected_clinical
    verification = source.get("verificationStatus")
    expected_verification = codings(verification)[0][1] if verification else None
    assert mapped.verification_status == expected_verification
    expected_categories = [
        coding for concept in source.get("category", []) for coding in codings(concept)
    ]
    assert as_tuples(mapped.categories) == expected_categories
    assert mapped.onset == fhir_date(source.get("onsetDateTime"))
    assert mapped.abatement == fhir_date(source.get("abatementDateTime"))
    assert mapped.recorded == fhir_date(source.get("recordedDate"))
    assert_nothing_dropped(source, CONDITION_HELD, mapped.unmapped_elements)


def check_medication_request(
    source: Mapping[str, Any], mapped: MedicationRequest
) -> None:
    assert mapped.id == source.get("id")
    assert mapped.status == source["status"]
    assert mapped.intent == source["intent"]
    if "medicationCodeableConcept" in source:
        concept = source["medicationCodeableConcept"]
    else:
        reference = source["medicationReference"]["reference"]
        concept = next(
            contained["code"]
            for contained in source["contained"]
            if f"#{contained['id']}" == reference
        )
    found = () if mapped.medication is None else (mapped.medication,)
    assert as_tuples((*found, *mapped.other_codings)) == codings(concept)
    assert mapped.medication_text == concept.get("text")
    assert mapped.medication_reference is None

    assert mapped.authored_on == fhir_instant(source.get("authoredOn"))
    requester = source.get("requester")
    if requester is None:
        assert mapped.requester is None
    else:
        assert mapped.requester is not None
        assert mapped.requester.reference == requester.get("reference")
        assert mapped.requester.display == requester.get("display")

    assert list(mapped.dosage) == [
        d["text"] for d in source.get("dosageInstruction", []) if "text" in d
    ]
    expected_reasons = [
        coding
        for concept in source.get("reasonCode", [])
        for coding in codings(concept)
    ]
    assert as_tuples(mapped.reasons) == expected_reasons
    assert_nothing_dropped(source, MEDICATION_REQUEST_HELD, mapped.unmapped_elements)
    for path, dosage in enumerate(source.get("dosageInstruction", [])):
        for key in set(dosage) - {"text"}:
            assert f"dosageInstruction[{path}].{key}" in mapped.unmapped_elements


def check_immunization(source: Mapping[str, Any], mapped: Immunization) -> None:
    assert mapped.id == source.get("id")
    assert mapped.status == source["status"]
    assert as_tuples((mapped.vaccine, *mapped.other_codings)) == codings(
        source["vaccineCode"]
    )
    assert mapped.vaccine_text == source["vaccineCode"].get("text")
    assert mapped.occurrence == fhir_instant(source.get("occurrenceDateTime"))
    assert mapped.primary_source == source.get("primarySource")
    assert mapped.lot_number == source.get("lotNumber")
    assert_nothing_dropped(source, IMMUNIZATION_HELD, mapped.unmapped_elements)


def check_patient(source: Mapping[str, Any], mapped: Patient) -> None:
    assert mapped.id == source.get("id")
    assert [(i.system, i.value) for i in mapped.identifiers] == [
        (i["system"], i["value"]) for i in source["identifier"]
    ]
    assert [(n.use, n.family, list(n.given), list(n.prefix)) for n in mapped.names] == [
        (n.get("use"), n.get("family"), n.get("given", []), n.get("prefix", []))
        for n in source.get("name", [])
    ]
    assert (mapped.gender or None) == source.get("gender")
    assert mapped.birth_date == fhir_date(source.get("birthDate"))
    assert mapped.deceased_at == fhir_instant(source.get("deceasedDateTime"))
    assert [(t.system, t.value, t.use) for t in mapped.telecom] == [
        (t["system"], t["value"], t.get("use")) for t in source.get("telecom", [])
    ]
    assert [
        (list(a.line), a.city, a.postal_code, a.country) for a in mapped.addresses
    ] == [
        (a.get("line", []), a.get("city"), a.get("postalCode"), a.get("country"))
        for a in source.get("address", [])
    ]


# US Core examples


@pytest.mark.parametrize("path", real_file_params(US_CORE, pattern="condition-*.json"))
def test_us_core_condition(path: Path) -> None:
    source = load(path)
    check_condition(source, condition_from_fhir(source))


@pytest.mark.parametrize(
    "path", real_file_params(US_CORE, pattern="medicationrequest-*.json")
)
def test_us_core_medication_request(path: Path) -> None:
    source = load(path)
    check_medication_request(source, medication_request_from_fhir(source))


@pytest.mark.parametrize("path", real_file_params(US_CORE, pattern="imm-*.json"))
def test_us_core_immunization(path: Path) -> None:
    source = load(path)
    check_immunization(source, immunization_from_fhir(source))


@pytest.mark.parametrize("path", real_file_params(US_CORE, pattern="patient-*.json"))
def test_us_core_patient(path: Path) -> None:
    source = load(path)
    check_patient(source, patient_from_fhir(source))


def test_contained_medication_is_resolved() -> None:
    path = require_real(f"{US_CORE}/medicationrequest-contained-oral-axid.json")
    mapped = medication_request_from_fhir(load(path))

    assert mapped.medication is not None
    assert mapped.medication.code == "582620"
    assert mapped.medication_text == "Nizatidine 15 MG/ML Oral Solution [Axid]"
    assert "dosageInstruction[0].route" in mapped.unmapped_elements


# Synthea bundles


@pytest.mark.parametrize("path", real_file_params(SYNTHEA))
def test_synthea_records(path: Path) -> None:
    for source in synthea_resources(path, "Condition"):
        check_condition(source, condition_from_fhir(source))
    for source in synthea_resources(path, "MedicationRequest"):
        check_medication_request(source, medication_request_from_fhir(source))
    for source in synthea_resources(path, "Immunization"):
        check_immunization(source, immunization_from_fhir(source))
    for source in synthea_resources(path, "Patient"):
        check_patient(source, patient_from_fhir(source))


# The adapter reading US Core examples page by page


def us_core_server(patient_id: str) -> httpx.MockTransport:
    """Serve a Patient with a Kaiser MRN and the US Core examples as search pages."""
    folder = require_real(US_CORE)
    sources = {
        "Condition": sorted(folder.glob("condition-*.json")),
        "MedicationRequest": sorted(folder.glob("medicationrequest-*.json")),
        "Immunization": sorted(folder.glob("imm-*.json")),
    }
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [{"system": MRN_SYSTEM, "value": "KP204518736"}],
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 60}
            return httpx.Response(200, json=token)
        resource_type = request.url.path.rsplit("/", 1)[-1]
        resources = (
            [patient]
            if resource_type == "Patient"
            else [load(p) for p in sources[resource_type]]
        )
        bundle = search_page_bundle(
            resources,
            search_url=f"{API}/{resource_type}",
            query={"patient": patient_id},
            offset=int(request.url.params.get("_offset", "0")),
            page_size=2,
        )
        return httpx.Response(200, json=bundle)

    return httpx.MockTransport(handle)


@pytest.mark.asyncio
async def test_adapter_reads_us_core_pages(kaiser_config: Config) -> None:
    # The US Core examples are about Patient/example.
    config = kaiser_config(transport=us_core_server("example"))
    async with KaiserInterface(config) as kaiser:
        record = await kaiser.get_health_record("KP204518736")

    folder = require_real(US_CORE)
    for resource_type, found in (
        ("condition-*.json", record.conditions),
        ("medicationrequest-*.json", record.medication_requests),
        ("imm-*.json", record.immunizations),
    ):
        files = sorted(folder.glob(resource_type))
        assert [item.id for item in found] == [load(p)["id"] for p in files]
    for source, condition in zip(
        (load(p) for p in sorted(folder.glob("condition-*.json"))),
        record.conditions,
        strict=True,
    ):
        check_condition(source, condition)


@pytest.mark.asyncio
async def test_adapter_rejects_examples_of_other_patient(kaiser_config: Config) -> None:
    config = kaiser_config(transport=us_core_server("kp-204518736"))
    async with KaiserInterface(config) as kaiser:
        with pytest.raises(InvalidResponseError, match="names another patient"):
            await kaiser.get_health_record("KP204518736", ["problems"])


# Constructs the mapping cannot hold


def test_text_only_condition_code_rejected() -> None:
    source = load(require_real(f"{US_CORE}/condition-duodenal-ulcer.json"))
    source["code"] = {"text": source["code"]["text"]}

    with pytest.raises(MappingError, match=r"Condition.code.coding: no coding"):
        condition_from_fhir(source)


def test_onset_age_is_listed_not_dropped() -> None:
    source = load(require_real(f"{US_CORE}/condition-duodenal-ulcer.json"))
    del source["onsetDateTime"]
    source["onsetAge"] = {
        "value": 52,
        "unit": "a",
        "system": "http://unitsofmeasure.org",
    }

    mapped = condition_from_fhir(source)

    assert mapped.onset is None
    assert "onsetAge" in mapped.unmapped_elements


def test_external_medication_reference_is_kept() -> None:
    source = load(require_real(f"{US_CORE}/medicationrequest-contained-oral-axid.json"))
    del source["contained"]
    source["medicationReference"] = {"reference": "Medication/med2"}

    mapped = medication_request_from_fhir(source)

    assert mapped.medication is None
    assert mapped.medication_reference == "Medication/med2"


def test_missing_contained_medication_rejected() -> None:
    source = load(require_real(f"{US_CORE}/medicationrequest-contained-oral-axid.json"))
    del source["contained"]

    with pytest.raises(MappingError, match="not in 'contained'"):
        medication_request_from_fhir(source)


def test_malformed_patient_mrn_rejected() -> None:
    source = load(require_real(f"{US_CORE}/patient-example.json"))
    source["identifier"] = [{"system": MRN_SYSTEM, "value": "1032704"}]

    with pytest.raises(MappingError, match="invalid Kaiser MRN"):
        patient_from_fhir(source)
