"""Validators for national health identifiers, each with its check-digit rule."""

from carecert.adapters.identifiers.nhs_number import (
    NHS_NUMBER_SYSTEM,
    is_valid_nhs_number,
    nhs_number_check_digit,
    validate_nhs_number,
)

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "is_valid_nhs_number",
    "nhs_number_check_digit",
    "validate_nhs_number",
]
