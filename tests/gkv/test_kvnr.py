"""KVNR validation: published values, error messages and what the rule catches.

Each of the ten digits is weighted 1 or 2 and replaced by the digit sum of the
product. Both maps (d -> d and d -> digit sum of 2d) are permutations of 0-9,
so changing any one digit changes the sum modulo 10 and is always caught.
The letter adds (tens digit) + (digit sum of 2 * units digit) of its
alphabet position, and that map is not one-to-one modulo 10: E (05) and
J (10) both add 1. A letter change is caught exactly when the two letters
add different amounts, and the tests assert that and no more.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    is_valid_kvnr,
    kvnr_check_digit,
    validate_kvnr,
)

# K220635158 and K220645122 are used by the KBV e-prescription examples
# (eRezept_KBV 1.3.2), S040464113 by the same examples.
PUBLISHED_VALID = ["K220635158", "K220645122", "S040464113"]
# Placeholders in gematik and KBV examples and the KBV KVDT test file.
PUBLISHED_INVALID = ["X123456789", "X234567890", "P123464113", "A303011978"]


def letter_contribution(letter: str) -> int:
    position = ord(letter) - ord("A") + 1
    doubled = 2 * (position % 10)
    return (position // 10 + doubled // 10 + doubled % 10) % 10


@st.composite
def valid_kvnrs(draw: st.DrawFn) -> str:
    letter = draw(st.sampled_from(string.ascii_uppercase))
    body = draw(st.text(alphabet=string.digits, min_size=8, max_size=8))
    return f"{letter}{body}{kvnr_check_digit(letter, body)}"


@pytest.mark.parametrize("value", PUBLISHED_VALID)
def test_published_kvnr_valid(value: str) -> None:
    assert validate_kvnr(value) == value


@pytest.mark.parametrize("value", PUBLISHED_INVALID)
def test_placeholder_kvnr_rejected(value: str) -> None:
    assert not is_valid_kvnr(value)


def test_check_digit_worked_example() -> None:
    # K = 11 gives digits 1 1 2 2 0 6 3 5 1 5. Weighted 1, 2, 1, 2, ... the
    # products are 1 2 2 4 0 12 3 10 1 10, with digit sums totalling 18.
    assert kvnr_check_digit("K", "22063515") == 8


def test_error_names_value_and_rule() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_kvnr("X123456789")
    message = str(caught.value)
    assert "X123456789" in message
    assert "check digit is 9" in message
    assert "gives 8" in message
    assert caught.value.kind == "KVNR"


@pytest.mark.parametrize(
    "value",
    [
        "k220635158",
        "K22063515",
        "K2206351588",
        "1220635158",
        "K22063515X",
        "",
        "Ä220635158",
    ],
)
def test_bad_format_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="one capital letter A-Z"):
        validate_kvnr(value)


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string"):
        validate_kvnr(220635158)  # type: ignore[arg-type]


@pytest.mark.parametrize(("letter", "body"), [("a", "12345678"), ("A", "1234567")])
def test_check_digit_input_checked(letter: str, body: str) -> None:
    with pytest.raises(ValueError):
        kvnr_check_digit(letter, body)


def test_letters_e_and_j_collide() -> None:
    assert kvnr_check_digit("E", "12345678") == kvnr_check_digit("J", "12345678")


@given(valid_kvnrs())
def test_generated_valid_accepted(value: str) -> None:
    assert validate_kvnr(value) == value


@given(
    valid_kvnrs(),
    st.integers(min_value=1, max_value=9),
    st.integers(min_value=1, max_value=9),
)
def test_digit_substitution_caught(value: str, position: int, shift: int) -> None:
    changed_digit = str((int(value[position]) + shift) % 10)
    changed = value[:position] + changed_digit + value[position + 1 :]
    assert not is_valid_kvnr(changed)


@given(valid_kvnrs(), st.sampled_from(string.ascii_uppercase))
def test_letter_substitution_caught_when_sum_moves(value: str, letter: str) -> None:
    changed = letter + value[1:]
    same_sum = letter_contribution(letter) == letter_contribution(value[0])
    assert is_valid_kvnr(changed) == same_sum
