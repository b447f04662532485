"""French NIR validation (numéro d'inscription au répertoire, the social
security number).

A NIR is 13 characters and a 2-digit key: sex (1 digit), year and month of
birth (2 each), department (2, with ``2A`` and ``2B`` for Corsica), commune
(3) and order number (3). The key is 97 minus the 13-digit number modulo 97.
For the computation, Corsica's ``2A`` and ``2B`` are read as 19 and 18.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = ["INS_NIR_SYSTEM", "is_valid_nir", "nir_key", "validate_nir"]

INS_NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
"""FHIR Identifier.system of the NIR when used as the INS (Identité Nationale
de Santé) patient identifier."""

_BODY = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}")
_KEY = re.compile(r"[0-9]{2}")
_CORSICA_DIGITS = {"2A": "19", "2B": "18"}


def nir_key(first_13: str) -> int:
    """Compute the key (1 to 97) of the first 13 characters of a NIR."""
    if not _BODY.fullmatch(first_13):
        raise ValueError(
            f"expected 13 digits, with 2A or 2B allowed as the department, "
            f"got {first_13!r}"
        )
    department = first_13[5:7]
    digits = first_13[:5] + _CORSICA_DIGITS.get(department, department) + first_13[7:]
    return 97 - int(digits) % 97


def validate_nir(value: str) -> str:
    """Return the NIR as 15 characters, or raise InvalidIdentifierError.

    The key is required. Spaces between groups (``1 84 12 75 123 456 40``) and
    lower-case ``2a`` or ``2b`` are accepted.
    """
    # NOTE: the sex digit, month and department are checked as characters,
    # not against their code lists, so a NIR for month 13 passes if its key
    # matches. A temporary number (NIA) of the same shape passes as well.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "NIR", repr(value), f"expected a string, got {type(value).__name__}"
        )
    text = value.replace(" ", "").upper()
    if len(text) == 13 and _BODY.fullmatch(text):
        raise InvalidIdentifierError(
            "NIR", value, "the 2-digit key is missing, so give all 15 characters"
        )
    if (
        len(text) != 15
        or not _BODY.fullmatch(text[:13])
        or not _KEY.fullmatch(text[13:])
    ):
        raise InvalidIdentifierError(
            "NIR",
            value,
            "expected 13 digits (2A or 2B allowed as the department) and a "
            "2-digit key, as in 1 84 12 75 123 456 40",
        )
    expected = nir_key(text[:13])
    if int(text[13:]) != expected:
        raise InvalidIdentifierError(
            "NIR", value, f"key is {text[13:]} but modulus 97 gives {expected:02d}"
        )
    return text


def is_valid_nir(value: str) -> bool:
    """Tell whether ``value`` passes validate_nir."""
    try:
        validate_nir(value)
    except InvalidIdentifierError:
        return False
    return True
