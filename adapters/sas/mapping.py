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

from typing import Any

from carecert.adapters.fhir import patient as fhir_patient
from carecert.adapters.fhir.appointment import (
    optional_instant,
    participant_identifiers,
    schedule_to_fhir,
)
from carecert.adapters.fhir.datatypes import CONFIDENTIALITY_SYSTEM
from carecert.adapters.fhir.elements import (
    MappingError,
    coding_from_concept,
    identifier_to_fhir,
    items,
    optional_str,
    require_str,
    require_type,
)
from carecert.adapters.fhir.patient import PatientProfile
from carecert.adapters.models import (
    Appointment,
    AppointmentStatus,
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


PATIENT_PROFILE = PatientProfile(missing_identifier="missing; a NUHSA is required")
"""SAS Patients: FHIR R4 core, labelled ``R`` only when restricted."""


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient."""
    return fhir_patient.patient_to_fhir(patient, PATIENT_PROFILE)


def patient_from_fhir(resource: Any) -> Patient:
    """Map a FHIR R4 Patient to the canonical Patient.

    Raises MappingError for a missing or malformed field, and pydantic's
    ValidationError for a value the canonical model rejects.
    """
    return fhir_patient.patient_from_fhir(resource, PATIENT_PROFILE)


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

    resource.update(schedule_to_fhir(appointment))

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
    actors = participant_identifiers(body, ("Patient", "Location"))
    return Appointment(
        id=optional_str(body.get("id"), where, "id"),
        patient=actors["Patient"],
        location=actors["Location"],
        appointment_type=specialty,
        status=AppointmentStatus(require_str(body.get("status"), where, "status")),
        start=optional_instant(body, "start"),
        end=optional_instant(body, "end"),
        description=optional_str(body.get("description"), where, "description"),
        created=optional_instant(body, "created"),
    )
