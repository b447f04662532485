"""Map FHIR R4 HumanName, Address, ContactPoint, Period and security labels.

The NHS, SAS and template Patient mappings read and write these datatypes
the same way, so they share this module. ``where`` is the resource type and
``path`` the JSON path of the element, both used only in MappingError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from carecert.adapters.fhir.elements import (
    items,
    optional_str,
    parse_date,
    require_object,
    require_str,
    strings,
)
from carecert.adapters.models import Address, ContactPoint, HumanName

__all__ = [
    "CONFIDENTIALITY_SYSTEM",
    "address_from_fhir",
    "address_to_fhir",
    "contact_point_from_fhir",
    "contact_point_to_fhir",
    "human_name_from_fhir",
    "human_name_to_fhir",
    "is_restricted",
    "period_to_fhir",
]

CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

# HL7 v3 Confidentiality: R is restricted and V very restricted. PDS marks
# restricted ("sensitive") patients R and also lists V.
_RESTRICTED_CODES = frozenset({"R", "V"})

_NAME_LISTS = ("given", "prefix", "suffix")
_ADDRESS_FIELDS = (
    ("city", "city"),
    ("district", "district"),
    ("state", "state"),
    ("postal_code", "postalCode"),
    ("country", "country"),
)
"""Canonical Address field and FHIR element of each optional string, in FHIR order."""


def human_name_from_fhir(value: Any, where: str, path: str) -> HumanName:
    """Read a FHIR HumanName. A partial period date is read as None."""
    element = require_object(value, where, path)
    period = require_object(element.get("period") or {}, where, f"{path}.period")
    start, end = period.get("start"), period.get("end")
    return HumanName(
        use=optional_str(element.get("use"), where, f"{path}.use"),
        family=optional_str(element.get("family"), where, f"{path}.family"),
        given=strings(element, "given", where, path),
        prefix=strings(element, "prefix", where, path),
        suffix=strings(element, "suffix", where, path),
        period_start=(
            None if start is None else parse_date(start, where, f"{path}.period.start")
        ),
        period_end=(
            None if end is None else parse_date(end, where, f"{path}.period.end")
        ),
    )


def human_name_to_fhir(name: HumanName) -> dict[str, Any]:
    """Write a canonical HumanName, leaving out empty elements."""
    element: dict[str, Any] = {}
    if name.use is not None:
        element["use"] = name.use
    if name.family is not None:
        element["family"] = name.family
    for key in _NAME_LISTS:
        values = getattr(name, key)
        if values:
            element[key] = list(values)
    if name.period_start is not None or name.period_end is not None:
        element["period"] = period_to_fhir(name.period_start, name.period_end)
    return element


def address_from_fhir(value: Any, where: str, path: str) -> Address:
    """Read a FHIR Address, dropping its type, text and period."""
    element = require_object(value, where, path)
    return Address(
        use=optional_str(element.get("use"), where, f"{path}.use"),
        line=strings(element, "line", where, path),
        city=optional_str(element.get("city"), where, f"{path}.city"),
        district=optional_str(element.get("district"), where, f"{path}.district"),
        state=optional_str(element.get("state"), where, f"{path}.state"),
        postal_code=optional_str(
            element.get("postalCode"), where, f"{path}.postalCode"
        ),
        country=optional_str(element.get("country"), where, f"{path}.country"),
    )


def address_to_fhir(address: Address) -> dict[str, Any]:
    """Write a canonical Address, leaving out empty elements."""
    element: dict[str, Any] = {}
    if address.use is not None:
        element["use"] = address.use
    if address.line:
        element["line"] = list(address.line)
    for field, key in _ADDRESS_FIELDS:
        value = getattr(address, field)
        if value is not None:
            element[key] = value
    return element


def contact_point_from_fhir(value: Any, where: str, path: str) -> ContactPoint:
    """Read a FHIR ContactPoint, which needs a system and a value."""
    element = require_object(value, where, path)
    return ContactPoint(
        system=require_str(element.get("system"), where, f"{path}.system"),
        value=require_str(element.get("value"), where, f"{path}.value"),
        use=optional_str(element.get("use"), where, f"{path}.use"),
    )


def contact_point_to_fhir(contact: ContactPoint) -> dict[str, Any]:
    """Write a canonical ContactPoint."""
    element: dict[str, Any] = {"system": contact.system, "value": contact.value}
    if contact.use is not None:
        element["use"] = contact.use
    return element


def period_to_fhir(start: date | None, end: date | None) -> dict[str, str]:
    """Write a FHIR Period from dates, leaving out a missing bound."""
    period: dict[str, str] = {}
    if start is not None:
        period["start"] = start.isoformat()
    if end is not None:
        period["end"] = end.isoformat()
    return period


def is_restricted(resource: Mapping[str, Any], where: str) -> bool:
    """Return whether ``meta.security`` has the HL7 code R or V (very restricted)."""
    meta = require_object(resource.get("meta") or {}, where, "meta")
    for path, label in items(meta, "security", where, "meta"):
        if require_object(label, where, path).get("code") in _RESTRICTED_CODES:
            return True
    return False
