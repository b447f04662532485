"""NUHSA validation: the format only, as no public check-digit rule was found."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import is_valid_nuhsa, validate_nuhsa


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AN0123456789", "AN0123456789"), (" an0123456789 ", "AN0123456789")],
)
def test_nuhsa_accepted(value: str, expected: str) -> None:
    assert validate_nuhsa(value) == expected


@pytest.mark.parametrize(
    "value",
    ["AN012345678", "AN01234567890", "AX0123456789", "0123456789", "AN01234567B9", ""],
)
def test_invalid_nuhsa_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_nuhsa(value)

    assert raised.value.kind == "NUHSA"
    assert repr(value) in str(raised.value)
    assert "AN followed by 10 digits" in str(raised.value)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_every_ten_digit_nuhsa_accepted(digits: str) -> None:
    # No check digit is verified, so every digit string of the right length passes.
    assert is_valid_nuhsa("AN" + digits)
