"""Canonical coverage, claim and claim result, with money as exact decimals.

Amounts are ``Decimal`` in the currency's major unit and must not carry more
decimal places than the currency has minor-unit digits (2 for EUR, 0 for JPY,
3 for KWD, as CLDR records them). A float is never accepted as an amount
because binary floats cannot hold most decimal fractions: ``Money.of`` takes
a float through its shortest decimal text, so ``150.1`` becomes
``Decimal("150.1")`` and not ``150.099999...``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Self

from babel.numbers import get_currency_precision, list_currencies
from pydantic import Field, field_validator, model_validator

from carecert.adapters.models.common import CanonicalModel, Coding, Identifier

__all__ = [
    "Claim",
    "ClaimItem",
    "ClaimOutcome",
    "ClaimResult",
    "Coverage",
    "CoverageStatus",
    "Money",
    "PAYABLE_CURRENCIES",
    "currency_exponent",
]

_CURRENCIES = frozenset(list_currencies())

# ISO 4217 gives these codes no minor unit ("N.A."): precious metals, IMF and
# bond-market units, the test code and "no currency". CLDR still reports 2
# digits for them, so they are rejected here rather than priced in cents.
_NO_MINOR_UNIT = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU",
     "XTS", "XUA", "XXX"}
)  # fmt: skip

PAYABLE_CURRENCIES = _CURRENCIES - _NO_MINOR_UNIT
"""ISO 4217 codes that have a minor unit, so an amount in them can be claimed."""


def currency_exponent(currency: str) -> int:
    """Return the number of minor-unit digits of an ISO 4217 currency code.

    Raises ValueError naming the code when CLDR does not list it, or when ISO
    4217 gives it no minor unit because it is not money a claim can be paid in.
    """
    if currency in _NO_MINOR_UNIT:
        raise ValueError(
            f"currency code {currency!r} has no minor unit in ISO 4217 (a metal, "
            "fund or test code), so it cannot price a claim: use the currency "
            "the service was billed in, such as 'EUR'"
        )
    if currency not in _CURRENCIES:
        raise ValueError(
            f"unknown currency code {currency!r}: use an ISO 4217 code such as "
            "'EUR', 'GBP' or 'JPY'"
        )
    return get_currency_precision(currency)


class Money(CanonicalModel):
    """An exact amount in one currency."""

    amount: Decimal = Field(description="Amount in the currency's major unit.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")

    @field_validator("amount", mode="before")
    @classmethod
    def _reject_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError(
                f"amount {value!r} is a float; pass a Decimal or a string, or "
                "use Money.of(), which takes a float through its decimal text"
            )
        return value

    @model_validator(mode="after")
    def _check_minor_unit(self) -> Self:
        exponent = currency_exponent(self.currency)
        places = -self.amount.as_tuple().exponent  # type: ignore[operator]
        if places > exponent:
            raise ValueError(
                f"amount {self.amount} has {places} decimal places but "
                f"{self.currency} has {exponent} minor-unit digits; round it first"
            )
        return self

    @classmethod
    def of(cls, amount: Decimal | int | float | str, currency: str) -> Money:
        """Build Money from any number; a float goes through ``repr`` text.

        The amount is written with exactly the currency's minor-unit places
        (``41.4`` AUD becomes ``41.40``) where that loses no digit, so a value
        read back from a JSON number keeps its scale.
        """
        if isinstance(amount, bool):
            raise ValueError(f"amount {amount!r} is a bool, not a number")
        if isinstance(amount, float):
            amount = Decimal(repr(amount))
        elif isinstance(amount, str) and amount != amount.strip():
            raise ValueError(
                f"amount {amount!r} has spaces around it; pass the number alone"
            )
        elif not isinstance(amount, Decimal):
            try:
                amount = Decimal(str(amount))
            except InvalidOperation:
                raise ValueError(f"amount {amount!r} is not a decimal number") from None
        exponent = currency_exponent(currency)
        if not amount.is_finite():
            # Pydantic rejects NaN and infinity with a message naming the field.
            return cls(amount=amount, currency=currency)
        return cls(amount=_to_scale(amount, exponent), currency=currency)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> Money:
        """Build Money from an integer count of minor units (cents, pence)."""
        exponent = currency_exponent(currency)
        # scaleb() rounds to the context precision (28 digits), so the
        # exponent is set on the exact digit tuple instead.
        sign, digits, _ = Decimal(minor).as_tuple()
        return cls(amount=Decimal((sign, digits, -exponent)), currency=currency)

    def minor_units(self) -> int:
        """Return the amount as an integer count of minor units."""
        exponent = currency_exponent(self.currency)
        sign, digits, places = self.amount.as_tuple()
        magnitude = int("".join(map(str, digits)) or "0")
        value = magnitude * 10 ** (places + exponent)  # type: ignore[operator]
        return -value if sign else value


def _to_scale(amount: Decimal, exponent: int) -> Decimal:
    """Rewrite ``amount`` with ``exponent`` decimal places if no digit is lost.

    Works on the digit tuple because quantize() and normalize() round to the
    context precision of 28 digits. Extra places that are not all zeros are
    kept, so the model validator rejects them.
    """
    sign, digits, places = amount.as_tuple()
    assert isinstance(places, int)  # a finite Decimal has an int exponent
    while places < -exponent and digits[-1] == 0:
        if len(digits) == 1:
            places = -exponent
            break
        digits, places = digits[:-1], places + 1
    if places > -exponent:
        digits, places = digits + (0,) * (places + exponent), -exponent
    return Decimal((sign, digits, places))


class CoverageStatus(StrEnum):
    """Whether a policy or insurance covers the requested service."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    NOT_COVERED = "not-covered"
    PENDING = "pending"


class Coverage(CanonicalModel):
    """An insured person's cover, as an insurer reports it for one service."""

    beneficiary: Identifier
    payer: Identifier | None = None
    policy: Identifier | None = None
    status: CoverageStatus
    service: Coding | None = Field(
        default=None, description="The treatment or benefit that was checked."
    )
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    period_start: date | None = None
    period_end: date | None = None
    copay: Money | None = None
    requires_preauthorization: bool = False


class ClaimItem(CanonicalModel):
    """One billed service: a tariff code (MBS item, treatment code) and price."""

    service: Coding
    charge: Money | None = None
    quantity: int = Field(default=1, ge=1)


class Claim(CanonicalModel):
    """A claim for services given to one patient on one date."""

    patient: Identifier
    provider: Identifier
    policy: Identifier | None = None
    service_date: date
    items: tuple[ClaimItem, ...] = Field(min_length=1)
    diagnoses: tuple[Coding, ...] = ()
    total: Money | None = None
    idempotency_key: str | None = Field(
        default=None,
        description="Key the payer uses to apply a resent claim only once.",
    )

    @model_validator(mode="after")
    def _check_currencies(self) -> Self:
        currencies = {item.charge.currency for item in self.items if item.charge}
        if self.total is not None:
            currencies.add(self.total.currency)
        if len(currencies) > 1:
            raise ValueError(
                f"claim mixes currencies {sorted(currencies)}; one claim has one "
                "currency"
            )
        return self


class ClaimOutcome(StrEnum):
    """The payer's decision on a claim, as FHIR ClaimResponse.outcome codes."""

    QUEUED = "queued"
    COMPLETE = "complete"
    ERROR = "error"
    PARTIAL = "partial"


class ClaimResult(CanonicalModel):
    """The payer's response to a claim."""

    claim_id: str = Field(min_length=1, description="The payer's claim reference.")
    outcome: ClaimOutcome
    benefit: Money | None = Field(default=None, description="Amount the payer pays.")
    patient_share: Money | None = None
    messages: tuple[str, ...] = ()
