"""FHIR R4 JSON elements: reading, checking and writing them, for every adapter.

Readers raise MappingError naming the resource type and the JSON path of the
bad field, never its value, because values can be patient data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carecert.adapters.models import Coding, Identifier

__all__ = [
    "FHIR_JSON",
    "MappingError",
    "codeable_concept",
    "coding_from_concept",
    "format_instant",
    "identifier_from_fhir",
    "identifier_to_fhir",
    "items",
    "optional_str",
    "parse_date",
    "parse_instant",
    "require_object",
    "require_str",
    "require_type",
    "strings",
]

FHIR_JSON = "application/fhir+json"

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2})?")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"
)


class MappingError(ValueError):
    """A FHIR resource lacks a field the canonical model needs, or has a bad one."""

    def __init__(self, resource_type: str, path: str, problem: str) -> None:
        self.resource_type = resource_type
        self.path = path
        self.problem = problem
        super().__init__(f"{resource_type}.{path}: {problem}")


def require_type(resource: Any, resource_type: str) -> Mapping[str, Any]:
    """Return ``resource`` if it is a JSON object of ``resource_type``."""
    if not isinstance(resource, Mapping):
        raise MappingError(
            resource_type,
            "resourceType",
            f"expected a JSON object, got {_kind(resource)}",
        )
    found = resource.get("resourceType")
    if found != resource_type:
        raise MappingError(
            resource_type, "resourceType", f"expected {resource_type!r}, got {found!r}"
        )
    return resource


def items(
    element: Mapping[str, Any], key: str, where: str, parent: str = ""
) -> Iterator[tuple[str, Any]]:
    """Yield (path, item) for each item of the array ``key``, if present.

    ``parent`` is the path of ``element`` inside the resource, so that paths
    in errors are complete, as in ``name[0].given``.
    """
    path = f"{parent}.{key}" if parent else key
    value = element.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        raise MappingError(where, path, f"expected an array, got {_kind(value)}")
    for index, item in enumerate(value):
        yield f"{path}[{index}]", item


def require_str(value: Any, where: str, path: str) -> str:
    """Return ``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise MappingError(
            where, path, f"expected a non-empty string, got {_kind(value)}"
        )
    return value


def optional_str(value: Any, where: str, path: str) -> str | None:
    """Return ``value`` if it is a non-empty string, None if it is absent."""
    if value is None:
        return None
    return require_str(value, where, path)


def strings(
    element: Mapping[str, Any], key: str, where: str, parent: str
) -> tuple[str, ...]:
    """Read the array ``key`` of ``element`` as non-empty strings, () if absent."""
    return tuple(
        require_str(item, where, path)
        for path, item in items(element, key, where, parent)
    )


def require_object(value: Any, where: str, path: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object."""
    if not isinstance(value, Mapping):
        raise MappingError(where, path, f"expected a JSON object, got {_kind(value)}")
    return value


def parse_date(value: Any, where: str, path: str) -> date | None:
    """Read the date part of a FHIR date or dateTime.

    Returns None for a partial date (``2010`` or ``2010-10``), because a
    canonical date needs a day and inventing one would be wrong.
    """
    text = require_str(value, where, path)
    # NOTE: PDS sends year-only or year-month dates for a few patients; those
    # fields come back as None rather than failing the whole record.
    if _PARTIAL_DATE.fullmatch(text):
        return None
    if _FULL_DATE.fullmatch(text[:10]) and (
        len(text) == 10 or _DATE_TIME.fullmatch(text)
    ):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise MappingError(where, path, "expected a FHIR date such as 2010-10-22")


def parse_instant(value: Any, where: str, path: str) -> datetime | None:
    """Read a FHIR dateTime as a timezone-aware datetime.

    A date without a time is read as midnight UTC, and a time without an
    offset as UTC, which is how PDS documents its dateTime fields. A partial
    date returns None.
    """
    text = require_str(value, where, path)
    if _PARTIAL_DATE.fullmatch(text):
        return None
    try:
        if _FULL_DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        if _DATE_TIME.fullmatch(text):
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    raise MappingError(
        where, path, "expected a FHIR dateTime such as 2010-10-22T00:00:00+00:00"
    )


def format_instant(moment: datetime, *, utc: bool = False) -> str:
    """Write an aware datetime as a FHIR instant, in UTC if ``utc`` is true.

    FHIR offsets have whole minutes, so any other offset is written as UTC.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    if utc or offset % timedelta(minutes=1):
        moment = moment.astimezone(UTC)
    return moment.isoformat()


def identifier_from_fhir(
    value: Any, where: str, path: str, *, default_system: str | None = None
) -> Identifier:
    """Read a FHIR Identifier; ``default_system`` fills a missing system."""
    element = require_object(value, where, path)
    system = optional_str(element.get("system"), where, f"{path}.system")
    system = system or default_system
    if system is None:
        raise MappingError(where, f"{path}.system", "missing")
    return Identifier(
        system=system, value=require_str(element.get("value"), where, f"{path}.value")
    )


def identifier_to_fhir(identifier: Identifier) -> dict[str, str]:
    """Write a canonical Identifier as a FHIR Identifier."""
    return {"system": identifier.system, "value": identifier.value}


def coding_from_concept(value: Any, where: str, path: str) -> Coding:
    """Read the first coding that has a code from a FHIR CodeableConcept."""
    concept = require_object(value, where, path)
    for full, coding in items(concept, "coding", where, path):
        coding = require_object(coding, where, full)
        if coding.get("code") is None:
            continue
        return Coding(
            system=optional_str(coding.get("system"), where, f"{full}.system"),
            code=require_str(coding.get("code"), where, f"{full}.code"),
            display=optional_str(coding.get("display"), where, f"{full}.display"),
        )
    raise MappingError(where, f"{path}.coding", "no coding with a code")


def codeable_concept(coding: Coding) -> dict[str, Any]:
    """Write a canonical Coding as a FHIR CodeableConcept with one coding."""
    element: dict[str, Any] = {"code": coding.code}
    if coding.system is not None:
        element["system"] = coding.system
    if coding.display is not None:
        element["display"] = coding.display
    return {"coding": [element]}


def _kind(value: Any) -> str:
    # Names the JSON type only; the value itself may be patient data.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
