"""Japanese Individual Number (My Number, 個人番号) validation.

A My Number is 12 digits, the last a check digit. Number the first 11 digits
P1 to P11 from the right and weight Pn by Qn = n + 1 for n = 1 to 6 and
n - 5 for n = 7 to 11. With r the weighted sum modulo 11, the check digit is
0 when r is 0 or 1, else 11 - r. This is the rule set by ordinance under the
My Number Act (番号法).

Because r = 0 and r = 1 share check digit 0, a change of one digit that moves
r between those two values is not caught.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

# NOTE: the rule is the commonly restated form of the ordinance and is not
# checked against its text. No published test value is known, so the tests
# use 1234 5678 9018, computed with this rule.

__all__ = [
    "MY_NUMBER_WEIGHTS",
    "is_valid_my_number",
    "my_number_check_digit",
    "validate_my_number",
]

MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
"""Weights of digits 1 to 11 from the left (Q11 down to Q1)."""

_MY_NUMBER = re.compile(r"[0-9]{12}")


def my_number_check_digit(first_eleven: str) -> int:
    """Compute the check digit of the first 11 digits of a My Number."""
    if (
        len(first_eleven) != 11
        or not first_eleven.isascii()
        or not first_eleven.isdigit()
    ):
        raise ValueError(f"expected eleven ASCII digits, got {first_eleven!r}")
    total = sum(
        int(digit) * weight
        for digit, weight in zip(first_eleven, MY_NUMBER_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def validate_my_number(value: str) -> str:
    """Return the My Number as 12 digits, or raise InvalidIdentifierError.

    Spaces and hyphens between the 4-digit groups (``1234 5678 9018``) are
    accepted and removed.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "My Number", repr(value), f"expected a string, got {type(value).__name__}"
        )
    digits = value.replace(" ", "").replace("-", "")
    if not _MY_NUMBER.fullmatch(digits):
        raise InvalidIdentifierError(
            "My Number", value, "expected exactly 12 digits, as in 1234 5678 9018"
        )
    expected = my_number_check_digit(digits[:11])
    if int(digits[11]) != expected:
        raise InvalidIdentifierError(
            "My Number",
            value,
            f"check digit is {digits[11]} but the weighted sum modulo 11 "
            f"gives {expected}",
        )
    return digits


def is_valid_my_number(value: str) -> bool:
    """Tell whether ``value`` passes validate_my_number."""
    try:
        validate_my_number(value)
    except InvalidIdentifierError:
        return False
    return True
