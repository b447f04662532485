"""Build and read FHIR R4 ``collection`` Bundles of one patient's record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from carecert.adapters.fhir.elements import items, require_object, require_type

__all__ = ["SUBJECT_ELEMENTS", "bundle_resources", "collection_bundle"]

SUBJECT_ELEMENTS: Mapping[str, str] = {
    "Condition": "subject",
    "MedicationStatement": "subject",
    "AllergyIntolerance": "patient",
}
"""Element of each clinical resource type that refers to the patient."""


def collection_bundle(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Wrap ``resources``, in order, as the entries of a collection Bundle."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


def bundle_resources(resource: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """Return (path, resource) for each entry of a Bundle, in order.

    Raises MappingError if ``resource`` is not a Bundle or an entry has no
    resource object. The path, such as ``entry[2].resource``, is for errors.
    """
    where = "Bundle"
    bundle = require_type(resource, where)
    return [
        (
            f"{path}.resource",
            require_object(
                require_object(entry, where, path).get("resource"),
                where,
                f"{path}.resource",
            ),
        )
        for path, entry in items(bundle, "entry", where)
    ]
