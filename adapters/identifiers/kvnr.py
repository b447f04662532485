"""German KVNR validation (Krankenversichertennummer, the 10-character part).

A KVNR is one capital letter A-Z and nine digits, the last a check digit. The
letter becomes its two-digit alphabet position (A = 01, Z = 26), giving ten
digits with the next eight. Those are weighted 1, 2, 1, 2, ... from the left,
each product is replaced by its digit sum, and the check digit is the sum
modulo 10. The KVNRs of the KBV e-prescription examples (K220635158,
K220645122) pass this rule.

The rule catches every change of a single digit, but not every change of the
letter: E (05) and J (10), for example, add the same amount to the sum.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

KVNR_SYSTEM = "http://fhir.de/sid/gkv/kvid-10"

_KVNR = re.compile(r"[A-Z][0-9]{9}")


def _digit_sum(number: int) -> int:
    return number // 10 + number % 10


def kvnr_check_digit(letter: str, eight_digits: str) -> int:
    """Compute the KVNR check digit for a capital letter and eight digits."""
    if len(letter) != 1 or not ("A" <= letter <= "Z"):
        raise ValueError(f"expected one capital letter A-Z, got {letter!r}")
    if len(eight_digits) != 8 or not eight_digits.isascii():
        raise ValueError(f"expected eight ASCII digits, got {eight_digits!r}")
    if not eight_digits.isdigit():
        raise ValueError(f"expected eight ASCII digits, got {eight_digits!r}")
    digits = f"{ord(letter) - ord('A') + 1:02d}" + eight_digits
    total = sum(
        _digit_sum(int(digit) * (1 if index % 2 == 0 else 2))
        for index, digit in enumerate(digits)
    )
    return total % 10


def validate_kvnr(value: str) -> str:
    """Return the KVNR unchanged, or raise InvalidIdentifierError.

    No normalisation is done: lower-case letters and spaces are rejected,
    because the KVNR is printed and transmitted as exactly ten characters.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "KVNR", repr(value), f"expected a string, got {type(value).__name__}"
        )
    if not _KVNR.fullmatch(value):
        raise InvalidIdentifierError(
            "KVNR",
            value,
            "expected one capital letter A-Z and nine digits, as in K220635158",
        )
    expected = kvnr_check_digit(value[0], value[1:9])
    if int(value[9]) != expected:
        raise InvalidIdentifierError(
            "KVNR",
            value,
            f"check digit is {value[9]} but the weighted digit sum gives {expected}",
        )
    return value


def is_valid_kvnr(value: str) -> bool:
    """Tell whether ``value`` passes validate_kvnr."""
    try:
        validate_kvnr(value)
    except InvalidIdentifierError:
        return False
    return True
