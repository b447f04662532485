"""US National Provider Identifier (NPI) validation.

An NPI is 10 digits: a 9-digit identifier and a Luhn check digit. CMS
computes the check digit as if the card-issuer prefix 80840 (80 for health
applications, 840 for the United States) stood in front, so the Luhn check
runs over ``80840`` and the 10 digits. NPIs are issued with first digit 1
or 2 (CMS, "Requirements for National Provider Identifier (NPI) and NPI
Check Digit").
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers.luhn import is_luhn_valid, luhn_check_digit

__all__ = [
    "NPI_PREFIX",
    "NPI_SYSTEM",
    "is_valid_npi",
    "npi_check_digit",
    "validate_npi",
]

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
"""FHIR Identifier.system of the NPI."""

NPI_PREFIX = "80840"
"""Card-issuer prefix that the check digit is computed with."""

_NPI = re.compile(r"[12][0-9]{9}")


def npi_check_digit(first_nine: str) -> int:
    """Compute the NPI check digit of a 9-digit identifier."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError(f"expected nine ASCII digits, got {first_nine!r}")
    return luhn_check_digit(NPI_PREFIX + first_nine)


def validate_npi(value: str) -> str:
    """Return the NPI unchanged, or raise InvalidIdentifierError.

    The NPI must be exactly 10 digits starting with 1 or 2, with no spaces.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "NPI", repr(value), f"expected a string, got {type(value).__name__}"
        )
    if not _NPI.fullmatch(value):
        raise InvalidIdentifierError(
            "NPI",
            value,
            "expected 10 digits starting with 1 or 2, as in 1234567893",
        )
    if not is_luhn_valid(NPI_PREFIX + value):
        raise InvalidIdentifierError(
            "NPI",
            value,
            f"check digit is {value[9]} but the Luhn check with prefix 80840 gives "
            f"{npi_check_digit(value[:9])}",
        )
    return value


def is_valid_npi(value: str) -> bool:
    """Tell whether ``value`` passes validate_npi."""
    try:
        validate_npi(value)
    except InvalidIdentifierError:
        return False
    return True
