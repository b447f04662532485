"""Map the canonical Patient to a plain FHIR R4 Patient and back.

The templates share this mapping and differ only in their national
identifier: its system and its validator. Every identifier in that system is
validated in both directions and written in its normalised form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.models import (
    Address,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.adapters.nhs.fhir import (
    MappingError,
    format_instant,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    parse_date,
    parse_instant,
    require_object,
    require_str,
    require_type,
)

__all__ = ["CONFIDENTIALITY_SYSTEM", "patient_from_fhir", "patient_to_fhir"]

CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

Validator = Callable[[str], str]

_WHERE = "Patient"
# HL7 v3 Confidentiality: R is restricted and V very restricted.
_RESTRICTED_CODES = frozenset({"R", "V"})
_NAME_LISTS = ("given", "prefix", "suffix")
_ADDRESS_FIELDS = (
    ("city", "city"),
    ("district", "district"),
    ("postal_code", "postalCode"),
    ("country", "country"),
)


def patient_from_fhir(
    resource: Any, *, national_system: str, validate: Validator
) -> Patient:
    """Map a FHIR R4 Patient to a canonical Patient.

    Raises MappingError for a missing or malformed field, including an
    identifier in ``national_system`` that ``validate`` rejects, naming the
    field path but not the value. A code the canonical model does not accept,
    such as an unknown gender, raises pydantic's ValidationError instead.
    ``deceasedBoolean``, extensions and contacts are dropped, because the
    canonical model has no place for them.
    """
    resource = require_type(resource, _WHERE)
    identifiers = tuple(
        _identifier(item, path, national_system, validate)
        for path, item in items(resource, "identifier", _WHERE)
    )
    if not identifiers:
        raise MappingError(
            _WHERE,
            "identifier",
            "missing, but the canonical Patient needs at least one",
        )
    birth_date, deceased = resource.get("birthDate"), resource.get("deceasedDateTime")
    return Patient(
        id=optional_str(resource.get("id"), _WHERE, "id"),
        identifiers=identifiers,
        names=tuple(
            _name(item, path) for path, item in items(resource, "name", _WHERE)
        ),
        gender=optional_str(resource.get("gender"), _WHERE, "gender"),
        birth_date=None
        if birth_date is None
        else parse_date(birth_date, _WHERE, "birthDate"),
        deceased_at=None
        if deceased is None
        else parse_instant(deceased, _WHERE, "deceasedDateTime"),
        addresses=tuple(
            _address(item, path) for path, item in items(resource, "address", _WHERE)
        ),
        telecom=tuple(
            _contact_point(item, path)
            for path, item in items(resource, "telecom", _WHERE)
        ),
        general_practitioner=_general_practitioner(resource),
        restricted=_is_restricted(resource),
    )


def patient_to_fhir(
    patient: Patient, *, national_system: str, validate: Validator
) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient.

    Raises InvalidIdentifierError if an identifier in ``national_system`` fails
    ``validate``.
    """
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if patient.id is not None:
        resource["id"] = patient.id
    if patient.restricted:
        resource["meta"] = {
            "security": [
                {"system": CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted"}
            ]
        }
    resource["identifier"] = [
        identifier_to_fhir(_normalised(i, national_system, validate))
        for i in patient.identifiers
    ]
    if patient.names:
        resource["name"] = [_name_to_fhir(name) for name in patient.names]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = format_instant(patient.deceased_at)
    if patient.addresses:
        resource["address"] = [_address_to_fhir(a) for a in patient.addresses]
    if patient.telecom:
        resource["telecom"] = [_contact_point_to_fhir(c) for c in patient.telecom]
    if patient.general_practitioner is not None:
        resource["generalPractitioner"] = [
            {"identifier": identifier_to_fhir(patient.general_practitioner)}
        ]
    return resource


def _identifier(
    value: Any, path: str, national_system: str, validate: Validator
) -> Identifier:
    identifier = identifier_from_fhir(value, _WHERE, path)
    if identifier.system != national_system:
        return identifier
    try:
        return Identifier(system=national_system, value=validate(identifier.value))
    except InvalidIdentifierError as error:
        # The reason is kept and the value left out, as values are patient data.
        raise MappingError(
            _WHERE, f"{path}.value", f"invalid {error.kind}: {error.reason}"
        ) from None


def _normalised(
    identifier: Identifier, national_system: str, validate: Validator
) -> Identifier:
    if identifier.system != national_system:
        return identifier
    return Identifier(system=national_system, value=validate(identifier.value))


def _name(value: Any, path: str) -> HumanName:
    element = require_object(value, _WHERE, path)
    period = require_object(element.get("period") or {}, _WHERE, f"{path}.period")
    start, end = period.get("start"), period.get("end")
    lists = {key: _strings(element, key, path) for key in _NAME_LISTS}
    return HumanName(
        use=optional_str(element.get("use"), _WHERE, f"{path}.use"),
        family=optional_str(element.get("family"), _WHERE, f"{path}.family"),
        period_start=None
        if start is None
        else parse_date(start, _WHERE, f"{path}.period.start"),
        period_end=None
        if end is None
        else parse_date(end, _WHERE, f"{path}.period.end"),
        **lists,
    )


def _name_to_fhir(name: HumanName) -> dict[str, Any]:
    element: dict[str, Any] = {}
    if name.use is not None:
        element["use"] = name.use
    if name.family is not None:
        element["family"] = name.family
    for key in _NAME_LISTS:
        if getattr(name, key):
            element[key] = list(getattr(name, key))
    period = {}
    if name.period_start is not None:
        period["start"] = name.period_start.isoformat()
    if name.period_end is not None:
        period["end"] = name.period_end.isoformat()
    if period:
        element["period"] = period
    return element


def _address(value: Any, path: str) -> Address:
    element = require_object(value, _WHERE, path)
    fields = {
        field: optional_str(element.get(key), _WHERE, f"{path}.{key}")
        for field, key in _ADDRESS_FIELDS
    }
    return Address(
        use=optional_str(element.get("use"), _WHERE, f"{path}.use"),
        line=_strings(element, "line", path),
        **fields,
    )


def _address_to_fhir(address: Address) -> dict[str, Any]:
    element: dict[str, Any] = {}
    if address.use is not None:
        element["use"] = address.use
    if address.line:
        element["line"] = list(address.line)
    for field, key in _ADDRESS_FIELDS:
        if getattr(address, field) is not None:
            element[key] = getattr(address, field)
    return element


def _contact_point(value: Any, path: str) -> ContactPoint:
    element = require_object(value, _WHERE, path)
    return ContactPoint(
        system=require_str(element.get("system"), _WHERE, f"{path}.system"),
        value=require_str(element.get("value"), _WHERE, f"{path}.value"),
        use=optional_str(element.get("use"), _WHERE, f"{path}.use"),
    )


def _contact_point_to_fhir(contact: ContactPoint) -> dict[str, Any]:
    element: dict[str, Any] = {"system": contact.system, "value": contact.value}
    if contact.use is not None:
        element["use"] = contact.use
    return element


def _general_practitioner(resource: Mapping[str, Any]) -> Identifier | None:
    # The canonical model has one practitioner field, so later entries are dropped.
    for path, item in items(resource, "generalPractitioner", _WHERE):
        reference = require_object(item, _WHERE, path)
        if reference.get("identifier") is None:
            return None
        return identifier_from_fhir(
            reference["identifier"], _WHERE, f"{path}.identifier"
        )
    return None


def _is_restricted(resource: Mapping[str, Any]) -> bool:
    meta = require_object(resource.get("meta") or {}, _WHERE, "meta")
    for path, label in items(meta, "security", _WHERE, "meta"):
        if require_object(label, _WHERE, path).get("code") in _RESTRICTED_CODES:
            return True
    return False


def _strings(element: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    return tuple(
        require_str(item, _WHERE, item_path)
        for item_path, item in items(element, key, _WHERE, path)
    )
