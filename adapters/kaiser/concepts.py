"""Read FHIR CodeableConcepts and References, noting the parts not held.

Each reader appends to ``unmapped`` the JSON path of every element that the
canonical model has no place for, such as ``code.coding[0].version``, so
that the clinical mappings never drop data silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.fhir.elements import (
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    require_object,
)
from carecert.adapters.models import Coding
from carecert.adapters.models.clinical import ResourceReference

__all__ = [
    "codings_from_concept",
    "concept_to_fhir",
    "extra_keys",
    "reference_from_fhir",
    "reference_to_fhir",
]

_CODING_KEYS = frozenset({"system", "code", "display"})
_REFERENCE_KEYS = frozenset({"reference", "identifier", "display"})


def extra_keys(
    element: Mapping[str, Any], held: frozenset[str], path: str
) -> list[str]:
    """Return the paths of the keys of ``element`` that are not in ``held``."""
    prefix = f"{path}." if path else ""
    return [f"{prefix}{key}" for key in element if key not in held]


def codings_from_concept(
    value: Any, where: str, path: str, unmapped: list[str], *, keep_text: bool
) -> tuple[list[Coding], str | None]:
    """Read the codings that have a code, and the text, of a CodeableConcept.

    Codings without a code and every coding's ``version``, ``userSelected``
    and extensions are noted in ``unmapped``, as is ``text`` unless
    ``keep_text``.
    """
    concept = require_object(value, where, path)
    unmapped.extend(extra_keys(concept, frozenset({"coding", "text"}), path))
    codings: list[Coding] = []
    for full, item in items(concept, "coding", where, path):
        element = require_object(item, where, full)
        code = optional_str(element.get("code"), where, f"{full}.code")
        if code is None:
            unmapped.append(full)
            continue
        unmapped.extend(extra_keys(element, _CODING_KEYS, full))
        codings.append(
            Coding(
                system=optional_str(element.get("system"), where, f"{full}.system"),
                code=code,
                display=optional_str(element.get("display"), where, f"{full}.display"),
            )
        )
    text = optional_str(concept.get("text"), where, f"{path}.text")
    if text is not None and not keep_text:
        unmapped.append(f"{path}.text")
        text = None
    return codings, text


def concept_to_fhir(codings: list[Coding], text: str | None = None) -> dict[str, Any]:
    """Write codings and an optional text as a FHIR CodeableConcept."""
    concept: dict[str, Any] = {}
    if codings:
        concept["coding"] = [_coding_to_fhir(coding) for coding in codings]
    if text is not None:
        concept["text"] = text
    return concept


def reference_from_fhir(
    value: Any, where: str, path: str, unmapped: list[str]
) -> ResourceReference:
    """Read a FHIR Reference. Its ``type`` and extensions are noted as unmapped."""
    element = require_object(value, where, path)
    unmapped.extend(extra_keys(element, _REFERENCE_KEYS, path))
    identifier = element.get("identifier")
    return ResourceReference(
        reference=optional_str(element.get("reference"), where, f"{path}.reference"),
        identifier=(
            None
            if identifier is None
            else identifier_from_fhir(identifier, where, f"{path}.identifier")
        ),
        display=optional_str(element.get("display"), where, f"{path}.display"),
    )


def reference_to_fhir(reference: ResourceReference) -> dict[str, Any]:
    """Write a canonical ResourceReference as a FHIR Reference."""
    element: dict[str, Any] = {}
    if reference.reference is not None:
        element["reference"] = reference.reference
    if reference.identifier is not None:
        element["identifier"] = identifier_to_fhir(reference.identifier)
    if reference.display is not None:
        element["display"] = reference.display
    return element


def _coding_to_fhir(coding: Coding) -> dict[str, Any]:
    element: dict[str, Any] = {}
    if coding.system is not None:
        element["system"] = coding.system
    element["code"] = coding.code
    if coding.display is not None:
        element["display"] = coding.display
    return element
