"""Codice fiscale validation: what the check letter accepts and catches.

At odd positions a character is valued by a table that is a permutation of
0..25 over A-Z, and at even positions by its index (0-9 for digits, 0-25 for
A-Z). Each position allows either letters or digits with their omocodia
letters, and both tables are one-to-one on each of those sets, so every
single-character substitution changes the check letter or breaks the format.

An adjacent swap of a and b goes unseen exactly when odd(a) - even(a) equals
odd(b) - even(b) modulo 26. Over the allowed characters that happens only for
W and Y (both give 0), so swapping an adjacent W and Y is not caught.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    codice_fiscale_check_letter,
    is_valid_codice_fiscale,
    validate_codice_fiscale,
)
from carecert.adapters.identifiers.codice_fiscale import (
    MONTH_LETTERS,
    OMOCODIA_LETTERS,
)

ALPHABET = string.ascii_uppercase + string.digits
# Positions (0-based) that contain digits, replaced by omocodia letters from the
# right when two people would otherwise share a code.
DIGIT_POSITIONS = (6, 7, 9, 10, 12, 13, 14)

# Codes widely used as examples; their check letters agree with the rule.
PUBLISHED_EXAMPLES = ["RSSMRA85T10A562S", "RSSMRA80A01H501U", "MRTMTT25D09F205Z"]


@st.composite
def valid_codici(draw: st.DrawFn) -> str:
    letters = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=1)
    names = "".join(draw(letters) for _ in range(6))
    year = draw(st.integers(min_value=0, max_value=99))
    month = draw(st.sampled_from(MONTH_LETTERS))
    day = draw(st.integers(min_value=1, max_value=31)) + draw(st.sampled_from([0, 40]))
    place = draw(letters) + f"{draw(st.integers(min_value=0, max_value=999)):03d}"
    chars = list(f"{names}{year:02d}{month}{day:02d}{place}")
    # Omocodia replaces digits from the rightmost one leftwards.
    for position in reversed(DIGIT_POSITIONS[7 - draw(st.integers(0, 7)) :]):
        chars[position] = OMOCODIA_LETTERS[int(chars[position])]
    first_15 = "".join(chars)
    return first_15 + codice_fiscale_check_letter(first_15)


def odd_value(character: str) -> int:
    # Read the odd-position table through the check letter: the 7 other odd
    # positions contain A, worth 1 each, and the even positions A, worth 0.
    first_15 = character + "A" * 14
    return (ord(codice_fiscale_check_letter(first_15)) - ord("A") - 7) % 26


def even_value(character: str) -> int:
    return int(character) if character.isdigit() else ord(character) - ord("A")


@pytest.mark.parametrize("value", PUBLISHED_EXAMPLES)
def test_published_examples_accepted(value: str) -> None:
    assert validate_codice_fiscale(value) == value


def test_spaces_and_lower_case_accepted() -> None:
    assert validate_codice_fiscale("rssmra 85t10 a562s") == "RSSMRA85T10A562S"


def test_omocodia_accepted() -> None:
    # The last digit 2 becomes N, and the check letter is computed again.
    first_15 = "RSSMRA85T10A56N"
    value = first_15 + codice_fiscale_check_letter(first_15)

    assert validate_codice_fiscale(value) == value
    assert not is_valid_codice_fiscale(first_15 + "S")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("RSSMRA85T10A562T", "check letter is T but"),
        ("RSSMRA85Z10A562S", "expected 6 letters"),
        ("RSSMRA85T1AA562S", "expected 6 letters"),
        ("RSSMRA85T10A562", "expected 6 letters"),
        ("12345678901", "expected 6 letters"),
        ("RSSMRA85T32A562S", "day of birth 32"),
        ("RSSMRA85T00A562S", "day of birth 00"),
        ("RSSMRA85T72A562S", "day of birth 72"),
    ],
)
def test_invalid_codice_rejected(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_codice_fiscale(value)

    assert raised.value.kind == "codice fiscale"
    assert repr(value) in str(raised.value)
    assert reason in str(raised.value)


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_codice_fiscale(1)  # type: ignore[arg-type]


def test_odd_table_values() -> None:
    assert [odd_value(c) for c in "AB0W"] == [1, 0, 1, 22]
    assert sorted(odd_value(c) for c in string.ascii_uppercase) == list(range(26))


def test_only_w_and_y_collide_in_swaps() -> None:
    differences: dict[int, list[str]] = {}
    for character in ALPHABET:
        delta = (odd_value(character) - even_value(character)) % 26
        differences.setdefault(delta, []).append(character)

    collisions = [sorted(set(chars)) for chars in differences.values()]
    collisions = [chars for chars in collisions if len(chars) > 1]
    # A digit and the letter at the same index (0 and A) share both values,
    # but never share a position, so only the W and Y pair remains.
    same_index = [sorted({d, chr(ord("A") + int(d))}) for d in string.digits]
    assert sorted(c for c in collisions if c not in same_index) == [["W", "Y"]]


def test_w_y_swap_not_caught() -> None:
    first_15 = "WYSMRA85T10A562"
    value = first_15 + codice_fiscale_check_letter(first_15)

    assert is_valid_codice_fiscale(value)
    assert is_valid_codice_fiscale("YW" + value[2:])


@given(valid_codici())
def test_generated_codici_accepted(value: str) -> None:
    assert validate_codice_fiscale(value) == value


@given(valid_codici())
def test_every_single_substitution_rejected(value: str) -> None:
    for position in range(16):
        for character in ALPHABET:
            if character == value[position]:
                continue
            changed = value[:position] + character + value[position + 1 :]
            assert not is_valid_codice_fiscale(changed), (value, changed)


@given(valid_codici())
def test_adjacent_swaps_rejected_unless_w_y(value: str) -> None:
    # The check letter itself is left out: it is not part of the weighted sum.
    for position in range(14):
        pair = value[position : position + 2]
        if pair[0] == pair[1] or set(pair) == {"W", "Y"}:
            continue
        swapped = value[:position] + pair[::-1] + value[position + 2 :]
        assert not is_valid_codice_fiscale(swapped), (value, swapped)
