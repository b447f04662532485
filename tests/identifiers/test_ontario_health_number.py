"""Ontario health number validation: the Luhn check digit and the version code.

The Luhn check catches every change of one of the 10 digits. The version code
is not covered by the check digit, so any 1- or 2-letter code is accepted.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    is_valid_ontario_health_number,
    luhn_check_digit,
    split_ontario_health_number,
    validate_ontario_health_number,
)

version_codes = st.none() | st.text(
    alphabet=string.ascii_uppercase, min_size=1, max_size=2
)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=9, max_size=9))
    return f"{body}{luhn_check_digit(body)}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9876543217", ("9876543217", None)),
        ("9876543217AB", ("9876543217", "AB")),
        ("9876-543-217-ab", ("9876543217", "AB")),
        ("9876 543 217 K", ("9876543217", "K")),
    ],
)
def test_accepted_forms(value: str, expected: tuple[str, str | None]) -> None:
    assert split_ontario_health_number(value) == expected


def test_validate_joins_version_code() -> None:
    assert validate_ontario_health_number("9876-543-217-ab") == "9876543217AB"
    assert validate_ontario_health_number("9876543217") == "9876543217"


@pytest.mark.parametrize(
    "value", ["987654321", "98765432170", "9876543217ABC", "9876543217A1", ""]
)
def test_malformed_number_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="expected 10 digits"):
        validate_ontario_health_number(value)


def test_wrong_check_digit_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="is 8 but the Luhn check gives 7"):
        validate_ontario_health_number("9876543218")


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_ontario_health_number(9876543217)  # type: ignore[arg-type]


@given(valid_numbers(), version_codes)
def test_generated_numbers_accepted(number: str, version_code: str | None) -> None:
    value = number + (version_code or "")

    assert split_ontario_health_number(value) == (number, version_code)


@given(valid_numbers())
def test_every_single_substitution_rejected(number: str) -> None:
    for position in range(10):
        for digit in string.digits:
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            assert not is_valid_ontario_health_number(changed), (number, changed)
