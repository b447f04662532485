"""Canonical clinical entries read from a patient's record."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from carecert.adapters.models.common import CanonicalModel, Coding
from carecert.adapters.models.patient import Patient


class RecordType(StrEnum):
    """Sections of a patient's record that an adapter can read."""

    DEMOGRAPHICS = "demographics"
    MEDICATIONS = "medications"
    ALLERGIES = "allergies"
    CONDITIONS = "conditions"


class ClinicalStatus(StrEnum):
    """Clinical status shared by allergies and conditions (FHIR R4 codes)."""

    ACTIVE = "active"
    RECURRENCE = "recurrence"
    RELAPSE = "relapse"
    INACTIVE = "inactive"
    REMISSION = "remission"
    RESOLVED = "resolved"


class MedicationStatement(CanonicalModel):
    """A medication the patient takes or took."""

    id: str | None = None
    medication: Coding
    status: str = Field(
        min_length=1, description="FHIR MedicationStatement.status code."
    )
    dosage: str | None = None
    effective_start: date | None = None


class AllergyIntolerance(CanonicalModel):
    """An allergy or intolerance."""

    id: str | None = None
    substance: Coding
    clinical_status: ClinicalStatus | None = None
    criticality: str | None = None
    recorded: AwareDatetime | None = None


class Condition(CanonicalModel):
    """A problem or diagnosis."""

    id: str | None = None
    code: Coding
    clinical_status: ClinicalStatus | None = None
    onset: date | None = None


class PatientRecord(CanonicalModel):
    """Demographics plus the record sections that were requested."""

    patient: Patient
    sections: tuple[RecordType, ...]
    medications: tuple[MedicationStatement, ...] = ()
    allergies: tuple[AllergyIntolerance, ...] = ()
    conditions: tuple[Condition, ...] = ()
