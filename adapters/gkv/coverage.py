"""Read and write the Coverage search Bundle of the insurance status check.

carecert models the insurance status check as a FHIR R4 search on the
Konnektor, ``GET /fhir/Coverage?beneficiary:identifier=...``, which returns a
searchset Bundle: one Coverage per insurance, with the insured Patient
included. The resources have the shape of the KBV profiles that
``kbv_resources`` writes (KBV_PR_FOR_Coverage, KBV_PR_FOR_Patient).

NOTE: this FHIR search is carecert's design. A real Konnektor returns the
insurance data (VSDM) through its SOAP interface, which carecert does not call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from carecert.adapters.fhir.datatypes import human_name_from_fhir
from carecert.adapters.fhir.elements import (
    MappingError,
    identifier_from_fhir,
    items,
    optional_str,
    parse_date,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.gkv.kbv_parties import Insurance
from carecert.adapters.gkv.kbv_resources import coverage_resource, patient_resource
from carecert.adapters.gkv.kbv_systems import IKNR_SYSTEM
from carecert.adapters.gkv.models import InsuranceStatus
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import AdministrativeGender, Identifier, Patient

__all__ = ["coverage_search_bundle", "insurance_status_from_bundle"]

INSURANCE_TYPE_SYSTEM = "http://fhir.de/CodeSystem/versicherungsart-de-basis"
MEMBER_STATUS_URL = "http://fhir.de/StructureDefinition/gkv/versichertenart"


def insurance_status_from_bundle(
    bundle: Any, *, kvnr: str, leistungsart: str, accepted_types: frozenset[str]
) -> InsuranceStatus | None:
    """Map the search Bundle to the status of ``kvnr``, or None if it has no Coverage.

    Where the Bundle has several Coverages, the first active one is used.
    """
    resource = require_type(bundle, "Bundle")
    coverages: list[Mapping[str, Any]] = []
    patients: dict[str, Mapping[str, Any]] = {}
    for path, entry in items(resource, "entry", "Bundle"):
        found = require_object(
            require_object(entry, "Bundle", path).get("resource"),
            "Bundle",
            f"{path}.resource",
        )
        if found.get("resourceType") == "Coverage":
            coverages.append(found)
        elif found.get("resourceType") == "Patient":
            patients[f"Patient/{found.get('id')}"] = found
    if not coverages:
        return None
    coverage = next((c for c in coverages if c.get("status") == "active"), coverages[0])
    beneficiary = require_object(coverage.get("beneficiary"), "Coverage", "beneficiary")
    reference = require_str(
        beneficiary.get("reference"), "Coverage", "beneficiary.reference"
    )
    if reference not in patients:
        raise MappingError(
            "Coverage", "beneficiary.reference", "names no Patient in the Bundle"
        )
    patient = patient_from_fhir(patients[reference])
    if patient.identifier_value(KVNR_SYSTEM) != kvnr:
        raise MappingError("Patient", "identifier", "does not carry the KVNR searched")
    insurance_type = _insurance_type(coverage)
    valid_until = _period_end(coverage)
    active = coverage.get("status") == "active"
    payor_name, payor = _payor(coverage)
    in_force = valid_until is None or valid_until >= date.today()
    return InsuranceStatus(
        patient=patient,
        kvnr=kvnr,
        insurance_type=insurance_type,
        insurer=payor,
        insurer_name=payor_name,
        member_status=_member_status(coverage),
        active=active,
        valid_until=valid_until,
        leistungsart=leistungsart,
        covered=active and in_force and insurance_type in accepted_types,
    )


def patient_from_fhir(resource: Mapping[str, Any]) -> Patient:
    """Map a KBV-style Patient: identifiers, names, gender and birth date."""
    patient = require_type(resource, "Patient")
    identifiers = tuple(
        identifier_from_fhir(item, "Patient", path)
        for path, item in items(patient, "identifier", "Patient")
    )
    names = tuple(
        human_name_from_fhir(item, "Patient", path)
        for path, item in items(patient, "name", "Patient")
    )
    gender = optional_str(patient.get("gender"), "Patient", "gender")
    return Patient(
        id=optional_str(patient.get("id"), "Patient", "id"),
        identifiers=identifiers,
        names=names,
        gender=None if gender is None else AdministrativeGender(gender),
        birth_date=parse_date(patient.get("birthDate"), "Patient", "birthDate"),
    )


def coverage_search_bundle(
    patient: Patient,
    insurance: Insurance,
    *,
    active: bool = True,
    valid_until: date | None = None,
) -> dict[str, Any]:
    """Write the searchset Bundle for one insured person, as the simulator serves it."""
    kvnr = patient.identifier_value(KVNR_SYSTEM)
    if kvnr is None:
        raise ValueError("the patient has no KVNR identifier")
    patient_id = patient.id or kvnr
    coverage = coverage_resource(insurance, f"coverage-{kvnr}", f"Patient/{patient_id}")
    if not active:
        coverage["status"] = "cancelled"
    if valid_until is not None:
        coverage["period"] = {"end": valid_until.isoformat()}
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "entry": [
            {
                "fullUrl": f"Coverage/{coverage['id']}",
                "resource": coverage,
                "search": {"mode": "match"},
            },
            {
                "fullUrl": f"Patient/{patient_id}",
                "resource": patient_resource(patient, kvnr, patient_id),
                "search": {"mode": "include"},
            },
        ],
    }


def _insurance_type(coverage: Mapping[str, Any]) -> Any:
    concept = require_object(coverage.get("type"), "Coverage", "type")
    for path, coding in items(concept, "coding", "Coverage", "type"):
        element = require_object(coding, "Coverage", path)
        if element.get("system") == INSURANCE_TYPE_SYSTEM:
            return require_str(element.get("code"), "Coverage", f"{path}.code")
    raise MappingError("Coverage", "type.coding", f"has no {INSURANCE_TYPE_SYSTEM}")


def _payor(coverage: Mapping[str, Any]) -> tuple[str | None, Identifier]:
    for path, payor in items(coverage, "payor", "Coverage"):
        element = require_object(payor, "Coverage", path)
        identifier = identifier_from_fhir(
            element.get("identifier"), "Coverage", f"{path}.identifier"
        )
        if identifier.system == IKNR_SYSTEM:
            name = optional_str(element.get("display"), "Coverage", f"{path}.display")
            return name, identifier
    raise MappingError("Coverage", "payor", "has no IK number")


def _member_status(coverage: Mapping[str, Any]) -> str | None:
    for path, extension in items(coverage, "extension", "Coverage"):
        element = require_object(extension, "Coverage", path)
        if element.get("url") == MEMBER_STATUS_URL:
            coding = require_object(
                element.get("valueCoding"), "Coverage", f"{path}.valueCoding"
            )
            return optional_str(coding.get("code"), "Coverage", f"{path}.code")
    return None


def _period_end(coverage: Mapping[str, Any]) -> date | None:
    period = coverage.get("period")
    if period is None:
        return None
    element = require_object(period, "Coverage", "period")
    return parse_date(element.get("end"), "Coverage", "period.end")
