"""Check a submit_claim ``claim_data`` mapping and build the canonical Claim.

Every check runs before any request, so an invalid claim never reaches AXA.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from carecert.adapters.axa.codes import (
    ICD10_SYSTEM,
    PARTNER_SYSTEM,
    POLICY_SYSTEM,
    PROVIDER_SYSTEM,
    TREATMENT_SYSTEM,
    UNSPECIFIED_TREATMENT,
    validate_icd10,
    validate_provider_id,
    validate_treatment_code,
)
from carecert.adapters.axa.mapping import MAX_MINOR_UNITS, parse_iso_date
from carecert.adapters.errors import CarecertError, InvalidIdentifierError
from carecert.adapters.models import (
    Claim,
    ClaimItem,
    Coding,
    Identifier,
    Money,
    currency_exponent,
)

__all__ = [
    "OPTIONAL_KEYS",
    "REQUIRED_KEYS",
    "InvalidClaimError",
    "claim_from_data",
    "parse_amount",
]

REQUIRED_KEYS = ("amount", "currency", "service_date", "diagnosis_codes")
OPTIONAL_KEYS = ("treatment_code", "provider_id")


class InvalidClaimError(CarecertError, ValueError):
    """A ``claim_data`` field is missing or invalid, so nothing was sent."""

    def __init__(self, field: str, reason: str, *, index: int | None = None) -> None:
        self.field = field
        self.index = index
        self.reason = reason
        where = f"claim_data[{field!r}]" + ("" if index is None else f"[{index}]")
        super().__init__(f"{where} is invalid: {reason}.")


def claim_from_data(
    policy_number: str,
    claim_data: Mapping[str, Any],
    *,
    partner_code: str,
    today: date,
    idempotency_key: str | None = None,
) -> Claim:
    """Return the Claim that ``claim_data`` describes for a checked policy number.

    Required keys are ``amount``, ``currency`` (ISO 4217), ``service_date``
    (a date or YYYY-MM-DD text, not after ``today``) and ``diagnosis_codes``
    (one or more WHO ICD-10 codes). The amount is a Decimal, int, str or
    float, and a float is read through its shortest decimal text, so 150.1
    is exactly 150.1.
    Optional keys are ``treatment_code`` and ``provider_id`` (the treating
    provider; the claim names the partner when it is absent).
    Raises InvalidClaimError naming the key.
    """
    if not isinstance(claim_data, Mapping):
        raise InvalidClaimError(
            "<claim_data>", f"expected a mapping, got {type(claim_data).__name__}"
        )
    missing = [key for key in REQUIRED_KEYS if key not in claim_data]
    if missing:
        raise InvalidClaimError(missing[0], f"missing; give {', '.join(missing)}")
    unknown = sorted(set(claim_data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise InvalidClaimError(
            unknown[0],
            f"unknown key; claim_data takes {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}",
        )
    charge = parse_amount(claim_data["amount"], claim_data["currency"])
    policy = Identifier(system=POLICY_SYSTEM, value=policy_number)
    treatment = claim_data.get("treatment_code")
    code = (
        UNSPECIFIED_TREATMENT
        if treatment is None
        else _checked(validate_treatment_code, "treatment_code", treatment)
    )
    provider_id = claim_data.get("provider_id")
    provider = (
        Identifier(system=PARTNER_SYSTEM, value=partner_code)
        if provider_id is None
        else Identifier(
            system=PROVIDER_SYSTEM,
            value=_checked(validate_provider_id, "provider_id", provider_id),
        )
    )
    return Claim(
        patient=policy,
        provider=provider,
        policy=policy,
        service_date=_service_date(claim_data["service_date"], today),
        items=(
            ClaimItem(
                service=Coding(system=TREATMENT_SYSTEM, code=code), charge=charge
            ),
        ),
        diagnoses=_diagnoses(claim_data["diagnosis_codes"]),
        total=charge,
        idempotency_key=idempotency_key,
    )


def parse_amount(amount: Any, currency: Any) -> Money:
    """Return a positive Money, or raise InvalidClaimError naming the key.

    The amount may not have more decimal places than the currency has
    minor-unit digits: 1.5 JPY and 1.234 EUR are rejected, not rounded.
    """
    if not isinstance(currency, str):
        raise InvalidClaimError(
            "currency", f"expected an ISO 4217 code such as 'EUR', got {currency!r}"
        )
    try:
        exponent = currency_exponent(currency)
    except ValueError as exc:
        raise InvalidClaimError("currency", str(exc)) from exc
    value = _decimal(amount)
    if value <= 0:
        raise InvalidClaimError("amount", f"{value} is not a positive amount")
    if value.scaleb(exponent) > MAX_MINOR_UNITS:
        raise InvalidClaimError(
            "amount",
            f"{value} {currency} is more than {MAX_MINOR_UNITS} minor units, the "
            "largest count that JSON carries exactly",
        )
    try:
        money = Money.of(value, currency)
    except ValidationError as exc:
        raise InvalidClaimError(
            "amount",
            f"{amount!r} has more decimal places than the {exponent} minor-unit "
            f"digits of {currency}; round it to {exponent} places first",
        ) from exc
    return money


def _decimal(amount: Any) -> Decimal:
    # bool is an int subclass, and Decimal(True) is 1.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | float | str):
        raise InvalidClaimError(
            "amount",
            f"expected a Decimal, int, float or decimal text, got "
            f"{type(amount).__name__}",
        )
    if isinstance(amount, float):
        if not math.isfinite(amount):
            raise InvalidClaimError("amount", f"{amount!r} is not a finite number")
        # repr gives the shortest text that reads back as the same float, so
        # 150.1 becomes Decimal("150.1") and not the binary 150.0999...
        return Decimal(repr(amount))
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation as exc:
        raise InvalidClaimError(
            "amount", f"{amount!r} is not a decimal number"
        ) from exc
    if not value.is_finite():
        raise InvalidClaimError("amount", f"{amount!r} is not a finite number")
    return value


def _service_date(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        raise InvalidClaimError(
            "service_date", "expected a date, got a datetime; pass value.date()"
        )
    if isinstance(value, str):
        try:
            value = parse_iso_date(value)
        except ValueError as exc:
            raise InvalidClaimError("service_date", str(exc)) from exc
    if not isinstance(value, date):
        raise InvalidClaimError(
            "service_date",
            f"expected a date or YYYY-MM-DD text, got {type(value).__name__}",
        )
    if value > today:
        raise InvalidClaimError(
            "service_date",
            f"{value.isoformat()} is after today ({today.isoformat()}); claim a "
            "service once it has been given",
        )
    return value


def _diagnoses(value: Any) -> tuple[Coding, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidClaimError(
            "diagnosis_codes",
            f"expected a list of ICD-10 codes such as ['I10'], got {value!r}",
        )
    if not value:
        raise InvalidClaimError(
            "diagnosis_codes", "the list is empty; give at least one ICD-10 code"
        )
    codes: list[str] = []
    for index, code in enumerate(value):
        checked = _checked(validate_icd10, "diagnosis_codes", code, index=index)
        if checked in codes:
            raise InvalidClaimError(
                "diagnosis_codes", f"{checked} is listed twice", index=index
            )
        codes.append(checked)
    return tuple(Coding(system=ICD10_SYSTEM, code=code) for code in codes)


def _checked(validate: Any, field: str, value: Any, *, index: int | None = None) -> str:
    try:
        result: str = validate(value)
    except InvalidIdentifierError as exc:
        raise InvalidClaimError(field, str(exc).rstrip("."), index=index) from exc
    return result
