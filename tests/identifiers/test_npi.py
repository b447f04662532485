"""US NPI validation: the Luhn check with prefix 80840, published values and
the NPIs in published FHIR examples.

The Luhn check catches every change of a single digit. Doubling maps the
digits 0-9 to 0, 2, 4, 6, 8, 1, 3, 5, 7, 9, a permutation, so the total
changes by 1 to 9 and cannot stay a multiple of 10.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    NPI_SYSTEM,
    is_luhn_valid,
    is_valid_npi,
    luhn_check_digit,
    npi_check_digit,
    validate_npi,
)

from ..realdata import real_file_params, require_real

digits = st.text(alphabet=string.digits, min_size=1, max_size=1)


@st.composite
def valid_npis(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from("12"))
    rest = draw(st.text(alphabet=string.digits, min_size=8, max_size=8))
    return f"{first}{rest}{npi_check_digit(first + rest)}"


def test_luhn_check_digit_known_value() -> None:
    # The usual Luhn example: 7992739871 has check digit 3.
    assert luhn_check_digit("7992739871") == 3
    assert is_luhn_valid("79927398713")
    assert not is_luhn_valid("79927398710")


def test_luhn_rejects_non_digits() -> None:
    with pytest.raises(ValueError, match="expected ASCII digits"):
        luhn_check_digit("12a")
    with pytest.raises(ValueError, match="expected ASCII digits"):
        is_luhn_valid("")


def test_prefix_adds_24() -> None:
    # CMS's shortcut: without the prefix, add 24 before taking the check digit.
    for body in ("123456789", "124531959", "000000000", "999999999"):
        doubled = sum(
            (2 * int(d) - 9 if 2 * int(d) > 9 else 2 * int(d))
            if index % 2 == 0
            else int(d)
            for index, d in enumerate(body)
        )
        assert npi_check_digit(body) == -(doubled + 24) % 10


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1234567893", True),
        ("1245319599", True),
        ("1234567890", False),
    ],
)
def test_published_npis(value: str, valid: bool) -> None:
    assert is_valid_npi(value) is valid


@pytest.mark.parametrize(
    "value",
    ["123456789", "12345678931", "3234567893", "0234567893", "12345 67893", ""],
)
def test_malformed_npi_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_npi(value)

    assert raised.value.kind == "NPI"


def test_wrong_check_digit_message() -> None:
    with pytest.raises(InvalidIdentifierError, match="prefix 80840 gives 3"):
        validate_npi("1234567890")


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_npi(1234567893)  # type: ignore[arg-type]


@given(valid_npis())
def test_generated_npis_accepted(npi: str) -> None:
    assert validate_npi(npi) == npi


@given(valid_npis())
def test_every_single_substitution_rejected(npi: str) -> None:
    for position in range(10):
        for digit in string.digits:
            if digit == npi[position]:
                continue
            changed = npi[:position] + digit + npi[position + 1 :]
            assert not is_valid_npi(changed), (npi, changed)


def _npis(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("system") == NPI_SYSTEM and isinstance(node.get("value"), str):
            found.append(node["value"])
        for child in node.values():
            found.extend(_npis(child))
    elif isinstance(node, list):
        for child in node:
            found.extend(_npis(child))
    return found


US_CORE_EXAMPLES = "us-core/input/examples"


@pytest.mark.parametrize("path", real_file_params(US_CORE_EXAMPLES))
def test_us_core_npis_pass(path: Path) -> None:
    npis = _npis(json.loads(path.read_text(encoding="utf-8")))

    assert [npi for npi in npis if not is_valid_npi(npi)] == []


def test_us_core_examples_contain_npis() -> None:
    folder = require_real(US_CORE_EXAMPLES)
    npis = [
        npi
        for path in sorted(folder.glob("*.json"))
        for npi in _npis(json.loads(path.read_text(encoding="utf-8")))
    ]
    if not npis:
        # The Practitioner and Organization examples that carry NPIs are not
        # part of this copy, so the per-file test above checks nothing.
        pytest.skip(f"no example in {folder} has an identifier in {NPI_SYSTEM}")
    assert all(is_valid_npi(npi) for npi in npis)


@pytest.mark.parametrize("path", real_file_params("synthea/R4/SYNTHEA"))
def test_synthea_npis_are_placeholders(path: Path) -> None:
    # Synthea writes its own 3-digit provider numbers under the NPI system,
    # so each is rejected for its length, not passed.
    npis = _npis(json.loads(path.read_text(encoding="utf-8")))

    assert npis
    assert all(len(npi) == 3 for npi in npis)
    assert not any(is_valid_npi(npi) for npi in npis)
