"""Italian codice fiscale validation (the personal tax code, also printed on the
Tessera Sanitaria).

The 16 characters are 3 letters from the surname and 3 from the given name,
then the year of birth (2 digits), the month (a letter from ``ABCDEHLMPRST``)
and the day (2 digits, plus 40 for women). The birthplace's cadastral code (a
letter and 3 digits) and a check letter follow. Where two people would get the same code
(omocodia), digits from the right are replaced by ``LMNPQRSTUV`` for 0 to 9.

The check letter is ``chr(ord("A") + total % 26)``, where total adds up the
first 15 characters, each valued by the odd-position table at positions 1, 3,
..., 15 and by the even-position table at positions 2, 4, ..., 14.
"""

from __future__ import annotations

import re
import string

from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "CODICE_FISCALE_SYSTEM",
    "MONTH_LETTERS",
    "OMOCODIA_LETTERS",
    "codice_fiscale_check_letter",
    "is_valid_codice_fiscale",
    "validate_codice_fiscale",
]

CODICE_FISCALE_SYSTEM = "http://hl7.it/sid/codiceFiscale"
"""FHIR Identifier.system of the codice fiscale, as used by HL7 Italia."""

OMOCODIA_LETTERS = "LMNPQRSTUV"
MONTH_LETTERS = "ABCDEHLMPRST"

# Values of A to Z at odd (1-based) positions. A digit takes the value of the
# letter at the same index, so "0" is valued as "A" and "1" as "B".
_ODD_VALUES = (
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18,
    20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
)  # fmt: skip

_DIGIT = f"[0-9{OMOCODIA_LETTERS}]"
_SHAPE = re.compile(
    f"[A-Z]{{6}}{_DIGIT}{{2}}[{MONTH_LETTERS}]{_DIGIT}{{2}}[A-Z]{_DIGIT}{{3}}[A-Z]"
)
_TO_DIGIT = str.maketrans(OMOCODIA_LETTERS, string.digits)


def codice_fiscale_check_letter(first_15: str) -> str:
    """Compute the check letter of the first 15 characters of a codice fiscale."""
    if len(first_15) != 15 or not all(
        c in string.ascii_uppercase or c in string.digits for c in first_15
    ):
        raise ValueError(
            f"expected 15 upper-case ASCII letters and digits, got {first_15!r}"
        )
    total = 0
    for index, character in enumerate(first_15):
        value = _value(character)
        # index 0 is position 1, an odd position.
        total += _ODD_VALUES[value] if index % 2 == 0 else value
    return chr(ord("A") + total % 26)


def validate_codice_fiscale(value: str) -> str:
    """Return the codice fiscale in upper case, or raise InvalidIdentifierError.

    Spaces and lower case are accepted. Besides the check letter, the day of
    birth must be 1 to 31 or 41 to 71, after undoing any omocodia letters.
    """
    # NOTE: the 11-digit numeric codes given to organisations and, for a
    # while, to people awaiting a full code are rejected. The cadastral code
    # is checked for shape only, not against the list of municipalities.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "codice fiscale",
            repr(value),
            f"expected a string, got {type(value).__name__}",
        )
    text = value.replace(" ", "").upper()
    if not _SHAPE.fullmatch(text):
        raise InvalidIdentifierError(
            "codice fiscale",
            value,
            "expected 6 letters, 2 digits, a month letter, 2 digits, a letter, "
            "3 digits and a check letter, as in RSSMRA85T10A562S",
        )
    day = int(text[9:11].translate(_TO_DIGIT))
    if not (1 <= day <= 31 or 41 <= day <= 71):
        raise InvalidIdentifierError(
            "codice fiscale",
            value,
            f"day of birth {day:02d} is not 01 to 31 (men) or 41 to 71 (women)",
        )
    expected = codice_fiscale_check_letter(text[:15])
    if text[15] != expected:
        raise InvalidIdentifierError(
            "codice fiscale",
            value,
            f"check letter is {text[15]} but the odd and even tables give {expected}",
        )
    return text


def is_valid_codice_fiscale(value: str) -> bool:
    """Tell whether ``value`` passes validate_codice_fiscale."""
    try:
        validate_codice_fiscale(value)
    except InvalidIdentifierError:
        return False
    return True


def _value(character: str) -> int:
    # Even-position value: 0-9 for digits, 0-25 for A-Z.
    if character in string.digits:
        return int(character)
    return ord(character) - ord("A")
