"""French NIR validation: what the modulus 97 key accepts and catches.

Changing one digit of the 13-digit number at place k moves it by d * 10**k
with 0 < |d| < 10, and 97 is prime, so the key always changes. Swapping two
different digits at places j > k moves it by (a - b) * 10**k * (10**m - 1)
with m = j - k <= 12, and 10**m - 1 is never a multiple of 97 for such m,
so every transposition within the number is caught as well.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import is_valid_nir, nir_key, validate_nir

ALPHABET = "0123456789AB"


@st.composite
def valid_nirs(draw: st.DrawFn) -> str:
    digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
    head = "".join(draw(digits) for _ in range(5))
    department = draw(
        st.one_of(
            st.sampled_from(["2A", "2B"]),
            st.text(alphabet="0123456789", min_size=2, max_size=2),
        )
    )
    tail = "".join(draw(digits) for _ in range(6))
    body = head + department + tail
    return f"{body}{nir_key(body):02d}"


def test_powers_of_ten_modulo_97() -> None:
    # The basis of the transposition argument in the module docstring.
    assert all(pow(10, m, 97) != 1 for m in range(1, 13))


def test_key_is_97_minus_remainder() -> None:
    assert nir_key("1841275123456") == 97 - 1841275123456 % 97
    assert nir_key("1841275123456") == 40


def test_corsica_departments_read_as_19_and_18() -> None:
    assert nir_key("184122A123456") == nir_key("1841219123456")
    assert nir_key("184122B123456") == nir_key("1841218123456")
    assert nir_key("184122A123456") != nir_key("184122B123456")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("184127512345640", "184127512345640"),
        ("1 84 12 75 123 456 40", "184127512345640"),
        (
            f"1 84 12 2a 123 456 {nir_key('184122A123456'):02d}",
            f"184122A123456{nir_key('184122A123456'):02d}",
        ),
    ],
)
def test_nir_accepted(value: str, expected: str) -> None:
    assert validate_nir(value) == expected


def test_key_97_accepted() -> None:
    # A number that is a multiple of 97 has key 97, not 0.
    body = f"{97 * 10**10:013d}"
    assert int(body) % 97 == 0
    assert validate_nir(body + "97") == body + "97"


def test_missing_key_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="key is missing"):
        validate_nir("1841275123456")


@pytest.mark.parametrize(
    "value",
    [
        "184127512345641",
        "18412751234564",
        "1841275123456400",
        "18412C512345640",
        "184122C12345640",
        "1841275123456AB",
        "",
    ],
)
def test_invalid_nir_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_nir(value)

    assert raised.value.kind == "NIR"
    assert repr(value) in str(raised.value)


def test_wrong_key_message_names_rule() -> None:
    with pytest.raises(InvalidIdentifierError, match="modulus 97 gives 40"):
        validate_nir("184127512345641")


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_nir(184127512345640)  # type: ignore[arg-type]


@given(valid_nirs())
def test_generated_nirs_accepted(nir: str) -> None:
    assert validate_nir(nir) == nir


@given(valid_nirs())
def test_every_single_substitution_rejected(nir: str) -> None:
    for position in range(len(nir)):
        for character in ALPHABET:
            if character == nir[position]:
                continue
            changed = nir[:position] + character + nir[position + 1 :]
            assert not is_valid_nir(changed), (nir, changed)


@given(valid_nirs())
def test_every_transposition_in_number_rejected(nir: str) -> None:
    for first in range(13):
        for second in range(first + 1, 13):
            if nir[first] == nir[second]:
                continue
            chars = list(nir)
            chars[first], chars[second] = chars[second], chars[first]
            swapped = "".join(chars)
            assert not is_valid_nir(swapped), (nir, swapped)
