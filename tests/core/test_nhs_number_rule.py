"""NHS number modulus 11 rule, checked on published numbers and generated ones."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    is_valid_nhs_number,
    nhs_number_check_digit,
    validate_nhs_number,
)

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def reference_check_digit(first_nine: str) -> int | None:
    """Compute the NHS Data Dictionary check digit, independently of the module."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


# Worked by hand:
# 9000000009: 9*10 = 90, 90 % 11 = 2, 11 - 2 = 9, and the last digit is 9.
# 9434765919: 90+36+24+28+42+30+20+27+2 = 299, 299 % 11 = 2, check 9, last digit 9.
# 9000000000: check 9 but the last digit is 0.
# 9999999990: 9 * 54 = 486, 486 % 11 = 2, check 9 but the last digit is 0.
VALID = ["9000000009", "9434765919"]
INVALID = ["9000000000", "9999999990"]


@pytest.mark.parametrize("value", VALID)
def test_published_valid_numbers(value: str) -> None:
    assert reference_check_digit(value[:9]) == int(value[9])
    assert validate_nhs_number(value) == value
    assert is_valid_nhs_number(value)


@pytest.mark.parametrize("value", INVALID)
def test_published_invalid_numbers(value: str) -> None:
    assert reference_check_digit(value[:9]) != int(value[9])
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_nhs_number(value)
    assert value in str(caught.value)
    assert caught.value.value == value
    assert not is_valid_nhs_number(value)


def test_check_digit_mismatch_message() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_nhs_number("9000000000")
    assert "check digit is 0" in str(caught.value)
    assert "modulus 11 gives 9" in str(caught.value)


def test_spaced_groups_accepted() -> None:
    assert validate_nhs_number("943 476 5919") == "9434765919"
    assert validate_nhs_number("943-476-5919") == "9434765919"


@pytest.mark.parametrize(
    "value", ["", "943476591", "94347659190", "94347659l9", "９４３４７６５９１９"]
)
def test_wrong_shape_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_nhs_number(value)
    assert "10 digits" in str(caught.value)


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_nhs_number(9434765919)  # type: ignore[arg-type]
    assert "9434765919" in str(caught.value)
    assert "got int" in str(caught.value)


def test_check_value_ten_rejected() -> None:
    # 100000001: 10 + 2 = 12, 12 % 11 = 1, 11 - 1 = 10, so never issued.
    assert nhs_number_check_digit("100000001") is None
    with pytest.raises(InvalidIdentifierError) as caught:
        validate_nhs_number("1000000010")
    assert "check value 10" in str(caught.value)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_check_digit_matches_reference(first_nine: str) -> None:
    assert nhs_number_check_digit(first_nine) == reference_check_digit(first_nine)


@given(nine_digits)
def test_generated_numbers_pass(first_nine: str) -> None:
    check = reference_check_digit(first_nine)
    assume(check is not None)
    number = f"{first_nine}{check}"
    assert validate_nhs_number(number) == number


@given(
    nine_digits,
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=1, max_value=9),
)
def test_digit_substitution_fails(first_nine: str, position: int, shift: int) -> None:
    check = reference_check_digit(first_nine)
    assume(check is not None)
    digits = list(f"{first_nine}{check}")
    digits[position] = str((int(digits[position]) + shift) % 10)
    changed = "".join(digits)
    assert not is_valid_nhs_number(changed)
