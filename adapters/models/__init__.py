"""Canonical model: provider-neutral records that every adapter maps to and from."""

from carecert.adapters.models.appointment import Appointment, AppointmentStatus
from carecert.adapters.models.billing import (
    PAYABLE_CURRENCIES,
    Claim,
    ClaimItem,
    ClaimOutcome,
    ClaimResult,
    Coverage,
    CoverageStatus,
    Money,
    currency_exponent,
)
from carecert.adapters.models.clinical import (
    AllergyIntolerance,
    ClinicalStatus,
    Condition,
    Immunization,
    MedicationRequest,
    MedicationStatement,
    PatientRecord,
    RecordType,
    ResourceReference,
)
from carecert.adapters.models.common import (
    Address,
    CanonicalModel,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
)
from carecert.adapters.models.patient import AdministrativeGender, Patient
from carecert.adapters.models.pharmacy import (
    NCPDP_FILL_STATUS,
    FillStatus,
    PrescriptionStatus,
)
from carecert.adapters.models.prescription import Prescription, Quantity

__all__ = [
    "FillStatus",
    "Immunization",
    "MedicationRequest",
    "NCPDP_FILL_STATUS",
    "PrescriptionStatus",
    "ResourceReference",
    "Address",
    "AdministrativeGender",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentStatus",
    "Claim",
    "ClaimItem",
    "ClaimOutcome",
    "ClaimResult",
    "Coverage",
    "CoverageStatus",
    "Money",
    "PAYABLE_CURRENCIES",
    "currency_exponent",
    "CanonicalModel",
    "ClinicalStatus",
    "Coding",
    "Condition",
    "ContactPoint",
    "HumanName",
    "Identifier",
    "MedicationStatement",
    "Patient",
    "PatientRecord",
    "RecordType",
    "Prescription",
    "Quantity",
]
