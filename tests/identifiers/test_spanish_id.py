"""DNI and NIE validation: what the modulo 23 letter accepts and catches.

The number n has at most 8 digits, and the letter is its residue modulo 23.
Changing one digit at place k moves n by d * 10**k with 0 < |d| < 10, and
swapping digits a and b at places j > k moves it by (a - b) * 10**k *
(10**(j - k) - 1). 23 is prime and divides none of those factors, because
10 has order 22 modulo 23 and j - k is at most 7. So every single-digit
change and every transposition of two different digits changes the letter,
and the 23 letters are distinct, so every change of the letter is caught.
The NIE prefix counts as the leading digit (X = 0, Y = 1, Z = 2), so a DNI
starting 0, 1 or 2 and the NIE with X, Y or Z in that place have the same
letter: that single substitution is the one the rule cannot catch.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    DNI_CHECK_LETTERS,
    is_valid_spanish_id,
    spanish_id_check_letter,
    validate_dni,
    validate_nie,
    validate_spanish_id,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@st.composite
def valid_dnis(draw: st.DrawFn) -> str:
    number = draw(st.integers(min_value=0, max_value=99_999_999))
    return f"{number:08d}{spanish_id_check_letter(number)}"


@st.composite
def valid_nies(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from("XYZ"))
    body = draw(st.integers(min_value=0, max_value=9_999_999))
    number = int("XYZ".index(prefix) * 10**7 + body)
    return f"{prefix}{body:07d}{spanish_id_check_letter(number)}"


def substitutions(value: str, alphabet: str) -> list[str]:
    """Return every string that differs from ``value`` in exactly one character."""
    return [
        value[:i] + c + value[i + 1 :]
        for i in range(len(value))
        for c in alphabet
        if c != value[i]
    ]


def test_check_letters_distinct() -> None:
    assert len(DNI_CHECK_LETTERS) == 23
    assert len(set(DNI_CHECK_LETTERS)) == 23


def test_order_of_ten_modulo_23() -> None:
    # The basis of the transposition argument in the module docstring.
    orders = [m for m in range(1, 23) if pow(10, m, 23) == 1]
    assert orders[0] == 22


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12345678Z", "12345678Z"),
        ("12345678-z", "12345678Z"),
        (" 00000000T ", "00000000T"),
    ],
)
def test_dni_accepted(value: str, expected: str) -> None:
    assert validate_dni(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("X1234567L", "X1234567L"),
        ("y-1234567-x", "Y1234567X"),
        ("Z0000000M", "Z0000000M"),
    ],
)
def test_nie_accepted(value: str, expected: str) -> None:
    assert validate_nie(value) == expected


@pytest.mark.parametrize(
    "value",
    ["12345678A", "1234567Z", "123456789Z", "12345678", "ABCDEFGHZ", "", "１2345678Z"],
)
def test_invalid_dni_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_dni(value)

    assert raised.value.kind == "DNI"
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize("value", ["X1234567A", "W1234567L", "X123456L", "12345678Z"])
def test_invalid_nie_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_nie(value)

    assert raised.value.kind == "NIE"
    assert repr(value) in str(raised.value)


def test_wrong_letter_message_names_rule() -> None:
    with pytest.raises(InvalidIdentifierError, match="modulo 23 gives Z"):
        validate_dni("12345678A")


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_dni(12345678)  # type: ignore[arg-type]


def test_spanish_id_dispatches_on_prefix() -> None:
    assert validate_spanish_id("x1234567l") == "X1234567L"
    assert validate_spanish_id("12345678Z") == "12345678Z"
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_spanish_id("X1234567A")
    assert raised.value.kind == "NIE"


@given(valid_dnis())
def test_generated_dnis_accepted(dni: str) -> None:
    assert validate_dni(dni) == dni
    assert validate_spanish_id(dni) == dni


@given(valid_nies())
def test_generated_nies_accepted(nie: str) -> None:
    assert validate_nie(nie) == nie
    assert validate_spanish_id(nie) == nie


def prefix_swap(value: str) -> str | None:
    """Return the DNI or NIE with the same number, if one character apart."""
    if value[0] in "XYZ":
        return str("XYZ".index(value[0])) + value[1:]
    if value[0] in "012":
        return "XYZ"[int(value[0])] + value[1:]
    return None


@given(st.one_of(valid_dnis(), valid_nies()))
def test_single_substitution_rejected_except_prefix(value: str) -> None:
    # The letter cannot catch one substitution. A DNI starting 0, 1 or 2 and
    # the NIE starting X, Y or Z with the same other characters give the same
    # number, so both have the same letter.
    accepted = [
        changed
        for changed in substitutions(value, DIGITS + LETTERS)
        if is_valid_spanish_id(changed)
    ]

    expected = prefix_swap(value)
    assert accepted == ([] if expected is None else [expected])


@given(st.one_of(valid_dnis(), valid_nies()))
def test_every_digit_transposition_rejected(value: str) -> None:
    # Digits only: moving the NIE prefix or the letter breaks the format.
    start = 1 if value[0] in "XYZ" else 0
    for first in range(start, 8):
        for second in range(first + 1, 8):
            if value[first] == value[second]:
                continue
            chars = list(value)
            chars[first], chars[second] = chars[second], chars[first]
            swapped = "".join(chars)
            assert not is_valid_spanish_id(swapped), (value, swapped)


def test_spanish_id_normalised_before_dispatch() -> None:
    assert validate_spanish_id(" x-1234567-l") == "X1234567L"
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_spanish_id(None)  # type: ignore[arg-type]
    assert raised.value.kind == "DNI or NIE"
