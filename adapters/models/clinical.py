"""Canonical clinical entries read from a patient's record."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from carecert.adapters.models.common import CanonicalModel, Coding, Identifier
from carecert.adapters.models.patient import Patient


class RecordType(StrEnum):
    """Sections of a patient's record that an adapter can read."""

    DEMOGRAPHICS = "demographics"
    MEDICATIONS = "medications"
    ALLERGIES = "allergies"
    CONDITIONS = "conditions"
    IMMUNIZATIONS = "immunizations"


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


class ResourceReference(CanonicalModel):
    """A FHIR Reference: a literal reference, a business identifier or both."""

    reference: str | None = Field(
        default=None, description="Literal reference, e.g. Practitioner/123."
    )
    identifier: Identifier | None = None
    display: str | None = None


_UNMAPPED_DESCRIPTION = (
    "Names of the source resource's elements that this model does not hold, "
    "such as 'extension' or 'dosageInstruction[0].timing', so that a caller "
    "can see what the mapping left out."
)


class Condition(CanonicalModel):
    """A problem or diagnosis.

    ``code`` is the first coding with a code. ``other_codings`` contains the
    rest, such as an ICD-10-CM coding beside a SNOMED CT one.
    """

    id: str | None = None
    code: Coding
    clinical_status: ClinicalStatus | None = None
    onset: date | None = None
    other_codings: tuple[Coding, ...] = ()
    text: str | None = Field(default=None, description="CodeableConcept.text.")
    verification_status: str | None = Field(
        default=None, description="FHIR Condition.verificationStatus code."
    )
    categories: tuple[Coding, ...] = ()
    abatement: date | None = None
    recorded: date | None = None
    unmapped_elements: tuple[str, ...] = Field(
        default=(), description=_UNMAPPED_DESCRIPTION
    )


class MedicationRequest(CanonicalModel):
    """An order or proposal to supply and administer a medication.

    The medication is a coding, text, or both. ``other_codings`` contains
    the codings after the first. ``medication_reference`` is set when the
    medication is a Medication resource outside the request, which the
    request alone cannot resolve.
    """

    id: str | None = None
    status: str = Field(min_length=1, description="FHIR MedicationRequest.status.")
    intent: str = Field(min_length=1, description="FHIR MedicationRequest.intent.")
    medication: Coding | None = None
    other_codings: tuple[Coding, ...] = ()
    medication_text: str | None = None
    medication_reference: str | None = None
    authored_on: AwareDatetime | None = None
    requester: ResourceReference | None = None
    dosage: tuple[str, ...] = Field(
        default=(), description="The text of each dosageInstruction, in order."
    )
    reasons: tuple[Coding, ...] = ()
    unmapped_elements: tuple[str, ...] = Field(
        default=(), description=_UNMAPPED_DESCRIPTION
    )


class Immunization(CanonicalModel):
    """A vaccine given to the patient, or recorded as not given."""

    id: str | None = None
    status: str = Field(min_length=1, description="FHIR Immunization.status code.")
    vaccine: Coding
    other_codings: tuple[Coding, ...] = ()
    vaccine_text: str | None = None
    occurrence: AwareDatetime | None = None
    primary_source: bool | None = None
    lot_number: str | None = None
    unmapped_elements: tuple[str, ...] = Field(
        default=(), description=_UNMAPPED_DESCRIPTION
    )


class PatientRecord(CanonicalModel):
    """Demographics plus the record sections that were requested."""

    patient: Patient
    sections: tuple[RecordType, ...]
    medications: tuple[MedicationStatement, ...] = ()
    allergies: tuple[AllergyIntolerance, ...] = ()
    conditions: tuple[Condition, ...] = ()
    medication_requests: tuple[MedicationRequest, ...] = ()
    immunizations: tuple[Immunization, ...] = ()
