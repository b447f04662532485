"""Brazilian CPF and CNS validation.

The CPF (Cadastro de Pessoas Físicas, the individual taxpayer number) is 9
digits and two check digits. The first check digit weights digits 1 to 9 by
10 down to 2, the second weights digits 1 to 10 by 11 down to 2. For each,
with r the weighted sum modulo 11, the check digit is 0 when r is 0 or 1,
else 11 - r.

The CNS (Cartão Nacional de Saúde, the SUS health card number) is 15 digits.
Definitive numbers start with 1 or 2 and provisional ones with 7, 8 or 9. In
both, the digits weighted 15 down to 1 sum to a multiple of 11. Digit 5 has
weight 11, so a change of that digit alone is never caught.
"""

from __future__ import annotations

import re

from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "CNS_SYSTEM",
    "CPF_SYSTEM",
    "cpf_check_digits",
    "is_valid_cns",
    "is_valid_cpf",
    "validate_cns",
    "validate_cpf",
]

# NOTE: neither system URI is checked against the RNDS (Rede Nacional de
# Dados em Saúde) guide. The CPF one is as a third-party Brazilian guide
# declares it, and the CNS one assumes the same pattern.
CPF_SYSTEM = "http://rnds.saude.gov.br/fhir/r4/NamingSystem/cpf"
"""FHIR Identifier.system of the CPF in the RNDS profiles."""

CNS_SYSTEM = "http://rnds.saude.gov.br/fhir/r4/NamingSystem/cns"
"""FHIR Identifier.system of the CNS in the RNDS profiles."""

_CPF = re.compile(r"[0-9]{11}")
_CPF_PRINTED = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}")
_CNS = re.compile(r"[12789][0-9]{14}")


def _mod11_check_digit(digits: str) -> int:
    # Weights run from len(digits) + 1 down to 2.
    weight_of_first = len(digits) + 1
    total = sum(
        int(digit) * (weight_of_first - index) for index, digit in enumerate(digits)
    )
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def cpf_check_digits(first_nine: str) -> str:
    """Compute the two check digits of the first 9 digits of a CPF."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError(f"expected nine ASCII digits, got {first_nine!r}")
    first = _mod11_check_digit(first_nine)
    second = _mod11_check_digit(first_nine + str(first))
    return f"{first}{second}"


def validate_cpf(value: str) -> str:
    """Return the CPF as 11 digits, or raise InvalidIdentifierError.

    The printed form ``123.456.789-09`` is accepted as well as the bare digits.
    Numbers of one repeated digit, such as 111.111.111-11, pass the check
    digits but are never issued, so they are rejected.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "CPF", repr(value), f"expected a string, got {type(value).__name__}"
        )
    if _CPF_PRINTED.fullmatch(value):
        digits = value.replace(".", "").replace("-", "")
    else:
        digits = value
    if not _CPF.fullmatch(digits):
        raise InvalidIdentifierError(
            "CPF", value, "expected 11 digits, as in 123.456.789-09 or 12345678909"
        )
    if len(set(digits)) == 1:
        raise InvalidIdentifierError(
            "CPF", value, "a CPF of one repeated digit is never issued"
        )
    expected = cpf_check_digits(digits[:9])
    if digits[9:] != expected:
        raise InvalidIdentifierError(
            "CPF",
            value,
            f"check digits are {digits[9:]} but modulus 11 gives {expected}",
        )
    return digits


def is_valid_cpf(value: str) -> bool:
    """Tell whether ``value`` passes validate_cpf."""
    try:
        validate_cpf(value)
    except InvalidIdentifierError:
        return False
    return True


def validate_cns(value: str) -> str:
    """Return the CNS as 15 digits, or raise InvalidIdentifierError.

    Spaces between the groups printed on the card (``700 0000 0000 0005``) are
    accepted and removed.
    """
    # NOTE: definitive numbers generated from a PIS/PASEP number also have
    # 000 or 001 as digits 12 to 14. That structure is not checked, only the
    # weighted sum.
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "CNS", repr(value), f"expected a string, got {type(value).__name__}"
        )
    digits = value.replace(" ", "")
    if not _CNS.fullmatch(digits):
        raise InvalidIdentifierError(
            "CNS",
            value,
            "expected 15 digits starting with 1 or 2 (definitive) or 7, 8 or 9 "
            "(provisional)",
        )
    total = sum(int(digit) * (15 - index) for index, digit in enumerate(digits))
    if total % 11 != 0:
        raise InvalidIdentifierError(
            "CNS",
            value,
            f"the digits weighted 15 down to 1 sum to {total}, which is not a "
            "multiple of 11",
        )
    return digits


def is_valid_cns(value: str) -> bool:
    """Tell whether ``value`` passes validate_cns."""
    try:
        validate_cns(value)
    except InvalidIdentifierError:
        return False
    return True
