"""Validation of KBV Bundles against the FHIR R4B models of fhir.resources.

KBV e-prescriptions are FHIR R4. fhir.resources 8 ships R5 at the top level
and R4B in a subpackage, and R4B accepts the R4 resources used here, so every
resource is checked with its R4B class. These are base FHIR checks only: KBV
profile rules (fixed codes, required extensions) are not validated.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from carecert.adapters.errors import CarecertError

__all__ = ["KbvBundleError", "validate_r4b_bundle"]

# Resource type -> R4B module, as laid out by fhir.resources 8.
_R4B_MODULES = {
    "Bundle": "bundle",
    "Composition": "composition",
    "Coverage": "coverage",
    "Medication": "medication",
    "MedicationRequest": "medicationrequest",
    "Organization": "organization",
    "Patient": "patient",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitionerrole",
}


class KbvBundleError(CarecertError, ValueError):
    """A KBV Bundle lacks a field the canonical model needs, or is invalid.

    The message names the resource type and the JSON path, never the field's
    value, because values can be patient data.
    """

    def __init__(self, resource_type: str, path: str, problem: str) -> None:
        self.resource_type = resource_type
        self.path = path
        self.problem = problem
        super().__init__(f"{resource_type}.{path}: {problem}")


def validate_r4b_bundle(bundle: Mapping[str, Any]) -> None:
    """Validate a Bundle and each entry's resource with the FHIR R4B models.

    Raises KbvBundleError naming the resource and the paths that failed.
    Entries of a type without a listed R4B class are checked only as part of
    the Bundle.
    """
    _validate("Bundle", "Bundle", bundle)
    for index, entry in enumerate(bundle.get("entry") or ()):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            continue
        resource_type = resource.get("resourceType")
        if resource_type in _R4B_MODULES:
            _validate(resource_type, f"entry[{index}].resource", resource)


def _model_class(resource_type: str) -> Any:
    module_name = f"fhir.resources.R4B.{_R4B_MODULES[resource_type]}"
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"validating KBV Bundles needs fhir.resources 8 ({module_name}). "
            "Install it with: pip install 'fhir.resources>=8,<9'"
        ) from error
    return getattr(module, resource_type)


def _validate(resource_type: str, path: str, resource: Mapping[str, Any]) -> None:
    from pydantic import ValidationError

    model = _model_class(resource_type)
    try:
        model.model_validate(resource)
    except ValidationError as error:
        # Locations and messages only: pydantic's input values can be
        # patient data.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
            for detail in error.errors()[:5]
        )
        raise KbvBundleError(
            resource_type,
            path,
            f"not valid FHIR R4B ({error.error_count()} errors): {problems}",
        ) from None
