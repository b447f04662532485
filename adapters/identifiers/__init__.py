"""Validators for national health identifiers, each with its check-digit rule."""

from carecert.adapters.identifiers.codice_fiscale import (
    CODICE_FISCALE_SYSTEM,
    codice_fiscale_check_letter,
    is_valid_codice_fiscale,
    validate_codice_fiscale,
)
from carecert.adapters.identifiers.kvnr import (
    KVNR_SYSTEM,
    is_valid_kvnr,
    kvnr_check_digit,
    validate_kvnr,
)
from carecert.adapters.identifiers.nhs_number import (
    NHS_NUMBER_SYSTEM,
    is_valid_nhs_number,
    nhs_number_check_digit,
    validate_nhs_number,
)
from carecert.adapters.identifiers.nir import (
    INS_NIR_SYSTEM,
    is_valid_nir,
    nir_key,
    validate_nir,
)
from carecert.adapters.identifiers.nuhsa import is_valid_nuhsa, validate_nuhsa
from carecert.adapters.identifiers.spanish_id import (
    DNI_CHECK_LETTERS,
    is_valid_spanish_id,
    spanish_id_check_letter,
    validate_dni,
    validate_nie,
    validate_spanish_id,
)

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "is_valid_nhs_number",
    "nhs_number_check_digit",
    "validate_nhs_number",
    "KVNR_SYSTEM",
    "is_valid_kvnr",
    "kvnr_check_digit",
    "validate_kvnr",
    "DNI_CHECK_LETTERS",
    "is_valid_spanish_id",
    "spanish_id_check_letter",
    "validate_dni",
    "validate_nie",
    "validate_spanish_id",
    "is_valid_nuhsa",
    "validate_nuhsa",
    "INS_NIR_SYSTEM",
    "is_valid_nir",
    "nir_key",
    "validate_nir",
    "CODICE_FISCALE_SYSTEM",
    "codice_fiscale_check_letter",
    "is_valid_codice_fiscale",
    "validate_codice_fiscale",
]
