"""Japanese My Number validation: what the modulus 11 check digit catches.

The weights 2 to 7 are not multiples of 11, so a change of one of the first
11 digits always changes the remainder r. It goes unnoticed only when r moves
between 0 and 1, because both give check digit 0. A change of the check digit
itself is always caught.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    is_valid_my_number,
    my_number_check_digit,
    validate_my_number,
)


def remainder(first_eleven: str) -> int:
    # Pn is the n-th digit from the right, weighted n + 1 up to n = 6, then n - 5.
    total = 0
    for n, digit in enumerate(reversed(first_eleven), start=1):
        total += int(digit) * (n + 1 if n <= 6 else n - 5)
    return total % 11


@st.composite
def valid_my_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=11, max_size=11))
    return f"{body}{my_number_check_digit(body)}"


def test_worked_value() -> None:
    # Weighted sum 212, remainder 3, so check digit 8.
    assert remainder("12345678901") == 3
    assert my_number_check_digit("12345678901") == 8
    assert validate_my_number("1234 5678 9018") == "123456789018"
    assert validate_my_number("1234-5678-9018") == "123456789018"


def test_remainders_0_and_1_give_0() -> None:
    assert remainder("00000000000") == 0
    assert my_number_check_digit("00000000000") == 0
    # The last of the 11 digits has weight 2 and the one before it weight 3.
    assert remainder("00000000040") == 1
    assert my_number_check_digit("00000000040") == 0


@pytest.mark.parametrize(
    "value", ["12345678901", "1234567890180", "12345678901X", "1234 5678 901 8 x", ""]
)
def test_malformed_my_number_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="exactly 12 digits"):
        validate_my_number(value)


def test_wrong_check_digit_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="is 9 but .* gives 8"):
        validate_my_number("123456789019")


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_my_number(123456789018)  # type: ignore[arg-type]


@given(valid_my_numbers())
def test_generated_my_numbers_accepted(value: str) -> None:
    assert validate_my_number(value) == value


@given(valid_my_numbers())
def test_substitution_caught_unless_remainder_0_1(value: str) -> None:
    before = remainder(value[:11])
    for position in range(12):
        for digit in string.digits:
            if digit == value[position]:
                continue
            changed = value[:position] + digit + value[position + 1 :]
            undetected = position < 11 and {before, remainder(changed[:11])} == {0, 1}
            assert is_valid_my_number(changed) is undetected, (value, changed)
