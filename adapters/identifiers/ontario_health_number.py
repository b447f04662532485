"""Ontario health card number validation (OHIP).

The health number is 10 digits whose last digit is a Luhn check digit over
the first nine. A card may also carry a version code of one or two capital
letters, which changes when the card is replaced and is not covered by the
check digit.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers.luhn import is_luhn_valid, luhn_check_digit

__all__ = [
    "ONTARIO_HEALTH_NUMBER_SYSTEM",
    "is_valid_ontario_health_number",
    "split_ontario_health_number",
    "validate_ontario_health_number",
]

# NOTE: this Canada Health Infoway naming system URI is not checked against
# the CA Baseline guide. That guide may expect the version code in an
# extension, while the templates keep it in the value.
ONTARIO_HEALTH_NUMBER_SYSTEM = (
    "https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn"
)

_CARD = re.compile(r"([0-9]{10})([A-Z]{1,2})?")


def split_ontario_health_number(value: str) -> tuple[str, str | None]:
    """Return the 10-digit health number and the version code (or None), or
    raise InvalidIdentifierError.

    Spaces and hyphens between groups (``1234-567-890-AB``) and a lower-case
    version code are accepted.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "Ontario health number",
            repr(value),
            f"expected a string, got {type(value).__name__}",
        )
    text = value.replace(" ", "").replace("-", "").upper()
    match = _CARD.fullmatch(text)
    if match is None:
        raise InvalidIdentifierError(
            "Ontario health number",
            value,
            "expected 10 digits and an optional 1- or 2-letter version code, "
            "as in 9876-543-217-AB",
        )
    digits, version_code = match.group(1), match.group(2)
    if not is_luhn_valid(digits):
        raise InvalidIdentifierError(
            "Ontario health number",
            value,
            f"check digit is {digits[9]} but the Luhn check gives "
            f"{luhn_check_digit(digits[:9])}",
        )
    return digits, version_code


def validate_ontario_health_number(value: str) -> str:
    """Return the health number as 10 digits followed by any version code, or
    raise InvalidIdentifierError."""
    digits, version_code = split_ontario_health_number(value)
    return digits + (version_code or "")


def is_valid_ontario_health_number(value: str) -> bool:
    """Tell whether ``value`` passes validate_ontario_health_number."""
    try:
        validate_ontario_health_number(value)
    except InvalidIdentifierError:
        return False
    return True
