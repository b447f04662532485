"""NUHSA validation (Número Único de Historia de Salud de Andalucía).

The NUHSA is the Servicio Andaluz de Salud's patient number: ``AN`` followed
by ten digits, as in ``AN0123456789``.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = ["is_valid_nuhsa", "validate_nuhsa"]

_NUHSA = re.compile(r"AN[0-9]{10}")


def validate_nuhsa(value: str) -> str:
    """Return the NUHSA in upper case, or raise InvalidIdentifierError.

    Surrounding spaces and a lower-case prefix (``an0123456789``) are accepted.
    """
    # NOTE: only the format is checked, because no public specification of a
    # NUHSA check digit could be found. A mistyped digit passes here and shows
    # up only when the provider reports the patient as not found.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "NUHSA", repr(value), f"expected a string, got {type(value).__name__}"
        )
    text = value.strip().upper()
    if not _NUHSA.fullmatch(text):
        raise InvalidIdentifierError(
            "NUHSA", value, "expected AN followed by 10 digits, as in AN0123456789"
        )
    return text


def is_valid_nuhsa(value: str) -> bool:
    """Tell whether ``value`` passes validate_nuhsa."""
    try:
        validate_nuhsa(value)
    except InvalidIdentifierError:
        return False
    return True
