"""Identifier checks the Kaiser adapter runs before any request: NPI and MRN."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import is_valid_npi, npi_check_digit, validate_npi
from carecert.adapters.kaiser.mrn import is_valid_kaiser_mrn, validate_kaiser_mrn
from carecert.adapters.kaiser.synthetic import SAMPLE_NPI

GUIDE_NPI = "1234567890"
GUIDE_MRN = "KP123456789"

valid_npis = st.integers(100_000_000, 299_999_999).map(
    lambda n: f"{n}{npi_check_digit(str(n))}"
)


def test_guide_example_npi_fails_check_digit() -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_npi(GUIDE_NPI)

    assert "check digit is 0" in str(raised.value)
    assert "Luhn check with prefix 80840 gives 3" in str(raised.value)
    assert is_valid_npi("1234567893")


def test_sample_npi_is_valid() -> None:
    assert validate_npi(SAMPLE_NPI) == SAMPLE_NPI


@given(valid_npis)
def test_generated_npi_accepted(npi: str) -> None:
    assert validate_npi(npi) == npi


@given(valid_npis)
def test_every_single_digit_change_rejected(npi: str) -> None:
    for position in range(10):
        for digit in "0123456789":
            if digit == npi[position]:
                continue
            changed = npi[:position] + digit + npi[position + 1 :]
            assert not is_valid_npi(changed), changed


def test_guide_example_mrn_has_valid_format() -> None:
    # Kaiser MRNs have no published check digit, so the guide's MRN passes.
    assert validate_kaiser_mrn(GUIDE_MRN) == GUIDE_MRN


@given(st.from_regex(r"KP[0-9]{9}", fullmatch=True))
def test_generated_mrn_accepted(mrn: str) -> None:
    assert is_valid_kaiser_mrn(mrn)


@pytest.mark.parametrize(
    "mrn",
    [
        "KP12345678",
        "KP1234567890",
        "kp123456789",
        "KP 12345678",
        "123456789",
        "KP12345678X",
        "",
    ],
)
def test_malformed_mrn_rejected(mrn: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="expected KP and nine digits"):
        validate_kaiser_mrn(mrn)


def test_non_string_mrn_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_kaiser_mrn(123456789)  # type: ignore[arg-type]
