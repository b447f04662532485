"""FHIR R4 code that the NHS, SAS and template adapters share.

``elements`` reads, checks and writes JSON elements and raises MappingError,
``datatypes`` maps HumanName, Address and ContactPoint, and ``responses``
turns HTTP failures with an OperationOutcome body into carecert errors.
"""

from carecert.adapters.fhir.elements import MappingError

__all__ = ["MappingError"]
