"""Map NHS FHIR R4 resources to the canonical model and back.

Patient follows NHS Digital's PDS FHIR R4 API. MedicationStatement,
AllergyIntolerance, Condition and Appointment follow FHIR R4 core. The
clinical mappers live in carecert.adapters.fhir.clinical, and this module
re-exports them for existing imports. Each ``*_from_fhir`` raises
MappingError for a resource the model cannot hold, and each ``*_to_fhir``
writes only valid FHIR R4, raising ValueError for a canonical value that
FHIR has no code for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carecert.adapters.fhir import patient as fhir_patient
from carecert.adapters.fhir.appointment import optional_instant, schedule_to_fhir
from carecert.adapters.fhir.clinical import (
    ALLERGY_CLINICAL_SYSTEM,
    CONDITION_CLINICAL_SYSTEM,
    allergy_from_fhir,
    allergy_to_fhir,
    condition_from_fhir,
    condition_to_fhir,
    medication_statement_from_fhir,
    medication_statement_to_fhir,
)
from carecert.adapters.fhir.datatypes import CONFIDENTIALITY_SYSTEM
from carecert.adapters.fhir.elements import (
    MappingError,
    coding_from_concept,
    format_instant,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.fhir.patient import PatientProfile
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    Appointment,
    Identifier,
    Patient,
)
from carecert.adapters.nhs.fhir import ODS_SYSTEM

__all__ = [
    "ALLERGY_CLINICAL_SYSTEM",
    "CONDITION_CLINICAL_SYSTEM",
    "CONFIDENTIALITY_SYSTEM",
    "allergy_from_fhir",
    "allergy_to_fhir",
    "appointment_from_fhir",
    "appointment_to_fhir",
    "condition_from_fhir",
    "condition_to_fhir",
    "medication_statement_from_fhir",
    "medication_statement_to_fhir",
    "patient_from_fhir",
    "patient_to_fhir",
]

APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"

_APPOINTMENT_TYPE_CODES = frozenset(
    {"CHECKUP", "EMERGENCY", "FOLLOWUP", "ROUTINE", "WALKIN"}
)


# Patient


def _read_identifier(value: Any, path: str) -> Identifier:
    # The PDS schema declares the NHS number system as the default.
    return identifier_from_fhir(
        value, "Patient", path, default_system=NHS_NUMBER_SYSTEM
    )


def _confidentiality_label(restricted: bool) -> list[dict[str, str]]:
    # PDS labels every Patient, unrestricted ones with U.
    code, display = ("R", "restricted") if restricted else ("U", "unrestricted")
    return [{"system": CONFIDENTIALITY_SYSTEM, "code": code, "display": display}]


def _format_deceased(moment: datetime) -> str:
    # PDS deceasedDateTime is UTC with whole seconds, so a fraction is dropped.
    return format_instant(moment.replace(microsecond=0), utc=True)


PATIENT_PROFILE = PatientProfile(
    missing_identifier="missing, but PDS always sends the NHS number here",
    read_identifier=_read_identifier,
    security_labels=_confidentiality_label,
    format_deceased=_format_deceased,
    practitioner_system=ODS_SYSTEM,
)
"""PDS Patients: NHS numbers by default, every record labelled R or U."""


def patient_from_fhir(resource: Any) -> Patient:
    """Map a PDS Patient to a canonical Patient.

    A missing identifier system is read as the NHS number system, which is
    what the PDS schema declares as its default. Fields the canonical model
    has no place for (extensions, contacts, address and telecom
    periods) are dropped.
    """
    return fhir_patient.patient_from_fhir(resource, PATIENT_PROFILE)


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to a PDS-shaped FHIR R4 Patient."""
    return fhir_patient.patient_to_fhir(patient, PATIENT_PROFILE)


# Appointment


def appointment_from_fhir(resource: Any) -> Appointment:
    """Map a FHIR R4 Appointment to the canonical model.

    The patient is the participant whose actor is a Patient (by identifier, or
    by a ``Patient/<NHS number>`` reference as PDS ids are NHS numbers). The
    location is the Location participant, which must carry an identifier.
    """
    where = "Appointment"
    resource = require_type(resource, where)
    patient: Identifier | None = None
    location: Identifier | None = None
    for path, participant in items(resource, "participant", where):
        participant = require_object(participant, where, path)
        actor = require_object(participant.get("actor") or {}, where, f"{path}.actor")
        kind = _actor_type(actor)
        if kind == "Patient" and patient is None:
            patient = _patient_actor(actor, f"{path}.actor")
        elif kind == "Location" and location is None:
            location = identifier_from_fhir(
                actor.get("identifier"),
                where,
                f"{path}.actor.identifier",
                default_system=ODS_SYSTEM,
            )
    if patient is None:
        raise MappingError(where, "participant", "no participant is a Patient")
    if location is None:
        raise MappingError(where, "participant", "no participant is a Location")
    return Appointment(
        id=optional_str(resource.get("id"), where, "id"),
        patient=patient,
        location=location,
        appointment_type=_appointment_type(resource),
        status=require_str(resource.get("status"), where, "status"),
        start=optional_instant(resource, "start"),
        end=optional_instant(resource, "end"),
        description=optional_str(resource.get("description"), where, "description"),
        created=optional_instant(resource, "created"),
    )


def appointment_to_fhir(appointment: Appointment) -> dict[str, Any]:
    """Map a canonical Appointment to a FHIR R4 Appointment."""
    resource: dict[str, Any] = {"resourceType": "Appointment"}
    if appointment.id is not None:
        resource["id"] = appointment.id
    resource["status"] = appointment.status.value
    concept: dict[str, Any] = {"text": appointment.appointment_type}
    code = appointment.appointment_type.upper()
    if code in _APPOINTMENT_TYPE_CODES:
        concept["coding"] = [{"system": APPOINTMENT_TYPE_SYSTEM, "code": code}]
    resource["appointmentType"] = concept
    resource.update(schedule_to_fhir(appointment))
    resource["participant"] = [
        _participant("Patient", appointment.patient),
        _participant("Location", appointment.location),
    ]
    return resource


def _participant(kind: str, identifier: Identifier) -> dict[str, Any]:
    actor: dict[str, Any] = {"type": kind, "identifier": identifier_to_fhir(identifier)}
    if kind == "Patient" and identifier.system == NHS_NUMBER_SYSTEM:
        actor["reference"] = f"Patient/{identifier.value}"
    return {"actor": actor, "status": "accepted"}


def _actor_type(actor: Mapping[str, Any]) -> str | None:
    if isinstance(actor.get("type"), str):
        return str(actor["type"])
    reference = actor.get("reference")
    if isinstance(reference, str) and "/" in reference:
        return reference.split("/", 1)[0]
    return None


def _patient_actor(actor: Mapping[str, Any], path: str) -> Identifier:
    if actor.get("identifier") is not None:
        return identifier_from_fhir(
            actor["identifier"],
            "Appointment",
            f"{path}.identifier",
            default_system=NHS_NUMBER_SYSTEM,
        )
    reference = require_str(actor.get("reference"), "Appointment", f"{path}.reference")
    return Identifier(system=NHS_NUMBER_SYSTEM, value=reference.split("/", 1)[1])


def _appointment_type(resource: Mapping[str, Any]) -> str:
    where = "Appointment"
    concept = require_object(
        resource.get("appointmentType") or {}, where, "appointmentType"
    )
    text = optional_str(concept.get("text"), where, "appointmentType.text")
    if text is not None:
        return text
    if concept.get("coding"):
        coding = coding_from_concept(concept, where, "appointmentType")
        return coding.display or coding.code
    raise MappingError(where, "appointmentType", "missing; need text or a coding")
