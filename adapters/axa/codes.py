"""AXA identifier and code systems, and the format checks run before any request.

NOTE: the system URIs and the policy number, treatment code and provider id
formats are carecert's choice, not taken from an AXA publication. AXA
publishes no check-digit rule for policy numbers, so only their format is
checked. Replace them here if AXA publishes its own.
"""

from __future__ import annotations

import re
from typing import Any

from babel import Locale

from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "ICD10_CODE",
    "ICD10_SYSTEM",
    "PARTNER_SYSTEM",
    "POLICY_NUMBER",
    "POLICY_SYSTEM",
    "PROVIDER_SYSTEM",
    "TREATMENT_SYSTEM",
    "UNSPECIFIED_TREATMENT",
    "validate_country",
    "validate_icd10",
    "validate_partner_code",
    "validate_policy_number",
    "validate_provider_id",
    "validate_treatment_code",
]

POLICY_SYSTEM = "urn:carecert:axa:policy"
"""Identifier system of AXA policy numbers, which identify the insured member."""

PARTNER_SYSTEM = "urn:carecert:axa:partner"
"""Identifier system of the partner code AXA issues to an integrating provider."""

PROVIDER_SYSTEM = "urn:carecert:axa:provider"
"""Identifier system of AXA's ids for treating providers (PROV_001)."""

TREATMENT_SYSTEM = "urn:carecert:axa:treatment"
"""Code system of AXA treatment codes (CARD_CONSULT)."""

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
"""The FHIR code system URI of WHO ICD-10."""

UNSPECIFIED_TREATMENT = "UNSPECIFIED"
"""Treatment code of a claim item whose claim data named no treatment code.
The wire claim then carries no treatment_code, and AXA assesses the claim
on its diagnoses."""

POLICY_NUMBER = re.compile(r"AXA[0-9]{9}")
"""Policy number format: AXA and nine digits, as in AXA123456789."""

# WHO ICD-10: a letter, two digits, and optionally a dot with one digit (the
# four-character subcategory) or two (the fifth-character subdivisions that
# chapters XIII and XIX use). ICD-10-CM's letters after the dot are not WHO.
ICD10_CODE = re.compile(r"[A-Z][0-9]{2}(?:\.[0-9]{1,2})?")

TREATMENT_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
PROVIDER_ID = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
PARTNER_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")

# CLDR territory codes that ISO 3166-1 does not assign: exceptional
# reservations (AC, CP, DG, EA, IC, TA), groupings (EU, EZ, UN, QO),
# CLDR's own CQ and pseudo-locales XA and XB, Kosovo (XK) and unknown (ZZ).
_NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB"}
    | {"XK", "ZZ"}
)
_TERRITORIES = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str)
    and re.fullmatch(r"[A-Z]{2}", code)
    and code not in _NOT_ISO_3166
)


def validate_policy_number(value: Any) -> str:
    """Return ``value`` if it is an AXA policy number, else raise."""
    text = _text("AXA policy number", value)
    if not POLICY_NUMBER.fullmatch(text):
        raise InvalidIdentifierError(
            "AXA policy number",
            text,
            "expected AXA followed by nine digits, e.g. AXA000000000",
        )
    return text


def validate_icd10(value: Any) -> str:
    """Return ``value`` if it has the WHO ICD-10 code format, else raise."""
    text = _text("ICD-10 code", value)
    if not ICD10_CODE.fullmatch(text):
        raise InvalidIdentifierError(
            "ICD-10 code",
            text,
            "expected a WHO ICD-10 code: a capital letter, two digits and an "
            "optional dot with one or two digits, e.g. I10 or E11.9",
        )
    return text


def validate_treatment_code(value: Any) -> str:
    """Return ``value`` if it has the AXA treatment code format, else raise."""
    text = _text("AXA treatment code", value)
    if not TREATMENT_CODE.fullmatch(text) or text == UNSPECIFIED_TREATMENT:
        raise InvalidIdentifierError(
            "AXA treatment code",
            text,
            "expected 2 to 32 capital letters, digits and underscores starting "
            "with a letter, e.g. CARD_CONSULT",
        )
    return text


def validate_provider_id(value: Any) -> str:
    """Return ``value`` if it has the AXA provider id format, else raise."""
    text = _text("AXA provider id", value)
    if not PROVIDER_ID.fullmatch(text):
        raise InvalidIdentifierError(
            "AXA provider id",
            text,
            "expected 1 to 32 capital letters, digits, underscores and hyphens, "
            "e.g. PROV_001",
        )
    return text


def validate_partner_code(value: Any) -> str:
    """Return ``value`` if it has the AXA partner code format, else raise."""
    text = _text("AXA partner code", value)
    if not PARTNER_CODE.fullmatch(text):
        raise InvalidIdentifierError(
            "AXA partner code",
            text,
            "expected 1 to 32 capital letters, digits, underscores and hyphens, "
            "e.g. LUKHAS_001",
        )
    return text


def validate_country(value: Any) -> str:
    """Return ``value`` if it is an ISO 3166-1 alpha-2 code that CLDR lists."""
    text = _text("country code", value)
    if text not in _TERRITORIES:
        raise InvalidIdentifierError(
            "country code",
            text,
            "expected an ISO 3166-1 alpha-2 code in capitals, e.g. ES or FR",
        )
    return text


def _text(kind: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            kind, repr(value), f"expected a string, got {type(value).__name__}"
        )
    return value
