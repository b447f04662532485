"""Identifier and input checks made before any request is sent.

The guide's example numbers are checked one by one: those that fail their
check digit must be rejected with a message that names the digit expected.
Generated numbers must pass, and every single-character change must fail.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    validate_hpii,
    validate_hpio,
    validate_ihi,
    validate_medicare_number,
    validate_medicare_provider_number,
)
from carecert.adapters.identifiers.au_healthcare_identifiers import (
    HealthcareIdentifierKind,
)
from carecert.adapters.identifiers.medicare_au import PRACTICE_LOCATION_CHARACTERS
from carecert.adapters.medicare_au.synthetic import (
    healthcare_identifier,
    medicare_number,
    provider_number,
)
from carecert.adapters.medicare_au.validation import (
    validate_access_code,
    validate_item_numbers,
    validate_service_date,
)

HI_VALIDATORS = {
    HealthcareIdentifierKind.IHI: validate_ihi,
    HealthcareIdentifierKind.HPI_I: validate_hpii,
    HealthcareIdentifierKind.HPI_O: validate_hpio,
}
seeds = st.integers(min_value=0, max_value=2**32)


# The guide's example values


def test_guide_ihi_passes() -> None:
    assert validate_ihi("8003608833357361") == "8003608833357361"


def test_guide_medicare_number_passes_spaced() -> None:
    assert validate_medicare_number("2123 45670 1") == "2123456701"


def test_guide_hpio_fails_luhn() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_hpio("8003621234567890")
    assert "Luhn check gives 2" in str(caught.value)


def test_guide_provider_number_fails_check() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_medicare_provider_number("2345678A")
    assert "check character is A" in str(caught.value)
    assert "gives F" in str(caught.value)


def test_au_base_provider_number_fails_check() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_medicare_provider_number("1234561A")
    assert "gives B" in str(caught.value)


def test_corrected_guide_numbers_pass() -> None:
    assert validate_medicare_provider_number("2345678F") == "2345678F"
    assert validate_hpio("8003621234567892") == "8003621234567892"


# Generated numbers


@given(seeds, st.sampled_from(list(HealthcareIdentifierKind)))
def test_generated_healthcare_identifier_passes(
    seed: int, kind: HealthcareIdentifierKind
) -> None:
    value = healthcare_identifier(kind, random.Random(seed))
    assert HI_VALIDATORS[kind](value) == value
    assert value.startswith(kind.value)


@settings(max_examples=30)
@given(seeds, st.sampled_from(list(HealthcareIdentifierKind)))
def test_healthcare_identifier_digit_change_fails(
    seed: int, kind: HealthcareIdentifierKind
) -> None:
    value = healthcare_identifier(kind, random.Random(seed))
    for position in range(16):
        for digit in "0123456789":
            if digit == value[position]:
                continue
            changed = value[:position] + digit + value[position + 1 :]
            with pytest.raises(InvalidIdentifierError):
                HI_VALIDATORS[kind](changed)


@given(seeds, st.booleans())
def test_generated_medicare_number_passes(seed: int, irn: bool) -> None:
    value = medicare_number(random.Random(seed), irn=irn)
    assert validate_medicare_number(value) == value
    assert len(value) == (11 if irn else 10)


@settings(max_examples=50)
@given(seeds)
def test_medicare_check_digit_change_fails(seed: int) -> None:
    # Digits 10 and 11 (issue number and IRN) are outside the check, so only
    # the first nine are changed.
    value = medicare_number(random.Random(seed))
    for position in range(9):
        for digit in "0123456789":
            if digit == value[position]:
                continue
            changed = value[:position] + digit + value[position + 1 :]
            with pytest.raises(InvalidIdentifierError):
                validate_medicare_number(changed)


@given(seeds)
def test_generated_provider_number_passes(seed: int) -> None:
    value = provider_number(random.Random(seed))
    assert validate_medicare_provider_number(value) == value


@settings(max_examples=50)
@given(seeds)
def test_provider_number_character_change_fails(seed: int) -> None:
    # The stem weights 3, 5, 8, 4, 2, 1 are coprime with 11 and a digit moves
    # by at most 9, so every single stem change moves the sum modulo 11.
    value = provider_number(random.Random(seed))
    alphabets = ["0123456789"] * 6 + [PRACTICE_LOCATION_CHARACTERS, "YXWTLKJHFBA"]
    for position, alphabet in enumerate(alphabets):
        for character in alphabet:
            if character == value[position] or position == 6:
                continue
            changed = value[:position] + character + value[position + 1 :]
            with pytest.raises(InvalidIdentifierError):
                validate_medicare_provider_number(changed)


@settings(max_examples=50)
@given(seeds)
def test_provider_location_change_detection(seed: int) -> None:
    # Practice location values run from 0 to 31, so a change by 11 or 22
    # leaves 6 x PLV unchanged modulo 11: the published check cannot see it.
    value = provider_number(random.Random(seed))
    plv = PRACTICE_LOCATION_CHARACTERS.index(value[6])
    for other, character in enumerate(PRACTICE_LOCATION_CHARACTERS):
        if other == plv:
            continue
        changed = value[:6] + character + value[7]
        if (other - plv) % 11 == 0:
            assert validate_medicare_provider_number(changed) == changed
        else:
            with pytest.raises(InvalidIdentifierError):
                validate_medicare_provider_number(changed)


# Other inputs


@pytest.mark.parametrize("code", ["4567", "K7Q2M9", "12345678", "abcd"])
def test_access_code_accepted(code: str) -> None:
    assert validate_access_code(code) == code


def test_access_code_none_means_no_code() -> None:
    assert validate_access_code(None) is None


@pytest.mark.parametrize("code", ["", "123", "123456789", "12 34", "12-34", "4567\n"])
def test_access_code_rejected(code: str) -> None:
    with pytest.raises(ValueError, match="4 to 8 letters or digits"):
        validate_access_code(code)


def test_access_code_not_in_message() -> None:
    with pytest.raises(ValueError) as caught:
        validate_access_code("secret-code")
    assert "secret-code" not in str(caught.value)


def test_item_numbers_accepted() -> None:
    assert validate_item_numbers(["23", "36"]) == ("23", "36")
    assert validate_item_numbers([23, "10990"]) == ("23", "10990")


@pytest.mark.parametrize(
    "items", [[], ["023"], ["123456"], ["23a"], [True], [-23], "23"]
)
def test_item_numbers_rejected(items: object) -> None:
    with pytest.raises(ValueError, match="item"):
        validate_item_numbers(items)  # type: ignore[arg-type]


def test_service_date_parsed() -> None:
    today = date(2025, 2, 1)
    assert validate_service_date("2025-01-20", today=today) == date(2025, 1, 20)
    assert validate_service_date(date(2025, 2, 1), today=today) == today


def test_service_date_future_rejected() -> None:
    with pytest.raises(ValueError, match="in the future"):
        validate_service_date("2025-02-02", today=date(2025, 2, 1))


def test_service_date_malformed_rejected() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        validate_service_date("20/01/2025", today=date(2025, 2, 1))
