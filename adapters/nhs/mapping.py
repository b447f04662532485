"""Map NHS FHIR R4 resources to the canonical model and back.

Patient follows NHS Digital's PDS FHIR R4 API. MedicationStatement,
AllergyIntolerance, Condition and Appointment follow FHIR R4 core. Each
``*_from_fhir`` raises MappingError for a resource the model cannot hold, and
each ``*_to_fhir`` writes only valid FHIR R4, raising ValueError for a
canonical value that FHIR has no code for.
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
    codeable_concept,
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
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    AllergyIntolerance,
    Appointment,
    ClinicalStatus,
    Coding,
    Condition,
    Identifier,
    MedicationStatement,
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

ALLERGY_CLINICAL_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
)
CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"

_ALLERGY_CLINICAL_CODES = frozenset({"active", "inactive", "resolved"})
_CRITICALITY_CODES = frozenset({"low", "high", "unable-to-assess"})
_MEDICATION_STATUS_CODES = frozenset(
    {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    }
)
_APPOINTMENT_TYPE_CODES = frozenset(
    {"CHECKUP", "EMERGENCY", "FOLLOWUP", "ROUTINE", "WALKIN"}
)


# Patient


def patient_from_fhir(resource: Any) -> Patient:
    """Map a PDS Patient to a canonical Patient.

    A missing identifier system is read as the NHS number system, which is
    what the PDS schema declares as its default. Fields the canonical model
    has no place for (extensions, contacts, address and telecom
    periods) are dropped.
    """
    resource = require_type(resource, "Patient")
    where = "Patient"
    identifiers = tuple(
        identifier_from_fhir(item, where, path, default_system=NHS_NUMBER_SYSTEM)
        for path, item in items(resource, "identifier", where)
    )
    patient_id = optional_str(resource.get("id"), where, "id")
    if not identifiers:
        raise MappingError(
            where, "identifier", "missing, but PDS always sends the NHS number here"
        )
    birth_date = resource.get("birthDate")
    deceased = resource.get("deceasedDateTime")
    return Patient(
        id=patient_id,
        identifiers=identifiers,
        names=tuple(
            human_name_from_fhir(item, where, path)
            for path, item in items(resource, "name", where)
        ),
        gender=optional_str(resource.get("gender"), where, "gender"),
        birth_date=None
        if birth_date is None
        else parse_date(birth_date, where, "birthDate"),
        deceased_at=(
            None
            if deceased is None
            else parse_instant(deceased, where, "deceasedDateTime")
        ),
        addresses=tuple(
            address_from_fhir(item, where, path)
            for path, item in items(resource, "address", where)
        ),
        telecom=tuple(
            contact_point_from_fhir(item, where, path)
            for path, item in items(resource, "telecom", where)
        ),
        general_practitioner=_general_practitioner(resource),
        restricted=is_restricted(resource, where),
    )


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to a PDS-shaped FHIR R4 Patient."""
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if patient.id is not None:
        resource["id"] = patient.id
    resource["identifier"] = [identifier_to_fhir(i) for i in patient.identifiers]

    code, display = ("R", "restricted") if patient.restricted else ("U", "unrestricted")
    resource["meta"] = {
        "security": [
            {"system": CONFIDENTIALITY_SYSTEM, "code": code, "display": display}
        ]
    }
    if patient.names:
        resource["name"] = [human_name_to_fhir(name) for name in patient.names]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()

    if patient.deceased_at is not None:
        # PDS deceasedDateTime is UTC with whole seconds, so a fraction is dropped.
        deceased = patient.deceased_at.replace(microsecond=0)
        resource["deceasedDateTime"] = format_instant(deceased, utc=True)

    if patient.addresses:
        resource["address"] = [address_to_fhir(a) for a in patient.addresses]
    if patient.telecom:
        resource["telecom"] = [contact_point_to_fhir(c) for c in patient.telecom]
    if patient.general_practitioner is not None:
        resource["generalPractitioner"] = [
            {
                "type": "Organization",
                "identifier": identifier_to_fhir(patient.general_practitioner),
            }
        ]
    return resource


def _general_practitioner(resource: Mapping[str, Any]) -> Identifier | None:
    # PDS sends zero or one practice; later entries would be ignored.
    for path, item in items(resource, "generalPractitioner", "Patient"):
        reference = require_object(item, "Patient", path)
        if reference.get("identifier") is None:
            return None
        return identifier_from_fhir(
            reference["identifier"],
            "Patient",
            f"{path}.identifier",
            default_system=ODS_SYSTEM,
        )
    return None


# Clinical sections


def medication_statement_from_fhir(
    resource: Any, *, resolve: Mapping[str, Mapping[str, Any]] | None = None
) -> MedicationStatement:
    """Map a FHIR R4 MedicationStatement to the canonical model.

    ``resolve`` maps references such as ``Medication/1`` to resources of the
    same Bundle, for statements that name their medication by reference, as
    GP Connect does.
    """
    where = "MedicationStatement"
    resource = require_type(resource, where)
    effective = resource.get("effectiveDateTime")
    if effective is None and resource.get("effectivePeriod") is not None:
        period = require_object(resource["effectivePeriod"], where, "effectivePeriod")
        effective = period.get("start")
    dosage_text = None
    for path, dosage in items(resource, "dosage", where):
        dosage = require_object(dosage, where, path)
        dosage_text = optional_str(dosage.get("text"), where, f"{path}.text")
        break
    return MedicationStatement(
        id=optional_str(resource.get("id"), where, "id"),
        medication=_medication(resource, resolve or {}),
        status=require_str(resource.get("status"), where, "status"),
        dosage=dosage_text,
        effective_start=None
        if effective is None
        else parse_date(effective, where, "effective"),
    )


def medication_statement_to_fhir(
    statement: MedicationStatement, *, subject: str
) -> dict[str, Any]:
    """Map a canonical MedicationStatement to FHIR R4; ``subject`` is a reference."""
    if statement.status not in _MEDICATION_STATUS_CODES:
        raise ValueError(
            f"MedicationStatement.status {statement.status!r} is not a FHIR R4 code; "
            f"use one of {', '.join(sorted(_MEDICATION_STATUS_CODES))}."
        )
    resource: dict[str, Any] = {"resourceType": "MedicationStatement"}
    if statement.id is not None:
        resource["id"] = statement.id
    resource["status"] = statement.status
    resource["medicationCodeableConcept"] = codeable_concept(statement.medication)
    resource["subject"] = {"reference": subject}
    if statement.effective_start is not None:
        resource["effectivePeriod"] = {"start": statement.effective_start.isoformat()}
    if statement.dosage is not None:
        resource["dosage"] = [{"text": statement.dosage}]
    return resource


def allergy_from_fhir(resource: Any) -> AllergyIntolerance:
    """Map a FHIR R4 AllergyIntolerance to the canonical model."""
    where = "AllergyIntolerance"
    resource = require_type(resource, where)
    recorded = resource.get("recordedDate")
    return AllergyIntolerance(
        id=optional_str(resource.get("id"), where, "id"),
        substance=coding_from_concept(resource.get("code"), where, "code"),
        clinical_status=_clinical_status(resource, where),
        criticality=optional_str(resource.get("criticality"), where, "criticality"),
        recorded=None
        if recorded is None
        else parse_instant(recorded, where, "recordedDate"),
    )


def allergy_to_fhir(allergy: AllergyIntolerance, *, patient: str) -> dict[str, Any]:
    """Map a canonical AllergyIntolerance to FHIR R4; ``patient`` is a reference."""
    status = allergy.clinical_status
    if status is not None and status.value not in _ALLERGY_CLINICAL_CODES:
        raise ValueError(
            f"AllergyIntolerance.clinical_status {status.value!r} has no FHIR R4 code; "
            f"use one of {', '.join(sorted(_ALLERGY_CLINICAL_CODES))}."
        )
    if (
        allergy.criticality is not None
        and allergy.criticality not in _CRITICALITY_CODES
    ):
        raise ValueError(
            f"AllergyIntolerance.criticality {allergy.criticality!r} is not a FHIR R4 "
            f"code; use one of {', '.join(sorted(_CRITICALITY_CODES))}."
        )
    resource: dict[str, Any] = {"resourceType": "AllergyIntolerance"}
    if allergy.id is not None:
        resource["id"] = allergy.id
    if status is not None:
        resource["clinicalStatus"] = _status_concept(ALLERGY_CLINICAL_SYSTEM, status)
    if allergy.criticality is not None:
        resource["criticality"] = allergy.criticality
    resource["code"] = codeable_concept(allergy.substance)
    resource["patient"] = {"reference": patient}
    if allergy.recorded is not None:
        resource["recordedDate"] = format_instant(allergy.recorded)
    return resource


def condition_from_fhir(resource: Any) -> Condition:
    """Map a FHIR R4 Condition to the canonical model."""
    where = "Condition"
    resource = require_type(resource, where)
    onset = resource.get("onsetDateTime")
    if onset is None and resource.get("onsetPeriod") is not None:
        onset = require_object(resource["onsetPeriod"], where, "onsetPeriod").get(
            "start"
        )
    return Condition(
        id=optional_str(resource.get("id"), where, "id"),
        code=coding_from_concept(resource.get("code"), where, "code"),
        clinical_status=_clinical_status(resource, where),
        onset=None if onset is None else parse_date(onset, where, "onset"),
    )


def condition_to_fhir(condition: Condition, *, subject: str) -> dict[str, Any]:
    """Map a canonical Condition to FHIR R4; ``subject`` is a reference."""
    resource: dict[str, Any] = {"resourceType": "Condition"}
    if condition.id is not None:
        resource["id"] = condition.id
    if condition.clinical_status is not None:
        resource["clinicalStatus"] = _status_concept(
            CONDITION_CLINICAL_SYSTEM, condition.clinical_status
        )
    resource["code"] = codeable_concept(condition.code)
    resource["subject"] = {"reference": subject}
    if condition.onset is not None:
        resource["onsetDateTime"] = condition.onset.isoformat()
    return resource


def _medication(resource: Mapping[str, Any], resolve: Mapping[str, Any]) -> Coding:
    where = "MedicationStatement"
    if resource.get("medicationCodeableConcept") is not None:
        return coding_from_concept(
            resource["medicationCodeableConcept"], where, "medicationCodeableConcept"
        )
    if resource.get("medicationReference") is None:
        raise MappingError(where, "medication[x]", "missing")
    reference = require_object(
        resource["medicationReference"], where, "medicationReference"
    )
    target = require_str(
        reference.get("reference"), where, "medicationReference.reference"
    )
    medication = _contained(resource, target) or resolve.get(target)
    if medication is None:
        raise MappingError(
            where,
            "medicationReference.reference",
            f"{target!r} is neither contained nor in the Bundle",
        )
    return coding_from_concept(
        require_type(medication, "Medication").get("code"), "Medication", "code"
    )


def _contained(resource: Mapping[str, Any], target: str) -> Any:
    if not target.startswith("#"):
        return None
    for _, item in items(resource, "contained", "MedicationStatement"):
        if isinstance(item, Mapping) and item.get("id") == target[1:]:
            return item
    return None


def _clinical_status(resource: Mapping[str, Any], where: str) -> ClinicalStatus | None:
    if resource.get("clinicalStatus") is None:
        return None
    coding = coding_from_concept(resource["clinicalStatus"], where, "clinicalStatus")
    try:
        return ClinicalStatus(coding.code)
    except ValueError:
        raise MappingError(
            where,
            "clinicalStatus",
            f"code {coding.code!r} is not a FHIR R4 clinical status",
        ) from None


def _status_concept(system: str, status: ClinicalStatus) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": status.value}]}


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
    start, end, created = (resource.get(k) for k in ("start", "end", "created"))
    return Appointment(
        id=optional_str(resource.get("id"), where, "id"),
        patient=patient,
        location=location,
        appointment_type=_appointment_type(resource),
        status=require_str(resource.get("status"), where, "status"),
        start=None if start is None else parse_instant(start, where, "start"),
        end=None if end is None else parse_instant(end, where, "end"),
        description=optional_str(resource.get("description"), where, "description"),
        created=None if created is None else parse_instant(created, where, "created"),
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
    if appointment.description is not None:
        resource["description"] = appointment.description
    if appointment.start is not None:
        resource["start"] = format_instant(appointment.start)
    if appointment.end is not None:
        resource["end"] = format_instant(appointment.end)
    if appointment.created is not None:
        resource["created"] = format_instant(appointment.created)
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
