"""FHIR R4 code that the adapters and templates share.

``elements`` reads, checks and writes JSON elements and raises MappingError,
``datatypes`` maps HumanName, Address and ContactPoint, ``patient`` maps a
Patient under a PatientProfile, ``clinical`` maps MedicationStatement,
AllergyIntolerance and Condition, ``appointment`` and ``bundle`` contain the
Appointment and Bundle elements more than one adapter writes, and
``responses`` turns HTTP failures with an OperationOutcome body into
carecert errors. ``code_systems`` contains terminology URIs.
"""

from carecert.adapters.fhir.elements import MappingError

__all__ = ["MappingError"]
