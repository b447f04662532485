"""Australian IHI, HPI-I and HPI-O validation: prefixes, the Luhn check and
the published values.

Every change of a single digit is rejected: in the prefix because the prefix
no longer matches, elsewhere because the Luhn check catches any one changed
digit.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    HealthcareIdentifierKind,
    is_valid_healthcare_identifier,
    luhn_check_digit,
    validate_healthcare_identifier,
    validate_hpii,
    validate_hpio,
    validate_ihi,
)

KINDS = list(HealthcareIdentifierKind)


@st.composite
def valid_identifiers(draw: st.DrawFn) -> tuple[HealthcareIdentifierKind, str]:
    kind = draw(st.sampled_from(KINDS))
    body = kind.value + draw(st.text(alphabet=string.digits, min_size=9, max_size=9))
    return kind, f"{body}{luhn_check_digit(body)}"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (HealthcareIdentifierKind.IHI, "8003608833357361"),
        (HealthcareIdentifierKind.IHI, "8003608333647261"),
        (HealthcareIdentifierKind.HPI_I, "8003619900015717"),
        (HealthcareIdentifierKind.HPI_I, "8003616566719020"),
        (HealthcareIdentifierKind.HPI_I, "8003613233385129"),
        (HealthcareIdentifierKind.HPI_I, "8003618233385086"),
        (HealthcareIdentifierKind.HPI_O, "8003621566684455"),
        (HealthcareIdentifierKind.HPI_O, "8003629900040417"),
        (HealthcareIdentifierKind.HPI_O, "8003626566707032"),
        (HealthcareIdentifierKind.HPI_O, "8003628233373131"),
    ],
)
def test_published_values_pass(kind: HealthcareIdentifierKind, value: str) -> None:
    assert validate_healthcare_identifier(value, kind) == value


def test_kind_functions_check_prefix() -> None:
    assert validate_ihi("8003 6088 3335 7361") == "8003608833357361"
    assert validate_hpii("8003619900015717") == "8003619900015717"
    assert validate_hpio("8003621566684455") == "8003621566684455"
    with pytest.raises(InvalidIdentifierError, match="starts with 800360, not 800361"):
        validate_ihi("8003619900015717")
    with pytest.raises(InvalidIdentifierError, match="starts with 800362, not 800360"):
        validate_hpio("8003608833357361")


def test_kind_named_in_error() -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        validate_hpii("8003619900015718")

    assert raised.value.kind == "HPI-I"
    assert "Luhn check gives 7" in raised.value.reason


@pytest.mark.parametrize(
    "value",
    ["800360883335736", "80036088333573610", "800360883335736X", "", "8003-6088"],
)
def test_malformed_ihi_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="exactly 16 digits"):
        validate_ihi(value)


def test_non_string_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="expected a string, got int"):
        validate_ihi(8003608833357361)  # type: ignore[arg-type]


@given(valid_identifiers())
def test_generated_identifiers_accepted(
    generated: tuple[HealthcareIdentifierKind, str],
) -> None:
    kind, value = generated

    assert validate_healthcare_identifier(value, kind) == value
    for other in KINDS:
        if other is not kind:
            assert not is_valid_healthcare_identifier(value, other)


@given(valid_identifiers())
def test_every_single_substitution_rejected(
    generated: tuple[HealthcareIdentifierKind, str],
) -> None:
    kind, value = generated
    for position in range(16):
        for digit in string.digits:
            if digit == value[position]:
                continue
            changed = value[:position] + digit + value[position + 1 :]
            assert not is_valid_healthcare_identifier(changed, kind), (value, changed)
