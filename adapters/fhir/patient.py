"""Map the canonical Patient to a FHIR R4 Patient and back, for any profile.

The NHS (PDS), SAS, My Health Record (AU Base) and template Patients share
the FHIR R4 core elements. They differ only in how identifiers are read and
checked, how a restricted record is labelled, and a few details a
PatientProfile declares.

Elements are written in the order the FHIR R4 Patient resource defines
them. JSON object members are unordered (RFC 8259, section 1), so no reader
depends on that order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

__all__ = [
    "IdentifierReader",
    "PatientProfile",
    "patient_from_fhir",
    "patient_to_fhir",
    "read_identifier",
    "restricted_label",
]

_WHERE = "Patient"

IdentifierReader = Callable[[Any, str], Identifier | None]
"""Reads one ``Patient.identifier`` item at a JSON path; None leaves it out."""


def read_identifier(value: Any, path: str) -> Identifier:
    """Read a Patient identifier that must have a system and a value."""
    return identifier_from_fhir(value, _WHERE, path)


def restricted_label(restricted: bool) -> list[dict[str, str]] | None:
    """Return the HL7 v3 ``R`` (restricted) label for a restricted patient only."""
    if not restricted:
        return None
    return [{"system": CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted"}]


def _unchanged(identifier: Identifier) -> Identifier:
    return identifier


@dataclass(frozen=True)
class PatientProfile:
    """The rules by which one Patient profile differs from FHIR R4 core."""

    missing_identifier: str
    """MappingError text when a Patient has no identifier left to keep."""

    read_identifier: IdentifierReader = read_identifier
    write_identifier: Callable[[Identifier], Identifier] = _unchanged
    """Function that normalises or checks each identifier before it is written."""

    security_labels: Callable[[bool], list[dict[str, str]] | None] = restricted_label
    """``meta.security`` for a restricted (True) or unrestricted patient."""

    format_deceased: Callable[[datetime], str] = format_instant
    practitioner_system: str | None = None
    """System of a ``generalPractitioner`` identifier that has none."""

    practitioner_type: str | None = "Organization"
    """``generalPractitioner.type`` to write; None writes no type."""

    drop_telecom_without_value: bool = False
    """Whether to leave out ContactPoints with no value, which some profiles allow."""


def patient_to_fhir(patient: Patient, profile: PatientProfile) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient of ``profile``."""
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if patient.id is not None:
        resource["id"] = patient.id
    security = profile.security_labels(patient.restricted)
    if security is not None:
        resource["meta"] = {"security": security}
    resource["identifier"] = [
        identifier_to_fhir(profile.write_identifier(identifier))
        for identifier in patient.identifiers
    ]

    if patient.names:
        resource["name"] = [human_name_to_fhir(name) for name in patient.names]
    if patient.telecom:
        resource["telecom"] = [contact_point_to_fhir(c) for c in patient.telecom]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = profile.format_deceased(patient.deceased_at)

    if patient.addresses:
        resource["address"] = [address_to_fhir(a) for a in patient.addresses]
    if patient.general_practitioner is not None:
        reference: dict[str, Any] = {}
        if profile.practitioner_type is not None:
            reference["type"] = profile.practitioner_type
        reference["identifier"] = identifier_to_fhir(patient.general_practitioner)
        resource["generalPractitioner"] = [reference]
    return resource


def patient_from_fhir(resource: Any, profile: PatientProfile) -> Patient:
    """Map a FHIR R4 Patient of ``profile`` to the canonical Patient.

    Raises MappingError naming the field path, never its value, and whatever
    ``profile.read_identifier`` raises for an identifier that fails a check.
    A code the canonical model rejects, such as an unknown gender, raises
    pydantic's ValidationError. Extensions, contacts and ``deceasedBoolean``
    are dropped, because the canonical model has no place for them.
    """
    body = require_type(resource, _WHERE)
    identifiers = []
    for path, item in items(body, "identifier", _WHERE):
        identifier = profile.read_identifier(item, path)
        if identifier is not None:
            identifiers.append(identifier)
    if not identifiers:
        raise MappingError(_WHERE, "identifier", profile.missing_identifier)
    birth = body.get("birthDate")
    deceased = body.get("deceasedDateTime")
    return Patient(
        id=optional_str(body.get("id"), _WHERE, "id"),
        identifiers=tuple(identifiers),
        names=tuple(
            human_name_from_fhir(item, _WHERE, path)
            for path, item in items(body, "name", _WHERE)
        ),
        gender=optional_str(body.get("gender"), _WHERE, "gender"),
        birth_date=None if birth is None else parse_date(birth, _WHERE, "birthDate"),
        deceased_at=(
            None
            if deceased is None
            else parse_instant(deceased, _WHERE, "deceasedDateTime")
        ),
        addresses=tuple(
            address_from_fhir(item, _WHERE, path)
            for path, item in items(body, "address", _WHERE)
        ),
        telecom=tuple(
            contact_point_from_fhir(item, _WHERE, path)
            for path, item in items(body, "telecom", _WHERE)
            if not profile.drop_telecom_without_value
            or require_object(item, _WHERE, path).get("value") is not None
        ),
        general_practitioner=_general_practitioner(body, profile.practitioner_system),
        restricted=is_restricted(body, _WHERE),
    )


def _general_practitioner(
    body: Mapping[str, Any], default_system: str | None
) -> Identifier | None:
    # The canonical model has one practitioner, so the first reference that
    # carries an identifier wins and later ones are dropped.
    for path, item in items(body, "generalPractitioner", _WHERE):
        reference = require_object(item, _WHERE, path)
        if reference.get("identifier") is not None:
            return identifier_from_fhir(
                reference["identifier"],
                _WHERE,
                f"{path}.identifier",
                default_system=default_system,
            )
    return None
