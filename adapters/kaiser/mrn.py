"""Kaiser Permanente medical record number (MRN) format check.

NOTE: Kaiser publishes no check-digit rule for its MRNs, so only the format
is checked: ``KP`` and nine digits, as in KP123456789. A mistyped digit
passes this check and is caught only by the server's 404.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = ["is_valid_kaiser_mrn", "validate_kaiser_mrn"]

_MRN = re.compile(r"KP[0-9]{9}")


def validate_kaiser_mrn(value: str) -> str:
    """Return the MRN unchanged, or raise InvalidIdentifierError."""
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "Kaiser MRN", repr(value), f"expected a string, got {type(value).__name__}"
        )
    if not _MRN.fullmatch(value):
        raise InvalidIdentifierError(
            "Kaiser MRN",
            value,
            "expected KP and nine digits, with no spaces, as in KP123456789",
        )
    return value


def is_valid_kaiser_mrn(value: str) -> bool:
    """Return True if ``value`` passes validate_kaiser_mrn."""
    try:
        validate_kaiser_mrn(value)
    except InvalidIdentifierError:
        return False
    return True
