"""Map canonical patients and appointments to and from SAS FHIR R4 resources.

Spanish names carry two family names (apellidos). The adapter keeps both in
FHIR ``HumanName.family``, separated by a space ("Peña Ruiz"), because a
single surname may itself contain spaces ("de la Fuente") and so cannot be
split reliably. The canonical ``HumanName.family`` contains the same string.

The canonical ``Appointment.appointment_type`` contains the specialty code, which
FHIR carries as ``Appointment.specialty``. The centre is a Location
participant, named by its code or, where only a name is known, by the name.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    coding_from_concept,
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
from carecert.adapters.models import (
    Appointment,
    AppointmentStatus,
    Identifier,
    Patient,
)
from carecert.adapters.sas.codes import (
    CENTRE_NAME_SYSTEM,
    SPECIALTIES,
    SPECIALTY_SYSTEM,
)

__all__ = [
    "CONFIDENTIALITY_SYSTEM",
    "appointment_from_fhir",
    "appointment_to_fhir",
    "patient_from_fhir",
    "patient_to_fhir",
]


# Patient


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient."""
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if patient.id is not None:
        resource["id"] = patient.id

    if patient.restricted:
        resource["meta"] = {
            "security": [
                {"system": CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted"}
            ]
        }
    resource["identifier"] = [identifier_to_fhir(i) for i in patient.identifiers]

    if patient.names:
        resource["name"] = [human_name_to_fhir(name) for name in patient.names]
    if patient.telecom:
        resource["telecom"] = [contact_point_to_fhir(c) for c in patient.telecom]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = format_instant(patient.deceased_at)

    if patient.addresses:
        resource["address"] = [address_to_fhir(a) for a in patient.addresses]
    if patient.general_practitioner is not None:
        resource["generalPractitioner"] = [
            {
                "type": "Organization",
                "identifier": identifier_to_fhir(patient.general_practitioner),
            }
        ]
    return resource


def patient_from_fhir(resource: Any) -> Patient:
    """Map a FHIR R4 Patient to the canonical Patient.

    Raises MappingError for a missing or malformed field, and pydantic's
    ValidationError for a value the canonical model rejects.
    """
    where = "Patient"
    body = require_type(resource, where)
    identifiers = tuple(
        identifier_from_fhir(item, where, path)
        for path, item in items(body, "identifier", where)
    )
    if not identifiers:
        raise MappingError(where, "identifier", "missing; a NUHSA is required")
    practitioner = None
    for path, item in items(body, "generalPractitioner", where):
        reference = require_object(item, where, path)
        if reference.get("identifier") is not None:
            practitioner = identifier_from_fhir(
                reference["identifier"], where, f"{path}.identifier"
            )
            break
    birth = body.get("birthDate")
    deceased = body.get("deceasedDateTime")
    return Patient(
        id=optional_str(body.get("id"), where, "id"),
        identifiers=identifiers,
        names=tuple(
            human_name_from_fhir(item, where, path)
            for path, item in items(body, "name", where)
        ),
        gender=optional_str(body.get("gender"), where, "gender"),
        birth_date=None if birth is None else parse_date(birth, where, "birthDate"),
        deceased_at=(
            None
            if deceased is None
            else parse_instant(deceased, where, "deceasedDateTime")
        ),
        addresses=tuple(
            address_from_fhir(item, where, path)
            for path, item in items(body, "address", where)
        ),
        telecom=tuple(
            contact_point_from_fhir(item, where, path)
            for path, item in items(body, "telecom", where)
        ),
        general_practitioner=practitioner,
        restricted=is_restricted(body, where),
    )


# Appointment


def appointment_to_fhir(appointment: Appointment) -> dict[str, Any]:
    """Map a canonical Appointment to a FHIR R4 Appointment."""
    resource: dict[str, Any] = {"resourceType": "Appointment"}
    if appointment.id is not None:
        resource["id"] = appointment.id
    resource["status"] = appointment.status.value

    specialty: dict[str, Any] = {
        "system": SPECIALTY_SYSTEM,
        "code": appointment.appointment_type,
    }
    display = SPECIALTIES.get(appointment.appointment_type)
    if display is not None:
        specialty["display"] = display
    resource["specialty"] = [{"coding": [specialty]}]

    if appointment.description is not None:
        resource["description"] = appointment.description
    if appointment.start is not None:
        resource["start"] = format_instant(appointment.start)
    if appointment.end is not None:
        resource["end"] = format_instant(appointment.end)
    if appointment.created is not None:
        resource["created"] = format_instant(appointment.created)

    location: dict[str, Any] = {
        "type": "Location",
        "identifier": identifier_to_fhir(appointment.location),
    }
    if appointment.location.system == CENTRE_NAME_SYSTEM:
        location["display"] = appointment.location.value
    resource["participant"] = [
        {
            "actor": {
                "type": "Patient",
                "identifier": identifier_to_fhir(appointment.patient),
            },
            "status": "accepted",
        },
        {"actor": location, "status": "accepted"},
    ]
    return resource


def appointment_from_fhir(resource: Any) -> Appointment:
    """Map a FHIR R4 Appointment to the canonical Appointment.

    The first participant whose actor type is Patient is the patient, and
    the first of type Location is the centre. Both must carry an identifier.
    """
    where = "Appointment"
    body = require_type(resource, where)
    specialty = None
    for path, concept in items(body, "specialty", where):
        coding = coding_from_concept(concept, where, path)
        if coding.system in (None, SPECIALTY_SYSTEM):
            specialty = coding.code
            break
    if specialty is None:
        raise MappingError(where, "specialty", f"no coding in {SPECIALTY_SYSTEM}")
    actors: dict[str, Identifier] = {}
    for path, participant in items(body, "participant", where):
        participant = require_object(participant, where, path)
        actor = require_object(participant.get("actor") or {}, where, f"{path}.actor")
        kind = actor.get("type")
        if kind in ("Patient", "Location") and kind not in actors:
            actors[kind] = identifier_from_fhir(
                actor.get("identifier"), where, f"{path}.actor.identifier"
            )
    for kind in ("Patient", "Location"):
        if kind not in actors:
            raise MappingError(where, "participant", f"no {kind} participant")
    return Appointment(
        id=optional_str(body.get("id"), where, "id"),
        patient=actors["Patient"],
        location=actors["Location"],
        appointment_type=specialty,
        status=AppointmentStatus(require_str(body.get("status"), where, "status")),
        start=_instant(body, "start"),
        end=_instant(body, "end"),
        description=optional_str(body.get("description"), where, "description"),
        created=_instant(body, "created"),
    )


def _instant(body: Mapping[str, Any], key: str) -> Any:
    value = body.get(key)
    return None if value is None else parse_instant(value, "Appointment", key)
