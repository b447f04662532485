"""Australian Medicare card number and Medicare provider number validation.

A Medicare card number is 10 digits, optionally followed by the 1-digit
individual reference number (IRN), the person's line on the card. Digits 1 to
8 identify the card, and the first of them is 2 to 6. Digit 9 is the check
digit: the sum of digits 1 to 8 weighted 1, 3, 7, 9, 1, 3, 7, 9, modulo 10.
Digit 10 is the issue number. The rule comes from NEHTA's "Use of Healthcare
Identifiers in Health Software Systems - Software Conformance Requirements"
v1.4, whose worked example is 2123 45670 1.

A provider number is a 6-digit stem, a practice location character and a
check character. The location character is 0-9 or a letter other than I, O,
S and Z, with practice location value (PLV) 0-9 for digits, then 10 for A up
to 31 for Y, skipping those letters. The check character is
``YXWTLKJHFBA[r]``, where r is the stem's digits weighted 3, 5, 8, 4, 2, 1
plus 6 times the PLV, modulo 11. That rule and table are as published by
claiming.com.au ("Validations and Checks") and clearwater.com.au, since
Services Australia no longer publishes them.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "MEDICARE_NUMBER_SYSTEM",
    "MEDICARE_PROVIDER_NUMBER_SYSTEM",
    "PRACTICE_LOCATION_CHARACTERS",
    "PROVIDER_CHECK_CHARACTERS",
    "is_valid_medicare_number",
    "is_valid_medicare_provider_number",
    "medicare_check_digit",
    "medicare_provider_check_character",
    "validate_medicare_number",
    "validate_medicare_provider_number",
]

MEDICARE_NUMBER_SYSTEM = "http://ns.electronichealth.net.au/id/medicare-number"
MEDICARE_PROVIDER_NUMBER_SYSTEM = (
    "http://ns.electronichealth.net.au/id/medicare-provider-number"
)

PRACTICE_LOCATION_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUVWXY"
"""Practice location characters, each at the index of its PLV."""

PROVIDER_CHECK_CHARACTERS = "YXWTLKJHFBA"
"""Provider number check characters, each at the index of its remainder."""

_CARD_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)
_STEM_WEIGHTS = (3, 5, 8, 4, 2, 1)
_PLV_WEIGHT = 6
_CARD = re.compile(r"[2-6][0-9]{9}[0-9]?")
_PROVIDER = re.compile(
    f"[0-9]{{6}}[{PRACTICE_LOCATION_CHARACTERS}][{PROVIDER_CHECK_CHARACTERS}]"
)


def medicare_check_digit(first_eight: str) -> int:
    """Compute the check digit (digit 9) of a Medicare card number."""
    if len(first_eight) != 8 or not first_eight.isascii() or not first_eight.isdigit():
        raise ValueError(f"expected eight ASCII digits, got {first_eight!r}")
    total = sum(
        int(digit) * weight
        for digit, weight in zip(first_eight, _CARD_WEIGHTS, strict=True)
    )
    return total % 10


def validate_medicare_number(value: str) -> str:
    """Return the Medicare card number as 10 or 11 digits, or raise
    InvalidIdentifierError.

    Spaces are accepted and removed, as on the card (``2123 45670 1``).
    """
    # NOTE: the issue number and the IRN are not covered by the check digit,
    # so any digit is accepted there. claiming.com.au states that the issue
    # number is never 0, which this validator does not check.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "Medicare number",
            repr(value),
            f"expected a string, got {type(value).__name__}",
        )
    digits = value.replace(" ", "")
    if not _CARD.fullmatch(digits):
        raise InvalidIdentifierError(
            "Medicare number",
            value,
            "expected 10 digits, or 11 with the IRN, starting with 2 to 6, "
            "as in 2123 45670 1",
        )
    expected = medicare_check_digit(digits[:8])
    if int(digits[8]) != expected:
        raise InvalidIdentifierError(
            "Medicare number",
            value,
            f"check digit (digit 9) is {digits[8]} but weights 1, 3, 7, 9 "
            f"give {expected}",
        )
    return digits


def is_valid_medicare_number(value: str) -> bool:
    """Tell whether ``value`` passes validate_medicare_number."""
    try:
        validate_medicare_number(value)
    except InvalidIdentifierError:
        return False
    return True


def medicare_provider_check_character(stem: str, location: str) -> str:
    """Compute the check character of a provider number's stem and location."""
    if len(stem) != 6 or not stem.isascii() or not stem.isdigit():
        raise ValueError(f"expected a stem of six ASCII digits, got {stem!r}")
    if len(location) != 1 or location not in PRACTICE_LOCATION_CHARACTERS:
        raise ValueError(
            "expected a practice location character 0-9 or A-Y other than I, O "
            f"and S, got {location!r}"
        )
    total = sum(
        int(digit) * weight for digit, weight in zip(stem, _STEM_WEIGHTS, strict=True)
    )
    total += PRACTICE_LOCATION_CHARACTERS.index(location) * _PLV_WEIGHT
    return PROVIDER_CHECK_CHARACTERS[total % 11]


def validate_medicare_provider_number(value: str) -> str:
    """Return the provider number as 8 upper-case characters, or raise
    InvalidIdentifierError.

    Spaces and lower case are accepted.
    """
    # NOTE: the Australian Digital Health Agency's namespace page for this
    # system states that location character 0 is not used, but the published check
    # tables give it PLV 0, so it is accepted.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "Medicare provider number",
            repr(value),
            f"expected a string, got {type(value).__name__}",
        )
    text = value.replace(" ", "").upper()
    if not _PROVIDER.fullmatch(text):
        raise InvalidIdentifierError(
            "Medicare provider number",
            value,
            "expected 6 digits, a practice location character (0-9 or A-Y other "
            "than I, O and S) and a check character from YXWTLKJHFBA, as in 2449001X",
        )
    expected = medicare_provider_check_character(text[:6], text[6])
    if text[7] != expected:
        raise InvalidIdentifierError(
            "Medicare provider number",
            value,
            f"check character is {text[7]} but the weighted sum modulo 11 "
            f"gives {expected}",
        )
    return text


def is_valid_medicare_provider_number(value: str) -> bool:
    """Tell whether ``value`` passes validate_medicare_provider_number."""
    try:
        validate_medicare_provider_number(value)
    except InvalidIdentifierError:
        return False
    return True
