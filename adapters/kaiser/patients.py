"""Map FHIR R4 (US Core) Patient resources, identified by the Kaiser MRN.

The shared Patient mapping does the work. It leaves out what the canonical
Patient has no place for: extensions (race, ethnicity, birth sex), the
address ``state`` and ``period``, and ``deceasedBoolean``.
"""

from __future__ import annotations

from typing import Any

from carecert.adapters.kaiser.codes import MRN_SYSTEM
from carecert.adapters.kaiser.mrn import validate_kaiser_mrn
from carecert.adapters.models import Patient
from carecert.adapters.templates import fhir_patient

__all__ = ["patient_from_fhir", "patient_to_fhir"]


def patient_from_fhir(resource: Any) -> Patient:
    """Map a FHIR R4 Patient; an MRN of the wrong format raises MappingError."""
    return fhir_patient.patient_from_fhir(
        resource, national_system=MRN_SYSTEM, validate=validate_kaiser_mrn
    )


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient."""
    return fhir_patient.patient_to_fhir(
        patient, national_system=MRN_SYSTEM, validate=validate_kaiser_mrn
    )
