"""Spanish DNI and NIE validation.

A DNI is eight digits and a check letter. A NIE (foreigner's identity number)
is X, Y or Z, seven digits and a check letter. The letter is
``DNI_CHECK_LETTERS[n % 23]``, where n is the DNI number or, for a NIE, the
number formed after replacing X, Y and Z with 0, 1 and 2.

The letter catches every single-digit error and every swap of two digits. It
cannot catch X, Y or Z typed in place of a DNI's leading 0, 1 or 2, or the
reverse, because both give the same number.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "DNI_CHECK_LETTERS",
    "is_valid_spanish_id",
    "spanish_id_check_letter",
    "validate_dni",
    "validate_nie",
    "validate_spanish_id",
]

DNI_CHECK_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
"""Check letter for each remainder 0 to 22 of the number divided by 23."""

_NIE_PREFIX_DIGITS = {"X": "0", "Y": "1", "Z": "2"}
_DNI = re.compile(r"[0-9]{8}[A-Z]")
_NIE = re.compile(r"[XYZ][0-9]{7}[A-Z]")


def spanish_id_check_letter(number: int) -> str:
    """Return the check letter for a DNI number, or a NIE number after substitution."""
    if number < 0:
        raise ValueError(f"expected a non-negative number, got {number}")
    return DNI_CHECK_LETTERS[number % 23]


def validate_dni(value: str) -> str:
    """Return the DNI as eight digits and an upper-case letter, or raise
    InvalidIdentifierError.

    Spaces and hyphens (``12345678-Z``) are removed and a lower-case letter
    is accepted.
    """
    text = _normalise("DNI", value)
    if not _DNI.fullmatch(text):
        raise InvalidIdentifierError(
            "DNI", value, "expected 8 digits and a check letter, as in 12345678Z"
        )
    _check_letter("DNI", value, int(text[:8]), text[8])
    return text


def validate_nie(value: str) -> str:
    """Return the NIE as X, Y or Z, seven digits and a letter, or raise
    InvalidIdentifierError.

    Spaces and hyphens are removed and lower case is accepted, as in
    validate_dni.
    """
    text = _normalise("NIE", value)
    if not _NIE.fullmatch(text):
        raise InvalidIdentifierError(
            "NIE",
            value,
            "expected X, Y or Z, 7 digits and a check letter, as in X1234567L",
        )
    number = int(_NIE_PREFIX_DIGITS[text[0]] + text[1:8])
    _check_letter("NIE", value, number, text[8])
    return text


def validate_spanish_id(value: str) -> str:
    """Return ``value`` validated as a NIE if it starts with X, Y or Z, else as
    a DNI, or raise InvalidIdentifierError."""
    text = _normalise("DNI or NIE", value)
    if text[:1] in _NIE_PREFIX_DIGITS:
        return validate_nie(value)
    return validate_dni(value)


def is_valid_spanish_id(value: str) -> bool:
    """Tell whether ``value`` passes validate_spanish_id."""
    try:
        validate_spanish_id(value)
    except InvalidIdentifierError:
        return False
    return True


def _normalise(kind: str, value: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            kind, repr(value), f"expected a string, got {type(value).__name__}"
        )
    return value.replace(" ", "").replace("-", "").upper()


def _check_letter(kind: str, value: str, number: int, letter: str) -> None:
    expected = spanish_id_check_letter(number)
    if letter != expected:
        raise InvalidIdentifierError(
            kind,
            value,
            f"check letter is {letter} but the number modulo 23 gives {expected}",
        )
