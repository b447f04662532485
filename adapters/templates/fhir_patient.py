"""Map the canonical Patient to a plain FHIR R4 Patient and back.

The templates share this mapping and differ only in their national
identifier: its system and its validator. Every identifier in that system is
validated in both directions and written in its normalised form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.datatypes import (
    CONFIDENTIALITY_SYSTEM,
    address_from_fhir,
    address_to_fhir,
    contact_point_from_fhir,
    contact_point_to_fhir,
    human_name_from_fhir,
    human_name_to_fhir,
    is_restricted,
)
from carecert.adapters.fhir.elements import (
    MappingError,
    format_instant,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    parse_date,
    parse_instant,
    require_object,
    require_type,
)
from carecert.adapters.models import Identifier, Patient

__all__ = ["CONFIDENTIALITY_SYSTEM", "patient_from_fhir", "patient_to_fhir"]

Validator = Callable[[str], str]

_WHERE = "Patient"


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
            human_name_from_fhir(item, _WHERE, path)
            for path, item in items(resource, "name", _WHERE)
        ),
        gender=optional_str(resource.get("gender"), _WHERE, "gender"),
        birth_date=None
        if birth_date is None
        else parse_date(birth_date, _WHERE, "birthDate"),
        deceased_at=None
        if deceased is None
        else parse_instant(deceased, _WHERE, "deceasedDateTime"),
        addresses=tuple(
            address_from_fhir(item, _WHERE, path)
            for path, item in items(resource, "address", _WHERE)
        ),
        telecom=tuple(
            contact_point_from_fhir(item, _WHERE, path)
            for path, item in items(resource, "telecom", _WHERE)
        ),
        general_practitioner=_general_practitioner(resource),
        restricted=is_restricted(resource, _WHERE),
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
        resource["name"] = [human_name_to_fhir(name) for name in patient.names]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = format_instant(patient.deceased_at)
    if patient.addresses:
        resource["address"] = [address_to_fhir(a) for a in patient.addresses]
    if patient.telecom:
        resource["telecom"] = [contact_point_to_fhir(c) for c in patient.telecom]
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
