"""NHS England adapter: PDS FHIR R4 demographics, the GP record and appointments.

``NHSInterface`` is the adapter. ``carecert.adapters.nhs.simulator`` serves
the same API on 127.0.0.1 or in process, for tests.
"""

from carecert.adapters.fhir import MappingError
from carecert.adapters.nhs.auth import ClientAssertionAuth
from carecert.adapters.nhs.interface import (
    DEFAULT_RECORD_TYPES,
    NHSInterface,
    parse_record_types,
)

__all__ = [
    "DEFAULT_RECORD_TYPES",
    "ClientAssertionAuth",
    "MappingError",
    "NHSInterface",
    "parse_record_types",
]
