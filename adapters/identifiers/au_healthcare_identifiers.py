"""Australian Healthcare Identifiers: IHI, HPI-I and HPI-O validation.

Each is 16 digits that pass the Luhn check, and the first six digits name the
kind: 800360 for an Individual Healthcare Identifier (IHI, a patient), 800361
for a Healthcare Provider Identifier - Individual (HPI-I) and 800362 for one
of an Organisation (HPI-O). The HL7 AU Base identifier profiles (au-ihi,
au-hpii, au-hpio) state these three rules as FHIRPath invariants.
"""

from __future__ import annotations

import re
from enum import StrEnum

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers.luhn import is_luhn_valid, luhn_check_digit

__all__ = [
    "HPII_SYSTEM",
    "HPIO_SYSTEM",
    "IHI_SYSTEM",
    "HealthcareIdentifierKind",
    "is_valid_healthcare_identifier",
    "validate_healthcare_identifier",
    "validate_hpii",
    "validate_hpio",
    "validate_ihi",
]

IHI_SYSTEM = "http://ns.electronichealth.net.au/id/hi/ihi/1.0"
HPII_SYSTEM = "http://ns.electronichealth.net.au/id/hi/hpii/1.0"
HPIO_SYSTEM = "http://ns.electronichealth.net.au/id/hi/hpio/1.0"


class HealthcareIdentifierKind(StrEnum):
    """Kinds of Healthcare Identifier, each with its 6-digit prefix as value."""

    IHI = "800360"
    HPI_I = "800361"
    HPI_O = "800362"


_NAMES = {
    HealthcareIdentifierKind.IHI: "IHI",
    HealthcareIdentifierKind.HPI_I: "HPI-I",
    HealthcareIdentifierKind.HPI_O: "HPI-O",
}
_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")


def validate_healthcare_identifier(value: str, kind: HealthcareIdentifierKind) -> str:
    """Return the identifier as 16 digits, or raise InvalidIdentifierError.

    Spaces between digit groups (``8003 6088 3335 7361``) are accepted and
    removed.
    """
    name = _NAMES[kind]
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            name, repr(value), f"expected a string, got {type(value).__name__}"
        )
    digits = value.replace(" ", "")
    if not _SIXTEEN_DIGITS.fullmatch(digits):
        raise InvalidIdentifierError(name, value, "expected exactly 16 digits")
    if not digits.startswith(kind.value):
        raise InvalidIdentifierError(
            name, value, f"an {name} starts with {kind.value}, not {digits[:6]}"
        )
    if not is_luhn_valid(digits):
        raise InvalidIdentifierError(
            name,
            value,
            f"check digit is {digits[15]} but the Luhn check gives "
            f"{luhn_check_digit(digits[:15])}",
        )
    return digits


def is_valid_healthcare_identifier(value: str, kind: HealthcareIdentifierKind) -> bool:
    """Tell whether ``value`` passes validate_healthcare_identifier for ``kind``."""
    try:
        validate_healthcare_identifier(value, kind)
    except InvalidIdentifierError:
        return False
    return True


def validate_ihi(value: str) -> str:
    """Return the IHI as 16 digits, or raise InvalidIdentifierError."""
    return validate_healthcare_identifier(value, HealthcareIdentifierKind.IHI)


def validate_hpii(value: str) -> str:
    """Return the HPI-I as 16 digits, or raise InvalidIdentifierError."""
    return validate_healthcare_identifier(value, HealthcareIdentifierKind.HPI_I)


def validate_hpio(value: str) -> str:
    """Return the HPI-O as 16 digits, or raise InvalidIdentifierError."""
    return validate_healthcare_identifier(value, HealthcareIdentifierKind.HPI_O)
