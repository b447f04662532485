"""Map FHIR R4 (US Core) MedicationRequest resources to the canonical model and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    format_instant,
    items,
    optional_str,
    parse_instant,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.kaiser.concepts import (
    codings_from_concept,
    concept_to_fhir,
    extra_keys,
    reference_from_fhir,
    reference_to_fhir,
)
from carecert.adapters.models import Coding
from carecert.adapters.models.clinical import MedicationRequest

__all__ = ["medication_request_from_fhir", "medication_request_to_fhir"]

_WHERE = "MedicationRequest"
_HELD = frozenset(
    {
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
)


def medication_request_from_fhir(resource: Any) -> MedicationRequest:
    """Map a FHIR R4 MedicationRequest to the canonical MedicationRequest.

    A ``medicationReference`` to a contained Medication (``#med1``) is
    resolved to that Medication's code. A reference to a Medication outside
    the resource is kept in ``medication_reference``, unresolved. Elements
    the model has no place for, structured dosage included, are listed in
    ``unmapped_elements``.
    """
    body = require_type(resource, _WHERE)
    unmapped = [key for key in body if key not in _HELD]
    codings: list[Coding] = []
    text = None
    reference = None
    if body.get("medicationCodeableConcept") is not None:
        codings, text = codings_from_concept(
            body["medicationCodeableConcept"],
            _WHERE,
            "medicationCodeableConcept",
            unmapped,
            keep_text=True,
        )
    elif body.get("medicationReference") is not None:
        codings, text, reference = _referenced_medication(body, unmapped)
    else:
        raise MappingError(
            _WHERE, "medication[x]", "missing; FHIR R4 requires medication[x]"
        )
    if body.get("contained") is not None and body.get("medicationReference") is None:
        unmapped.append("contained")
    if not codings and text is None and reference is None:
        raise MappingError(_WHERE, "medication[x]", "has no coding, text or reference")
    requester = None
    if body.get("requester") is not None:
        requester = reference_from_fhir(
            body["requester"], _WHERE, "requester", unmapped
        )
    reasons: list[Coding] = []
    for path, item in items(body, "reasonCode", _WHERE):
        found, _ = codings_from_concept(item, _WHERE, path, unmapped, keep_text=False)
        reasons.extend(found)
    authored = body.get("authoredOn")
    return MedicationRequest(
        id=optional_str(body.get("id"), _WHERE, "id"),
        status=require_str(body.get("status"), _WHERE, "status"),
        intent=require_str(body.get("intent"), _WHERE, "intent"),
        medication=codings[0] if codings else None,
        other_codings=tuple(codings[1:]),
        medication_text=text,
        medication_reference=reference,
        authored_on=(
            None if authored is None else parse_instant(authored, _WHERE, "authoredOn")
        ),
        requester=requester,
        dosage=_dosage_texts(body, unmapped),
        reasons=tuple(reasons),
        unmapped_elements=tuple(unmapped),
    )


def medication_request_to_fhir(
    request: MedicationRequest, patient_id: str
) -> dict[str, Any]:
    """Map a canonical MedicationRequest to FHIR R4 about Patient/``patient_id``.

    Raises ValueError if the request has no medication coding or text, or
    has ``medication_reference``, which this mapping does not write.
    """
    if request.medication_reference is not None:
        raise ValueError(
            "medication_reference cannot be written: the adapter reads such "
            "references but does not serve the Medication they point to."
        )
    codings = [] if request.medication is None else [request.medication]
    codings.extend(request.other_codings)
    if not codings and request.medication_text is None:
        raise ValueError(
            "the request has neither medication nor medication_text; FHIR "
            "MedicationRequest needs medication[x]."
        )
    resource: dict[str, Any] = {"resourceType": "MedicationRequest"}
    if request.id is not None:
        resource["id"] = request.id
    resource["status"] = request.status
    resource["intent"] = request.intent
    resource["medicationCodeableConcept"] = concept_to_fhir(
        codings, request.medication_text
    )
    resource["subject"] = {"reference": f"Patient/{patient_id}"}
    if request.authored_on is not None:
        resource["authoredOn"] = format_instant(request.authored_on)
    if request.requester is not None:
        resource["requester"] = reference_to_fhir(request.requester)
    if request.dosage:
        resource["dosageInstruction"] = [{"text": text} for text in request.dosage]
    if request.reasons:
        resource["reasonCode"] = [concept_to_fhir([c]) for c in request.reasons]
    return resource


def _referenced_medication(
    body: Mapping[str, Any], unmapped: list[str]
) -> tuple[list[Coding], str | None, str | None]:
    element = require_object(body["medicationReference"], _WHERE, "medicationReference")
    unmapped.extend(
        extra_keys(element, frozenset({"reference", "display"}), "medicationReference")
    )
    target = require_str(
        element.get("reference"), _WHERE, "medicationReference.reference"
    )
    display = optional_str(
        element.get("display"), _WHERE, "medicationReference.display"
    )
    if not target.startswith("#"):
        if body.get("contained") is not None:
            unmapped.append("contained")
        return [], display, target
    for path, item in items(body, "contained", _WHERE):
        contained = require_object(item, _WHERE, path)
        if (
            contained.get("resourceType") != "Medication"
            or contained.get("id") != target[1:]
        ):
            unmapped.append(path)
            continue
        medication_keys = frozenset({"resourceType", "id", "code"})
        unmapped.extend(extra_keys(contained, medication_keys, path))
        codings, text = codings_from_concept(
            contained.get("code"), _WHERE, f"{path}.code", unmapped, keep_text=True
        )
        if display is not None and display != text:
            unmapped.append("medicationReference.display")
        return codings, text if text is not None else display, None
    raise MappingError(
        _WHERE,
        "medicationReference.reference",
        "points to a contained Medication that is not in 'contained'",
    )


def _dosage_texts(body: Mapping[str, Any], unmapped: list[str]) -> tuple[str, ...]:
    texts = []
    for path, item in items(body, "dosageInstruction", _WHERE):
        dosage = require_object(item, _WHERE, path)
        # NOTE: structured dosage (timing, route, doseAndRate) is not held by
        # the canonical model, so only its text is read and the rest listed.
        unmapped.extend(extra_keys(dosage, frozenset({"text"}), path))
        text = optional_str(dosage.get("text"), _WHERE, f"{path}.text")
        if text is not None:
            texts.append(text)
    return tuple(texts)
