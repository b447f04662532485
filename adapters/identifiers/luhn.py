"""The Luhn (modulus 10 "double-add-double") check digit, shared by several
identifiers.

Counting from the check digit on the right, every second digit is doubled and
9 is subtracted from a product above 9. The number is valid when the total is
a multiple of 10. The rule catches every change of a single digit and every
swap of two adjacent digits except 09 and 90.
"""

from __future__ import annotations

__all__ = ["is_luhn_valid", "luhn_check_digit"]


def _luhn_total(digits: str, *, double_last: bool) -> int:
    total = 0
    double = double_last
    for digit in reversed(digits):
        value = int(digit)
        if double:
            value *= 2
            if value > 9:
                value -= 9
        total += value
        double = not double
    return total


def _require_digits(digits: str) -> None:
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"expected ASCII digits, got {digits!r}")


def luhn_check_digit(payload: str) -> int:
    """Compute the Luhn check digit to append to the digits of ``payload``."""
    _require_digits(payload)
    # Without its check digit, the payload's last digit is the first doubled.
    return -_luhn_total(payload, double_last=True) % 10


def is_luhn_valid(digits: str) -> bool:
    """Tell whether ``digits``, ending in its check digit, passes the Luhn check."""
    _require_digits(digits)
    return _luhn_total(digits, double_last=False) % 10 == 0
