"""NHS identifier systems that the NHS FHIR mappings use.

The generic FHIR R4 helpers live in carecert.adapters.fhir. MappingError is
imported here too, because callers and tests import it from this module.
"""

from __future__ import annotations

from carecert.adapters.fhir.elements import MappingError

__all__ = ["ODS_SYSTEM", "MappingError"]

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
"""Identifier system of ODS organisation codes, such as GP practice codes."""
