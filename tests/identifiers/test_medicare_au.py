"""Australian Medicare card and provider number validation.

Card numbers: the weights 1, 3, 7 and 9 are all coprime to 10, so a change of
any one of digits 1 to 8 changes the weighted sum modulo 10 and the check
digit catches it. The issue number (digit 10) and the IRN (digit 11) are not
covered, so changing them alone is accepted.

Provider numbers: 11 is prime and the stem weights 3, 5, 8, 4, 2, 1 are not
multiples of it, so every change of one stem digit is caught. A change of the
location character moves the sum by 6 times the change of its PLV, which is a
multiple of 11 only when the PLVs differ by 11 or 22, and only those changes
pass. The check characters are all different, so any change of the check
character is caught.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    PRACTICE_LOCATION_CHARACTERS,
    PROVIDER_CHECK_CHARACTERS,
    is_valid_medicare_number,
    is_valid_medicare_provider_number,
    medicare_check_digit,
    medicare_provider_check_character,
    validate_medicare_number,
    validate_medicare_provider_number,
)

PROVIDER_ALPHABET = string.digits + string.ascii_uppercase


@st.composite
def valid_cards(draw: st.DrawFn) -> str:
    first_eight = draw(st.sampled_from("23456")) + draw(
        st.text(alphabet=string.digits, min_size=7, max_size=7)
    )
    issue_and_irn = draw(st.text(alphabet=string.digits, min_size=1, max_size=2))
    return f"{first_eight}{medicare_check_digit(first_eight)}{issue_and_irn}"


@st.composite
def valid_provider_numbers(draw: st.DrawFn) -> str:
    stem = draw(st.text(alphabet=string.digits, min_size=6, max_size=6))
    location = draw(st.sampled_from(PRACTICE_LOCATION_CHARACTERS))
    return stem + location + medicare_provider_check_character(stem, location)


def test_nehta_worked_example() -> None:
    # Weighted sum 170, so check digit 0.
    assert medicare_check_digit("21234567") == 0
    assert validate_medicare_number("2123 45670 1") == "2123456701"


def test_au_base_example_with_irn() -> None:
    assert validate_medicare_number("32788511952") == "32788511952"


@pytest.mark.parametrize(
    "value",
    ["1123456701", "7123456701", "212345670", "212345670123", "2123-45670-1", ""],
)
def test_malformed_card_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="starting with 2 to 6"):
        validate_medicare_number(value)


def test_wrong_card_check_digit_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="is 1 but weights 1, 3, 7, 9"):
        validate_medicare_number("2123456711")


def test_non_string_card_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_medicare_number(2123456701)  # type: ignore[arg-type]


@given(valid_cards())
def test_generated_cards_accepted(card: str) -> None:
    assert validate_medicare_number(card) == card


@given(valid_cards())
def test_card_substitutions_in_digits_1_to_9_rejected(card: str) -> None:
    for position in range(9):
        for digit in string.digits:
            if digit == card[position]:
                continue
            changed = card[:position] + digit + card[position + 1 :]
            assert not is_valid_medicare_number(changed), (card, changed)


@given(valid_cards())
def test_card_issue_number_and_irn_not_checked(card: str) -> None:
    for position in range(9, len(card)):
        for digit in string.digits:
            changed = card[:position] + digit + card[position + 1 :]
            assert is_valid_medicare_number(changed), (card, changed)


def test_location_table_skips_i_o_s_z() -> None:
    assert len(PRACTICE_LOCATION_CHARACTERS) == 32
    assert PRACTICE_LOCATION_CHARACTERS.index("A") == 10
    assert PRACTICE_LOCATION_CHARACTERS.index("J") == 18
    assert PRACTICE_LOCATION_CHARACTERS.index("T") == 26
    assert PRACTICE_LOCATION_CHARACTERS.index("Y") == 31
    assert not set("IOSZ") & set(PRACTICE_LOCATION_CHARACTERS)


def test_provider_check_character_worked_values() -> None:
    # 2*3 + 4*5 + 4*8 + 9*4 + 0*2 + 0*1 + 1*6 = 100, remainder 1, so X.
    assert medicare_provider_check_character("244900", "1") == "X"
    # clearwater.com.au's example number.
    assert validate_medicare_provider_number("4024742F") == "4024742F"
    assert validate_medicare_provider_number("2449 001x") == "2449001X"


@pytest.mark.parametrize(
    "value", ["2449001S", "244900IX", "24490010", "244900X", "2449001XX", ""]
)
def test_malformed_provider_number_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="expected 6 digits"):
        validate_medicare_provider_number(value)


def test_wrong_provider_check_character_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="is A but .* gives B"):
        validate_medicare_provider_number("1234561A")


@given(valid_provider_numbers())
def test_generated_provider_numbers_accepted(number: str) -> None:
    assert validate_medicare_provider_number(number) == number


@given(valid_provider_numbers())
def test_provider_substitutions_rejected(number: str) -> None:
    plv = PRACTICE_LOCATION_CHARACTERS.index(number[6])
    for position in range(8):
        for character in PROVIDER_ALPHABET:
            if character == number[position]:
                continue
            changed = number[:position] + character + number[position + 1 :]
            undetected = (
                position == 6
                and character in PRACTICE_LOCATION_CHARACTERS
                and abs(PRACTICE_LOCATION_CHARACTERS.index(character) - plv) in (11, 22)
            )
            assert is_valid_medicare_provider_number(changed) is undetected, (
                number,
                changed,
            )


def test_check_characters_distinct() -> None:
    assert len(set(PROVIDER_CHECK_CHARACTERS)) == 11
