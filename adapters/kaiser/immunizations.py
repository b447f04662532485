"""Map FHIR R4 (US Core) Immunization resources to the canonical model and back."""

from __future__ import annotations

from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    format_instant,
    optional_str,
    parse_instant,
    require_str,
    require_type,
)
from carecert.adapters.kaiser.concepts import codings_from_concept, concept_to_fhir
from carecert.adapters.models.clinical import Immunization

__all__ = ["immunization_from_fhir", "immunization_to_fhir"]

_WHERE = "Immunization"
_HELD = frozenset(
    {
        "resourceType",
        "id",
        "patient",
        "status",
        "vaccineCode",
        "occurrenceDateTime",
        "primarySource",
        "lotNumber",
    }
)


def immunization_from_fhir(resource: Any) -> Immunization:
    """Map a FHIR R4 Immunization to the canonical Immunization.

    ``occurrenceString`` and a year-only ``occurrenceDateTime`` have no
    canonical form and are listed in ``unmapped_elements``, as are elements
    such as ``performer`` and ``location``. The patient is not read here:
    the search that returned the resource checks it.
    """
    body = require_type(resource, _WHERE)
    unmapped = [key for key in body if key not in _HELD]
    codings, text = codings_from_concept(
        body.get("vaccineCode"), _WHERE, "vaccineCode", unmapped, keep_text=True
    )
    if not codings:
        raise MappingError(_WHERE, "vaccineCode.coding", "no coding with a code")
    occurrence = None
    if body.get("occurrenceDateTime") is not None:
        occurrence = parse_instant(
            body["occurrenceDateTime"], _WHERE, "occurrenceDateTime"
        )
        if occurrence is None:
            unmapped.append("occurrenceDateTime")
    primary = body.get("primarySource")
    if primary is not None and not isinstance(primary, bool):
        raise MappingError(_WHERE, "primarySource", "expected a boolean")
    return Immunization(
        id=optional_str(body.get("id"), _WHERE, "id"),
        status=require_str(body.get("status"), _WHERE, "status"),
        vaccine=codings[0],
        other_codings=tuple(codings[1:]),
        vaccine_text=text,
        occurrence=occurrence,
        primary_source=primary,
        lot_number=optional_str(body.get("lotNumber"), _WHERE, "lotNumber"),
        unmapped_elements=tuple(unmapped),
    )


def immunization_to_fhir(immunization: Immunization, patient_id: str) -> dict[str, Any]:
    """Map a canonical Immunization to FHIR R4 about Patient/``patient_id``.

    Raises ValueError without ``occurrence``, because FHIR R4 requires
    occurrence[x].
    """
    if immunization.occurrence is None:
        raise ValueError(
            "the immunization has no occurrence; FHIR R4 Immunization requires "
            "occurrence[x]."
        )
    resource: dict[str, Any] = {"resourceType": "Immunization"}
    if immunization.id is not None:
        resource["id"] = immunization.id
    resource["status"] = immunization.status
    resource["vaccineCode"] = concept_to_fhir(
        [immunization.vaccine, *immunization.other_codings], immunization.vaccine_text
    )
    resource["patient"] = {"reference": f"Patient/{patient_id}"}
    resource["occurrenceDateTime"] = format_instant(immunization.occurrence)
    if immunization.primary_source is not None:
        resource["primarySource"] = immunization.primary_source
    if immunization.lot_number is not None:
        resource["lotNumber"] = immunization.lot_number
    return resource
