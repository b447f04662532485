"""Brazilian CPF and CNS validation: what their modulus 11 checks catch.

CPF: each check digit maps remainders 0 and 1 to 0. So a change of one of the
first 9 digits goes unnoticed when it moves the first remainder between 0 and
1 and also moves the second between 0 and 1 or leaves it unchanged. Digit 1 has
weight 11 in the second sum, so changing it never changes the second
remainder: 828.836.075-08 and 728.836.075-08 both pass. Changes of a check
digit are always caught.

CNS: digit 5 has weight 11, so changing it alone is never caught. Every other
weight (15 down to 1) is not a multiple of 11, so every other change of one
digit is caught.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    cpf_check_digits,
    is_valid_cns,
    is_valid_cpf,
    validate_cns,
    validate_cpf,
)


def weighted_remainder(digits: str) -> int:
    # Weights run from len(digits) + 1 down to 2.
    top = len(digits) + 1
    return sum(int(d) * (top - i) for i, d in enumerate(digits)) % 11


def check_class(remainder: int) -> int:
    # Remainders 0 and 1 give the same check digit, 0.
    return 0 if remainder <= 1 else remainder


@st.composite
def valid_cpfs(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=9, max_size=9))
    assume(len(set(body)) > 1)
    return body + cpf_check_digits(body)


@st.composite
def valid_cnss(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from("12789")) + draw(
        st.text(alphabet=string.digits, min_size=13, max_size=13)
    )
    total = sum(int(d) * (15 - i) for i, d in enumerate(head))
    last = -total % 11
    assume(last != 10)
    return f"{head}{last}"


def test_cpf_worked_value() -> None:
    # First sum 210, remainder 1, so 0. Second sum 255, remainder 2, so 9.
    assert cpf_check_digits("123456789") == "09"
    assert validate_cpf("123.456.789-09") == "12345678909"
    assert validate_cpf("12345678909") == "12345678909"


@pytest.mark.parametrize(
    "value",
    [
        "1234567890",
        "123456789090",
        "123.456.78909",
        "123 456 789 09",
        "1234567890X",
        "",
    ],
)
def test_malformed_cpf_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="expected 11 digits"):
        validate_cpf(value)


@pytest.mark.parametrize("digit", string.digits)
def test_repeated_digit_cpf_rejected(digit: str) -> None:
    value = digit * 11

    assert cpf_check_digits(digit * 9) == digit * 2
    with pytest.raises(InvalidIdentifierError, match="one repeated digit"):
        validate_cpf(value)


def test_wrong_cpf_check_digits_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="are 08 but modulus 11 gives 09"):
        validate_cpf("12345678908")


def test_cpf_digit_1_blind_spot() -> None:
    assert validate_cpf("828.836.075-08") == "82883607508"
    assert validate_cpf("728.836.075-08") == "72883607508"


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_cpf(12345678909)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_cns(700000000000005)  # type: ignore[arg-type]


@given(valid_cpfs())
def test_generated_cpfs_accepted(cpf: str) -> None:
    assert validate_cpf(cpf) == cpf


@given(valid_cpfs())
def test_cpf_substitutions_caught_as_derived(cpf: str) -> None:
    first, second = weighted_remainder(cpf[:9]), weighted_remainder(cpf[:10])
    for position in range(11):
        for digit in string.digits:
            if digit == cpf[position]:
                continue
            changed = cpf[:position] + digit + cpf[position + 1 :]
            undetected = (
                position < 9
                and len(set(changed)) > 1
                and check_class(weighted_remainder(changed[:9])) == check_class(first)
                and check_class(weighted_remainder(changed[:10])) == check_class(second)
            )
            assert is_valid_cpf(changed) is undetected, (cpf, changed)


@pytest.mark.parametrize(
    "value", ["700000000000005", "7000 0000 0000 005", "100000000000007"]
)
def test_cns_worked_values(value: str) -> None:
    # 7*15 + 5*1 = 110 and 1*15 + 7*1 = 22, both multiples of 11.
    assert validate_cns(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    "value", ["300000000000007", "70000000000005", "7000000000000050", "7x0", ""]
)
def test_malformed_cns_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="expected 15 digits"):
        validate_cns(value)


def test_wrong_cns_sum_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="sum to 111, which is not"):
        validate_cns("700000000000006")


@given(valid_cnss())
def test_generated_cnss_accepted(cns: str) -> None:
    assert validate_cns(cns) == cns


@given(valid_cnss())
def test_cns_substitutions_caught_except_digit_5(cns: str) -> None:
    for position in range(15):
        for digit in string.digits:
            if digit == cns[position]:
                continue
            changed = cns[:position] + digit + cns[position + 1 :]
            assert is_valid_cns(changed) is (position == 4), (cns, changed)
