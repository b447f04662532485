"""Map FHIR R4 MedicationStatement, AllergyIntolerance and Condition.

The NHS GP record and the My Health Record use these FHIR R4 core resources
unchanged, so their adapters share this module. Each ``*_from_fhir`` raises
MappingError for a resource the canonical model cannot hold, and each
``*_to_fhir`` writes only valid FHIR R4, raising ValueError for a canonical
value that FHIR has no code for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    codeable_concept,
    coding_from_concept,
    format_instant,
    items,
    optional_str,
    parse_date,
    parse_instant,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.models import (
    AllergyIntolerance,
    ClinicalStatus,
    Coding,
    Condition,
    MedicationStatement,
)

__all__ = [
    "ALLERGY_CLINICAL_SYSTEM",
    "CONDITION_CLINICAL_SYSTEM",
    "allergy_from_fhir",
    "allergy_to_fhir",
    "condition_from_fhir",
    "condition_to_fhir",
    "medication_statement_from_fhir",
    "medication_statement_to_fhir",
]

ALLERGY_CLINICAL_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
)
CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"

_ALLERGY_CLINICAL_CODES = frozenset({"active", "inactive", "resolved"})
_CRITICALITY_CODES = frozenset({"low", "high", "unable-to-assess"})
_MEDICATION_STATUS_CODES = frozenset(
    {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    }
)


def medication_statement_from_fhir(
    resource: Any, *, resolve: Mapping[str, Mapping[str, Any]] | None = None
) -> MedicationStatement:
    """Map a FHIR R4 MedicationStatement to the canonical model.

    ``resolve`` maps references such as ``Medication/1`` to resources of the
    same Bundle, for statements that name their medication by reference, as
    GP Connect does.
    """
    where = "MedicationStatement"
    resource = require_type(resource, where)
    effective = resource.get("effectiveDateTime")
    if effective is None and resource.get("effectivePeriod") is not None:
        period = require_object(resource["effectivePeriod"], where, "effectivePeriod")
        effective = period.get("start")
    dosage_text = None
    for path, dosage in items(resource, "dosage", where):
        dosage = require_object(dosage, where, path)
        dosage_text = optional_str(dosage.get("text"), where, f"{path}.text")
        break
    return MedicationStatement(
        id=optional_str(resource.get("id"), where, "id"),
        medication=_medication(resource, resolve or {}),
        status=require_str(resource.get("status"), where, "status"),
        dosage=dosage_text,
        effective_start=None
        if effective is None
        else parse_date(effective, where, "effective"),
    )


def medication_statement_to_fhir(
    statement: MedicationStatement, *, subject: str
) -> dict[str, Any]:
    """Map a canonical MedicationStatement to FHIR R4; ``subject`` is a reference."""
    if statement.status not in _MEDICATION_STATUS_CODES:
        raise ValueError(
            f"MedicationStatement.status {statement.status!r} is not a FHIR R4 code; "
            f"use one of {', '.join(sorted(_MEDICATION_STATUS_CODES))}."
        )
    resource: dict[str, Any] = {"resourceType": "MedicationStatement"}
    if statement.id is not None:
        resource["id"] = statement.id
    resource["status"] = statement.status
    resource["medicationCodeableConcept"] = codeable_concept(statement.medication)
    resource["subject"] = {"reference": subject}
    if statement.effective_start is not None:
        resource["effectivePeriod"] = {"start": statement.effective_start.isoformat()}
    if statement.dosage is not None:
        resource["dosage"] = [{"text": statement.dosage}]
    return resource


def allergy_from_fhir(resource: Any) -> AllergyIntolerance:
    """Map a FHIR R4 AllergyIntolerance to the canonical model."""
    where = "AllergyIntolerance"
    resource = require_type(resource, where)
    recorded = resource.get("recordedDate")
    return AllergyIntolerance(
        id=optional_str(resource.get("id"), where, "id"),
        substance=coding_from_concept(resource.get("code"), where, "code"),
        clinical_status=_clinical_status(resource, where),
        criticality=optional_str(resource.get("criticality"), where, "criticality"),
        recorded=None
        if recorded is None
        else parse_instant(recorded, where, "recordedDate"),
    )


def allergy_to_fhir(allergy: AllergyIntolerance, *, patient: str) -> dict[str, Any]:
    """Map a canonical AllergyIntolerance to FHIR R4; ``patient`` is a reference."""
    status = allergy.clinical_status
    if status is not None and status.value not in _ALLERGY_CLINICAL_CODES:
        raise ValueError(
            f"AllergyIntolerance.clinical_status {status.value!r} has no FHIR R4 code; "
            f"use one of {', '.join(sorted(_ALLERGY_CLINICAL_CODES))}."
        )
    if (
        allergy.criticality is not None
        and allergy.criticality not in _CRITICALITY_CODES
    ):
        raise ValueError(
            f"AllergyIntolerance.criticality {allergy.criticality!r} is not a FHIR R4 "
            f"code; use one of {', '.join(sorted(_CRITICALITY_CODES))}."
        )
    resource: dict[str, Any] = {"resourceType": "AllergyIntolerance"}
    if allergy.id is not None:
        resource["id"] = allergy.id
    if status is not None:
        resource["clinicalStatus"] = _status_concept(ALLERGY_CLINICAL_SYSTEM, status)
    if allergy.criticality is not None:
        resource["criticality"] = allergy.criticality
    resource["code"] = codeable_concept(allergy.substance)
    resource["patient"] = {"reference": patient}
    if allergy.recorded is not None:
        resource["recordedDate"] = format_instant(allergy.recorded)
    return resource


def condition_from_fhir(resource: Any) -> Condition:
    """Map a FHIR R4 Condition to the canonical model."""
    where = "Condition"
    resource = require_type(resource, where)
    onset = resource.get("onsetDateTime")
    if onset is None and resource.get("onsetPeriod") is not None:
        onset = require_object(resource["onsetPeriod"], where, "onsetPeriod").get(
            "start"
        )
    return Condition(
        id=optional_str(resource.get("id"), where, "id"),
        code=coding_from_concept(resource.get("code"), where, "code"),
        clinical_status=_clinical_status(resource, where),
        onset=None if onset is None else parse_date(onset, where, "onset"),
    )


def condition_to_fhir(condition: Condition, *, subject: str) -> dict[str, Any]:
    """Map a canonical Condition to FHIR R4; ``subject`` is a reference."""
    resource: dict[str, Any] = {"resourceType": "Condition"}
    if condition.id is not None:
        resource["id"] = condition.id
    if condition.clinical_status is not None:
        resource["clinicalStatus"] = _status_concept(
            CONDITION_CLINICAL_SYSTEM, condition.clinical_status
        )
    resource["code"] = codeable_concept(condition.code)
    resource["subject"] = {"reference": subject}
    if condition.onset is not None:
        resource["onsetDateTime"] = condition.onset.isoformat()
    return resource


def _medication(resource: Mapping[str, Any], resolve: Mapping[str, Any]) -> Coding:
    where = "MedicationStatement"
    if resource.get("medicationCodeableConcept") is not None:
        return coding_from_concept(
            resource["medicationCodeableConcept"], where, "medicationCodeableConcept"
        )
    if resource.get("medicationReference") is None:
        raise MappingError(where, "medication[x]", "missing")
    reference = require_object(
        resource["medicationReference"], where, "medicationReference"
    )
    target = require_str(
        reference.get("reference"), where, "medicationReference.reference"
    )
    medication = _contained(resource, target) or resolve.get(target)
    if medication is None:
        raise MappingError(
            where,
            "medicationReference.reference",
            f"{target!r} is neither contained nor in the Bundle",
        )
    return coding_from_concept(
        require_type(medication, "Medication").get("code"), "Medication", "code"
    )


def _contained(resource: Mapping[str, Any], target: str) -> Any:
    if not target.startswith("#"):
        return None
    for _, item in items(resource, "contained", "MedicationStatement"):
        if isinstance(item, Mapping) and item.get("id") == target[1:]:
            return item
    return None


def _clinical_status(resource: Mapping[str, Any], where: str) -> ClinicalStatus | None:
    if resource.get("clinicalStatus") is None:
        return None
    coding = coding_from_concept(resource["clinicalStatus"], where, "clinicalStatus")
    try:
        return ClinicalStatus(coding.code)
    except ValueError:
        raise MappingError(
            where,
            "clinicalStatus",
            f"code {coding.code!r} is not a FHIR R4 clinical status",
        ) from None


def _status_concept(system: str, status: ClinicalStatus) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": status.value}]}
