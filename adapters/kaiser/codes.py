"""Code systems, identifier systems and codes that the Kaiser adapter uses.

NOTE: the MRN, department and facility systems are carecert's own URNs.
Kaiser Permanente publishes no identifier systems for them, so set the ones
Kaiser gives at onboarding if they differ.
"""

from __future__ import annotations

import re

__all__ = [
    "APPOINTMENT_TYPES",
    "APPOINTMENT_TYPE_SYSTEM",
    "CONDITION_CATEGORY_SYSTEM",
    "DEPARTMENT",
    "DEPARTMENT_SYSTEM",
    "FACILITY",
    "FACILITY_SYSTEM",
    "MRN_SYSTEM",
    "PROBLEM_LIST_ITEM",
    "SECTIONS",
]

MRN_SYSTEM = "urn:carecert:kaiser:mrn"
"""Identifier.system of the Kaiser medical record number (MRN)."""

DEPARTMENT_SYSTEM = "urn:carecert:kaiser:department"
"""Code system of the department (specialty) an appointment is booked in."""

FACILITY_SYSTEM = "urn:carecert:kaiser:facility"
"""Identifier.system of the Kaiser region or facility code, e.g. NCAL."""

APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
"""HL7 v2 table 0276 (appointment reason codes), which FHIR R4 binds to
Appointment.appointmentType."""

CONDITION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category"
PROBLEM_LIST_ITEM = "problem-list-item"

DEPARTMENT = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
"""Shape of a department code: capitals, digits and underscores (CARDIOLOGY)."""

FACILITY = re.compile(r"[A-Z][A-Z0-9_]{1,19}")
"""Shape of a facility or region code (NCAL, SCAL)."""

APPOINTMENT_TYPES = {
    "ROUTINE": "ROUTINE",
    "FOLLOW_UP": "FOLLOWUP",
    "CHECKUP": "CHECKUP",
    "WALK_IN": "WALKIN",
    "EMERGENCY": "EMERGENCY",
}
"""The adapter's appointment types and their HL7 v2-0276 codes."""

SECTIONS = {
    "problems": "Condition",
    "medications": "MedicationRequest",
    "immunizations": "Immunization",
}
"""Record sections that get_health_record reads, and the FHIR type of each."""
