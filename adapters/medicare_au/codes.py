"""Identifier systems, code systems and fixed codes of the Medicare adapter."""

from __future__ import annotations

from carecert.adapters.identifiers.au_healthcare_identifiers import (
    HPII_SYSTEM,
    HPIO_SYSTEM,
    IHI_SYSTEM,
)
from carecert.adapters.identifiers.medicare_au import (
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)

__all__ = [
    "ADJUDICATION_SYSTEM",
    "CLAIM_KEY_SYSTEM",
    "CLAIM_TYPE_SYSTEM",
    "CURRENCY",
    "HPII_SYSTEM",
    "HPIO_SYSTEM",
    "IHI_SYSTEM",
    "ISSUE_SYSTEM",
    "MBS_ITEM_SYSTEM",
    "MEDICARE_NUMBER_SYSTEM",
    "MEDICARE_PROVIDER_NUMBER_SYSTEM",
]

# The five identifier systems above are the HL7 AU Base namespaces; the AU
# Base and AU Core examples use exactly these URIs.

MBS_ITEM_SYSTEM = "urn:carecert:medicare-au:mbs-item"
# NOTE: no published FHIR code system URI for MBS item numbers was found, so
# this URN is carecert's own. Replace it when Services Australia publishes one.

CLAIM_KEY_SYSTEM = "urn:carecert:medicare-au:idempotency-key"
"""System of the Claim identifier that repeats the request's Idempotency-Key."""

CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"

ISSUE_SYSTEM = "urn:carecert:medicare-au:error"
"""Code system of the error codes in the simulator's OperationOutcome details."""

CURRENCY = "AUD"
