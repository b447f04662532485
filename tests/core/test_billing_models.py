"""Money stays exact in the currency's minor unit, and a claim has one currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from carecert.adapters.models import (
    PAYABLE_CURRENCIES,
    Claim,
    ClaimItem,
    Coding,
    Identifier,
    Money,
    currency_exponent,
)

NO_MINOR_UNIT = {"XAU", "XDR", "XTS", "XXX"}
CURRENCIES = sorted(PAYABLE_CURRENCIES)


@pytest.mark.parametrize(
    ("currency", "digits"), [("EUR", 2), ("GBP", 2), ("JPY", 0), ("KWD", 3)]
)
def test_currency_exponent_per_code(currency: str, digits: int) -> None:
    assert currency_exponent(currency) == digits


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_minor_units_round_trip(currency: str, minor: int) -> None:
    money = Money.from_minor_units(minor, currency)

    assert money.minor_units() == minor
    assert Money.of(str(money.amount), currency) == money


@given(cents=st.integers(min_value=0, max_value=10**9))
def test_float_through_decimal_text(cents: int) -> None:
    text = f"{cents // 100}.{cents % 100:02d}"

    money = Money.of(float(text), "EUR")

    assert money.minor_units() == cents


def test_inexact_binary_float_stays_exact() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
    tenth = Money.of(0.1, "EUR").minor_units()
    fifth = Money.of(0.2, "EUR").minor_units()

    assert tenth + fifth == 30
    assert Money.of(150.00, "EUR").amount == Decimal("150")


def test_constructor_rejects_float() -> None:
    with pytest.raises(ValidationError, match="is a float"):
        Money(amount=150.0, currency="EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.5", "JPY"), ("1.234", "EUR"), ("0.0001", "KWD")]
)
def test_excess_decimal_places_rejected(amount: str, currency: str) -> None:
    with pytest.raises(ValidationError, match=f"{currency} has"):
        Money.of(amount, currency)


@pytest.mark.parametrize("amount", ["NaN", "Infinity"])
def test_non_finite_amount_rejected(amount: str) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        Money.of(amount, "EUR")


def test_unknown_currency_names_the_code() -> None:
    with pytest.raises(ValueError, match="'EUX'"):
        Money.of("1.00", "EUX")


def test_claim_with_two_currencies_rejected() -> None:
    item = ClaimItem(service=Coding(code="23"), charge=Money.of("41.40", "AUD"))
    with pytest.raises(ValidationError, match="mixes currencies"):
        Claim(
            patient=Identifier(system="urn:example:patient", value="p1"),
            provider=Identifier(system="urn:example:provider", value="d1"),
            service_date=date(2030, 1, 7),
            items=(item,),
            total=Money.of("41.40", "EUR"),
        )


@pytest.mark.parametrize("amount", [True, "abc", "1,50"])
def test_non_number_amount_rejected(amount: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        Money.of(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", sorted(NO_MINOR_UNIT))
def test_currency_without_minor_unit_rejected(currency: str) -> None:
    with pytest.raises(ValueError, match="no minor unit"):
        Money.of("1.00", currency)


@pytest.mark.parametrize("currency", ["XAF", "XOF", "XPF", "XCD"])
def test_real_x_currencies_accepted(currency: str) -> None:
    assert Money.of("1", currency).minor_units() >= 1


def test_amount_with_spaces_rejected() -> None:
    with pytest.raises(ValueError, match="spaces"):
        Money.of(" 1.50 ", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (41.4, "AUD", "41.40"),
        ("150.000", "EUR", "150.00"),
        ("1E+3", "JPY", "1000"),
        ("0.000", "EUR", "0.00"),
        (
            "12345678901234567890123456789012.5",
            "EUR",
            "12345678901234567890123456789012.50",
        ),
    ],
)
def test_amount_written_at_currency_scale(
    amount: object, currency: str, text: str
) -> None:
    assert str(Money.of(amount, currency).amount) == text  # type: ignore[arg-type]
