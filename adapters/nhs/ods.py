"""Organisation Data Service (ODS) code formats used by the NHS adapter."""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = ["ODS_CODE", "PRACTICE_CODE", "validate_practice_code"]

ODS_CODE = re.compile(r"[0-9A-Z]+")
"""Any ODS organisation code, as the PDS specification constrains it."""

PRACTICE_CODE = re.compile(r"[A-Z][0-9]{5}")
"""A GP practice code: one letter, for the region, and five digits."""


def validate_practice_code(value: str) -> str:
    """Return the GP practice code, or raise InvalidIdentifierError."""
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "ODS practice code", repr(value), "expected a string"
        )
    if not PRACTICE_CODE.fullmatch(value):
        raise InvalidIdentifierError(
            "ODS practice code",
            value,
            "expected one capital letter and five digits, as in Y12345",
        )
    return value
