"""Map FHIR R4 (US Core) Condition resources to the canonical Condition and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    items,
    optional_str,
    parse_date,
    require_type,
)
from carecert.adapters.kaiser.concepts import codings_from_concept, concept_to_fhir
from carecert.adapters.models import ClinicalStatus, Condition

__all__ = [
    "CLINICAL_STATUS_SYSTEM",
    "VERIFICATION_STATUS_SYSTEM",
    "condition_from_fhir",
    "condition_to_fhir",
]

CLINICAL_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/condition-ver-status"
)

_WHERE = "Condition"
_HELD = frozenset(
    {
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
)


def condition_from_fhir(resource: Any) -> Condition:
    """Map a FHIR R4 Condition to the canonical Condition.

    The subject is not read here: the search that returned the resource
    checks it. Elements the model has no place for, such as ``onsetAge``,
    ``encounter`` or ``extension``, are listed in ``unmapped_elements``.
    Raises MappingError if ``code`` has no coding with a code, because the
    canonical Condition needs one.
    """
    body = require_type(resource, _WHERE)
    unmapped = [key for key in body if key not in _HELD]
    codings, text = codings_from_concept(
        body.get("code"), _WHERE, "code", unmapped, keep_text=True
    )
    if not codings:
        # NOTE: a text-only Condition.code cannot be held, because the
        # canonical Condition requires a coded problem.
        raise MappingError(_WHERE, "code.coding", "no coding with a code")
    categories = []
    for path, item in items(body, "category", _WHERE):
        found, _ = codings_from_concept(item, _WHERE, path, unmapped, keep_text=False)
        categories.extend(found)
    return Condition(
        id=optional_str(body.get("id"), _WHERE, "id"),
        code=codings[0],
        other_codings=tuple(codings[1:]),
        text=text,
        clinical_status=_clinical_status(body, unmapped),
        verification_status=_status_code(
            body, "verificationStatus", VERIFICATION_STATUS_SYSTEM, unmapped
        ),
        categories=tuple(categories),
        onset=_date(body, "onsetDateTime", unmapped),
        abatement=_date(body, "abatementDateTime", unmapped),
        recorded=_date(body, "recordedDate", unmapped),
        unmapped_elements=tuple(unmapped),
    )


def condition_to_fhir(condition: Condition, patient_id: str) -> dict[str, Any]:
    """Map a canonical Condition to a FHIR R4 Condition about Patient/``patient_id``."""
    resource: dict[str, Any] = {"resourceType": "Condition"}
    if condition.id is not None:
        resource["id"] = condition.id
    if condition.clinical_status is not None:
        resource["clinicalStatus"] = _status_concept(
            CLINICAL_STATUS_SYSTEM, condition.clinical_status.value
        )
    if condition.verification_status is not None:
        resource["verificationStatus"] = _status_concept(
            VERIFICATION_STATUS_SYSTEM, condition.verification_status
        )
    if condition.categories:
        resource["category"] = [concept_to_fhir([c]) for c in condition.categories]
    resource["code"] = concept_to_fhir(
        [condition.code, *condition.other_codings], condition.text
    )
    resource["subject"] = {"reference": f"Patient/{patient_id}"}
    if condition.onset is not None:
        resource["onsetDateTime"] = condition.onset.isoformat()
    if condition.abatement is not None:
        resource["abatementDateTime"] = condition.abatement.isoformat()
    if condition.recorded is not None:
        resource["recordedDate"] = condition.recorded.isoformat()
    return resource


def _clinical_status(
    body: Mapping[str, Any], unmapped: list[str]
) -> ClinicalStatus | None:
    code = _status_code(body, "clinicalStatus", CLINICAL_STATUS_SYSTEM, unmapped)
    if code is None:
        return None
    try:
        return ClinicalStatus(code)
    except ValueError:
        raise MappingError(
            _WHERE, "clinicalStatus", "not a FHIR condition-clinical code"
        ) from None


def _status_code(
    body: Mapping[str, Any], key: str, system: str, unmapped: list[str]
) -> str | None:
    if body.get(key) is None:
        return None
    codings, _ = codings_from_concept(body[key], _WHERE, key, unmapped, keep_text=False)
    for index, coding in enumerate(codings):
        if coding.system in (None, system):
            # Only the code is held: its system is fixed and display is its name.
            unmapped.extend(
                f"{key}.coding[{other}]"
                for other in range(len(codings))
                if other != index
            )
            return coding.code
    unmapped.append(key)
    return None


def _status_concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _date(body: Mapping[str, Any], key: str, unmapped: list[str]) -> Any:
    value = body.get(key)
    if value is None:
        return None
    parsed = parse_date(value, _WHERE, key)
    if parsed is None:
        # A year or year-month date has no canonical form, so it is listed.
        unmapped.append(key)
    return parsed
