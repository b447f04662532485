"""NHS number validation: what modulus 11 accepts and which errors it catches.

The rule weights the ten digits 10, 9, ..., 2 and 1 (the check digit) and
needs the weighted sum to be a multiple of 11. The weights are distinct and
non-zero modulo 11, and 11 is prime, so changing one digit always changes the
sum modulo 11, and so does swapping any two different digits, adjacent or
not: the sum moves by (a - b) * (w_i - w_j), where neither factor is a
multiple of 11. The tests below check exactly that.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    is_valid_nhs_number,
    nhs_number_check_digit,
    validate_nhs_number,
)

PUBLISHED_TEST_NUMBERS = [
    "9000000009",
    "9000000017",
    "9000000025",
    "9000000033",
    "9111231130",
    "9434765919",
]


@st.composite
def valid_nhs_numbers(draw: st.DrawFn) -> str:
    """Draw ten-digit numbers whose check digit is right; shrinks toward zeros."""
    first_nine = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    check = nhs_number_check_digit(first_nine)
    if check is None:
        # No number is issued when the check value is 10. Changing the ninth
        # digit (weight 2) by +1 or -9 moves the weighted sum off that value.
        first_nine = first_nine[:8] + str((int(first_nine[8]) + 1) % 10)
        check = nhs_number_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


def weighted_sum(number: str) -> int:
    return sum(int(d) * w for d, w in zip(number, range(10, 0, -1), strict=True))


@pytest.mark.parametrize("number", PUBLISHED_TEST_NUMBERS)
def test_published_numbers_valid(number: str) -> None:
    assert validate_nhs_number(number) == number


def test_grouped_digits_accepted() -> None:
    assert validate_nhs_number("943 476 5919") == "9434765919"
    assert validate_nhs_number("943-476-5919") == "9434765919"


@pytest.mark.parametrize(
    "value",
    [
        "9000000000",
        "900000000",
        "90000000091",
        "94347659l9",
        "",
        "９００００００００９",
    ],
)
def test_invalid_numbers_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_nhs_number(value)

    assert repr(value) in str(raised.value)


@given(valid_nhs_numbers())
def test_generated_valid_numbers_accepted(number: str) -> None:
    assert validate_nhs_number(number) == number
    assert weighted_sum(number) % 11 == 0


@given(valid_nhs_numbers())
def test_every_single_digit_change_rejected(number: str) -> None:
    for position in range(10):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            assert not is_valid_nhs_number(changed), (number, changed)


@given(valid_nhs_numbers())
def test_every_adjacent_transposition_rejected(number: str) -> None:
    for position in range(9):
        swapped = (
            number[:position]
            + number[position + 1]
            + number[position]
            + number[position + 2 :]
        )
        if swapped == number:
            continue
        assert not is_valid_nhs_number(swapped), (number, swapped)


@given(valid_nhs_numbers())
def test_every_distant_transposition_rejected(number: str) -> None:
    for first in range(10):
        for second in range(first + 2, 10):
            digits = list(number)
            digits[first], digits[second] = digits[second], digits[first]
            swapped = "".join(digits)
            if swapped == number:
                continue
            assert not is_valid_nhs_number(swapped), (number, swapped)


def test_check_value_ten_never_issued() -> None:
    first_nine = next(
        f"{n:09d}" for n in range(10**6) if nhs_number_check_digit(f"{n:09d}") is None
    )

    for digit in "0123456789":
        assert not is_valid_nhs_number(first_nine + digit)
