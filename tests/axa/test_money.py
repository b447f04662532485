"""Property tests of Money and of the AXA wire amount, for every CLDR currency.

Amounts go Decimal -> minor units -> Decimal unchanged, floats are read
through their shortest decimal text, and an amount with more decimal places
than its currency allows is rejected, never rounded.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from carecert.adapters.axa.claims import InvalidClaimError, parse_amount
from carecert.adapters.axa.mapping import (
    MAX_MINOR_UNITS,
    WireFormatError,
    amount_from_wire,
    amount_to_wire,
)
from carecert.adapters.models import Money, currency_exponent
from carecert.adapters.models.billing import PAYABLE_CURRENCIES

CURRENCIES = sorted(PAYABLE_CURRENCIES)
BY_EXPONENT = {
    exponent: [c for c in CURRENCIES if get_currency_precision(c) == exponent]
    for exponent in {get_currency_precision(c) for c in CURRENCIES}
}

currencies = st.sampled_from(CURRENCIES)
wire_minor_units = st.integers(min_value=0, max_value=MAX_MINOR_UNITS)


def test_currency_table_has_every_exponent() -> None:
    # The properties below are only meaningful if babel lists 0-, 2- and
    # 3-digit currencies; JPY, EUR and KWD are the usual examples.
    assert {0, 2, 3} <= set(BY_EXPONENT)
    assert currency_exponent("JPY") == 0
    assert currency_exponent("EUR") == 2
    assert currency_exponent("KWD") == 3


@pytest.mark.parametrize("currency", CURRENCIES)
def test_minor_units_round_trip_every_currency(currency: str) -> None:
    exponent = currency_exponent(currency)
    for minor in (0, 1, 7, 10**exponent, 123456789, MAX_MINOR_UNITS):
        money = Money.from_minor_units(minor, currency)
        assert money.minor_units() == minor
        assert money.amount == Decimal(minor).scaleb(-exponent)


@given(currency=currencies, minor=wire_minor_units)
def test_minor_units_round_trip(currency: str, minor: int) -> None:
    money = Money.from_minor_units(minor, currency)
    assert money.minor_units() == minor
    assert Money.of(money.amount, currency) == money


@given(currency=currencies, minor=wire_minor_units)
def test_wire_amount_round_trip(currency: str, minor: int) -> None:
    money = Money.from_minor_units(minor, currency)
    wire = amount_to_wire(money)
    assert wire["minor_units"] == minor
    assert wire["exponent"] == currency_exponent(currency)
    assert isinstance(wire["minor_units"], int)
    assert amount_from_wire(wire) == money


@given(
    currency=currencies,
    whole=st.integers(min_value=0, max_value=10**9),
    data=st.data(),
)
def test_decimal_text_round_trip(
    currency: str, whole: int, data: st.DataObject
) -> None:
    exponent = currency_exponent(currency)
    places = data.draw(st.integers(min_value=0, max_value=exponent))
    fraction = data.draw(st.integers(min_value=0, max_value=10**places - 1))
    text = f"{whole}.{fraction:0{places}d}" if places else str(whole)
    money = Money.of(text, currency)
    assert money.amount == Decimal(text)
    assert Money.from_minor_units(money.minor_units(), currency).amount == Decimal(text)


@given(currency=currencies, data=st.data())
def test_too_many_places_rejected(currency: str, data: st.DataObject) -> None:
    exponent = currency_exponent(currency)
    extra = data.draw(st.integers(min_value=1, max_value=4))
    digits = data.draw(st.integers(min_value=1, max_value=9))
    # A last digit that is not zero, so no normalisation can drop it.
    text = "1." + "0" * (exponent + extra - 1) + str(digits)
    with pytest.raises(ValidationError, match="minor-unit digits"):
        Money.of(text, currency)
    with pytest.raises(InvalidClaimError, match="round it to"):
        parse_amount(text, currency)


@given(
    cents=st.integers(min_value=1, max_value=10**13),
)
def test_float_read_through_decimal_text(cents: int) -> None:
    text = f"{cents // 100}.{cents % 100:02d}"
    value = float(text)
    money = parse_amount(value, "EUR")
    assert money.minor_units() == cents
    assert money == Money.of(Decimal(text), "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (150.00, "EUR", 15000),
        (150.1, "EUR", 15010),
        (0.1, "EUR", 10),
        (0.3, "EUR", 30),
        (1500.0, "JPY", 1500),
        (1.234, "KWD", 1234),
        (Decimal("1.50"), "EUR", 150),
        ("99.99", "GBP", 9999),
        (42, "JPY", 42),
    ],
)
def test_guide_style_amounts(amount: object, currency: str, minor: int) -> None:
    assert parse_amount(amount, currency).minor_units() == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1.5, "JPY"), (1.234, "EUR"), ("0.0001", "KWD"), (Decimal("1.001"), "GBP")],
)
def test_excess_decimals_rejected(amount: object, currency: str) -> None:
    with pytest.raises(InvalidClaimError) as caught:
        parse_amount(amount, currency)
    assert caught.value.field == "amount"
    assert currency in str(caught.value)


@pytest.mark.parametrize(
    "amount",
    [float("nan"), float("inf"), "NaN", "-Infinity", "abc", True, None, [150], 0, -5],
)
def test_invalid_amounts_rejected(amount: object) -> None:
    with pytest.raises(InvalidClaimError) as caught:
        parse_amount(amount, "EUR")
    assert caught.value.field == "amount"


@pytest.mark.parametrize("currency", ["eur", "EURO", "ABC", 978, None])
def test_invalid_currency_rejected(currency: object) -> None:
    with pytest.raises(InvalidClaimError) as caught:
        parse_amount("1.00", currency)
    assert caught.value.field == "currency"


@pytest.mark.parametrize(
    ("wire", "problem"),
    [
        ({"minor_units": 100, "currency": "EUR", "exponent": 0}, "exponent"),
        ({"minor_units": 100, "currency": "JPY", "exponent": 2}, "exponent"),
        ({"minor_units": 1.5, "currency": "EUR", "exponent": 2}, "minor_units"),
        ({"minor_units": True, "currency": "EUR", "exponent": 2}, "minor_units"),
        ({"minor_units": "100", "currency": "EUR", "exponent": 2}, "minor_units"),
        ({"minor_units": 2**53, "currency": "EUR", "exponent": 2}, "minor_units"),
        ({"minor_units": 100, "currency": "ZZZ", "exponent": 2}, "currency"),
        ({"minor_units": 100, "exponent": 2}, "currency"),
        ([100, "EUR"], "JSON object"),
    ],
)
def test_invalid_wire_amount_rejected(wire: object, problem: str) -> None:
    with pytest.raises(WireFormatError, match=problem):
        amount_from_wire(wire)


def test_claim_beyond_json_integers_rejected() -> None:
    with pytest.raises(InvalidClaimError, match="minor units"):
        parse_amount(MAX_MINOR_UNITS + 1, "JPY")
    assert parse_amount(MAX_MINOR_UNITS, "JPY").minor_units() == MAX_MINOR_UNITS


def test_amount_beyond_json_integers_not_sent() -> None:
    money = Money.from_minor_units(MAX_MINOR_UNITS, "JPY")
    bigger = Money.of(money.amount + 1, "JPY")
    with pytest.raises(WireFormatError, match="exactly"):
        amount_to_wire(bigger)


@settings(max_examples=25)
@given(currency=st.sampled_from(["EUR", "JPY", "KWD"]), extra=st.integers(1, 9))
def test_minor_units_exact_beyond_28_digits(currency: str, extra: int) -> None:
    minor = 10**30 + extra
    assert Money.from_minor_units(minor, currency).minor_units() == minor
