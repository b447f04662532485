"""NHS number validation (England, Wales and the Isle of Man).

The rule is the NHS Data Dictionary's modulus 11 check: weight digits 1 to 9
by 10 down to 2, take 11 minus the remainder of the sum divided by 11; 11
becomes 0, and 10 means the number is never issued.
"""

from __future__ import annotations

from carecert.adapters.errors import InvalidIdentifierError

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_number_check_digit(first_nine: str) -> int | None:
    """Compute the check digit for nine digits, or None where none can be issued."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError(f"expected nine ASCII digits, got {first_nine!r}")
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def validate_nhs_number(value: str) -> str:
    """Return the NHS number as 10 digits, or raise InvalidIdentifierError.

    Spaces and hyphens between digit groups (``943 476 5919``) are accepted and
    removed, as NHS systems print the number in 3-3-4 groups.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "NHS number", repr(value), f"expected a string, got {type(value).__name__}"
        )
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise InvalidIdentifierError(
            "NHS number", value, "expected exactly 10 digits, as in 943 476 5919"
        )
    expected = nhs_number_check_digit(digits[:9])
    if expected is None:
        raise InvalidIdentifierError(
            "NHS number",
            value,
            "the first nine digits give check value 10, so no such number is issued",
        )
    if int(digits[9]) != expected:
        raise InvalidIdentifierError(
            "NHS number",
            value,
            f"check digit is {digits[9]} but modulus 11 gives {expected}",
        )
    return digits


def is_valid_nhs_number(value: str) -> bool:
    """Tell whether ``value`` passes validate_nhs_number."""
    try:
        validate_nhs_number(value)
    except InvalidIdentifierError:
        return False
    return True
