"""Map canonical coverage, claims and claim results to AXA's JSON and back.

Amounts travel as an integer count of minor units with the currency code and
the currency's minor-unit exponent: ``{"minor_units": 15000, "currency":
"EUR", "exponent": 2}`` is EUR 150.00. Integers are exact in every JSON
parser up to 2**53, while a JSON number with a fraction becomes a binary
float in most of them (JavaScript, Python's json by default), so 0.10 would
not survive. The exponent is sent, not only implied by the currency, because
minor-unit tables disagree (CLDR gives HUF and IDR 0 digits where ISO 4217
gives 2). A receiver whose table differs rejects the amount instead of
misreading it by a factor of 100.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeGuard

from carecert.adapters.axa.codes import (
    ICD10_SYSTEM,
    PARTNER_SYSTEM,
    POLICY_SYSTEM,
    PROVIDER_SYSTEM,
    TREATMENT_SYSTEM,
    UNSPECIFIED_TREATMENT,
)
from carecert.adapters.models import (
    Claim,
    ClaimItem,
    ClaimOutcome,
    ClaimResult,
    Coding,
    Coverage,
    CoverageStatus,
    Identifier,
    Money,
    currency_exponent,
)

__all__ = [
    "WireFormatError",
    "amount_from_wire",
    "amount_to_wire",
    "claim_from_wire",
    "claim_result_from_wire",
    "claim_result_to_wire",
    "claim_to_wire",
    "coverage_from_wire",
    "coverage_to_wire",
    "parse_iso_date",
]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

MAX_MINOR_UNITS = 2**53 - 1
"""Largest count of minor units sent: the largest integer that every JSON
parser reads exactly (IEEE 754 doubles hold integers exactly up to 2**53)."""


class WireFormatError(ValueError):
    """A JSON body, or a canonical value, does not fit AXA's wire format."""


# Amounts


def amount_to_wire(money: Money) -> dict[str, Any]:
    """Return ``money`` as integer minor units, currency and exponent."""
    minor = money.minor_units()
    if abs(minor) > MAX_MINOR_UNITS:
        raise WireFormatError(
            f"amount {money.amount} {money.currency} is {minor} minor units, more "
            f"than the {MAX_MINOR_UNITS} that JSON carries exactly"
        )
    return {
        "minor_units": minor,
        "currency": money.currency,
        "exponent": currency_exponent(money.currency),
    }


def amount_from_wire(value: Any, where: str = "amount") -> Money:
    """Return the Money in a wire amount, checking its exponent against CLDR."""
    body = _object(value, where)
    minor = body.get("minor_units")
    currency = body.get("currency")
    exponent = body.get("exponent")
    if not _is_int(minor) or abs(minor) > MAX_MINOR_UNITS:
        raise WireFormatError(f"{where}.minor_units must be an integer, got {minor!r}")
    if not isinstance(currency, str):
        raise WireFormatError(f"{where}.currency must be a string, got {currency!r}")
    try:
        expected = currency_exponent(currency)
    except ValueError as exc:
        raise WireFormatError(f"{where}.currency: {exc}") from exc
    if not _is_int(exponent) or exponent != expected:
        raise WireFormatError(
            f"{where}.exponent is {exponent!r} but {currency} has {expected} "
            "minor-unit digits in CLDR; the two sides disagree on the amount"
        )
    return Money.from_minor_units(minor, currency)


# Claims


def claim_to_wire(claim: Claim, partner_code: str) -> dict[str, Any]:
    """Return the JSON body of a claim submission.

    AXA takes one treatment per claim, so ``claim`` must have one item with a
    charge, and a total equal to that charge if it has one. The patient and
    policy travel in the URL as the policy number, and the idempotency key in
    a header, so neither is in the body.
    """
    if len(claim.items) != 1:
        raise WireFormatError(
            f"an AXA claim has one item, this one has {len(claim.items)}; "
            "submit one claim per treatment"
        )
    item = claim.items[0]
    if item.charge is None:
        raise WireFormatError("the claim item has no charge; give its amount")
    if claim.total is not None and claim.total != item.charge:
        raise WireFormatError(
            f"the claim total {claim.total.amount} {claim.total.currency} differs "
            f"from the item charge {item.charge.amount} {item.charge.currency}"
        )
    body: dict[str, Any] = {"partner_code": partner_code}
    if claim.provider.system == PROVIDER_SYSTEM:
        body["provider_id"] = claim.provider.value
    elif claim.provider != Identifier(system=PARTNER_SYSTEM, value=partner_code):
        raise WireFormatError(
            f"the claim provider {claim.provider.system}|{claim.provider.value} is "
            "neither an AXA provider id nor this partner"
        )
    body["service_date"] = claim.service_date.isoformat()
    if item.service.system != TREATMENT_SYSTEM:
        raise WireFormatError(
            f"the claim item's code system is {item.service.system!r}; AXA takes "
            f"treatment codes of {TREATMENT_SYSTEM}"
        )
    if item.service.code != UNSPECIFIED_TREATMENT:
        body["treatment_code"] = item.service.code
    body["quantity"] = item.quantity
    body["charge"] = amount_to_wire(item.charge)
    diagnoses = []
    for coding in claim.diagnoses:
        if coding.system != ICD10_SYSTEM:
            raise WireFormatError(
                f"diagnosis {coding.code!r} is in {coding.system!r}; AXA takes "
                "WHO ICD-10 codes"
            )
        diagnoses.append(coding.code)
    body["diagnosis_codes"] = diagnoses
    return body


def claim_from_wire(body: Any, policy_number: str) -> Claim:
    """Return the canonical Claim of a submission body for ``policy_number``."""
    claim = _object(body, "claim")
    policy = Identifier(system=POLICY_SYSTEM, value=policy_number)

    partner = _string(claim, "partner_code")
    provider_id = claim.get("provider_id")
    if provider_id is None:
        provider = Identifier(system=PARTNER_SYSTEM, value=partner)
    else:
        provider = Identifier(
            system=PROVIDER_SYSTEM, value=_string(claim, "provider_id")
        )

    treatment = claim.get("treatment_code")
    code = UNSPECIFIED_TREATMENT if treatment is None else treatment
    if not isinstance(code, str):
        raise WireFormatError(f"claim.treatment_code must be a string, got {code!r}")
    quantity = claim.get("quantity")
    if not _is_int(quantity):
        raise WireFormatError(f"claim.quantity must be an integer, got {quantity!r}")
    charge = amount_from_wire(claim.get("charge"), "claim.charge")

    codes = claim.get("diagnosis_codes")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise WireFormatError("claim.diagnosis_codes must be a list of strings")

    return Claim(
        patient=policy,
        provider=provider,
        policy=policy,
        service_date=_date(claim, "service_date"),
        items=(
            ClaimItem(
                service=Coding(system=TREATMENT_SYSTEM, code=code),
                charge=charge,
                quantity=quantity,
            ),
        ),
        diagnoses=tuple(Coding(system=ICD10_SYSTEM, code=c) for c in codes),
        total=charge,
    )


def claim_result_to_wire(result: ClaimResult) -> dict[str, Any]:
    """Return the JSON body of AXA's claim response; absent amounts are left out."""
    body: dict[str, Any] = {
        "claim_id": result.claim_id,
        "outcome": result.outcome.value,
    }
    if result.benefit is not None:
        body["benefit"] = amount_to_wire(result.benefit)
    if result.patient_share is not None:
        body["patient_share"] = amount_to_wire(result.patient_share)
    body["messages"] = list(result.messages)
    return body


def claim_result_from_wire(body: Any) -> ClaimResult:
    """Return the canonical ClaimResult of AXA's claim response."""
    result = _object(body, "claim result")
    messages = result.get("messages", [])
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise WireFormatError("claim result messages must be a list of strings")
    return ClaimResult(
        claim_id=_string(result, "claim_id"),
        outcome=ClaimOutcome(_string(result, "outcome")),
        benefit=_optional_amount(result, "benefit"),
        patient_share=_optional_amount(result, "patient_share"),
        messages=tuple(messages),
    )


# Coverage


def coverage_to_wire(coverage: Coverage) -> dict[str, Any]:
    """Return the JSON body of a coverage check response; absent values are left out.

    The member is identified by the policy number, so ``beneficiary`` and
    ``policy`` must be the same AXA policy identifier, and the service an
    AXA treatment code.
    """
    if coverage.beneficiary.system != POLICY_SYSTEM or coverage.policy not in (
        None,
        coverage.beneficiary,
    ):
        raise WireFormatError(
            "an AXA coverage names its member by the policy number: beneficiary "
            f"and policy must both be {POLICY_SYSTEM} identifiers"
        )
    if coverage.service is None or coverage.service.system != TREATMENT_SYSTEM:
        raise WireFormatError(
            f"an AXA coverage is checked for one treatment code of {TREATMENT_SYSTEM}"
        )
    body: dict[str, Any] = {
        "policy_number": coverage.beneficiary.value,
        "treatment_code": coverage.service.code,
        "status": coverage.status.value,
    }
    if coverage.country is not None:
        body["country"] = coverage.country
    if coverage.period_start is not None:
        body["period_start"] = coverage.period_start.isoformat()
    if coverage.period_end is not None:
        body["period_end"] = coverage.period_end.isoformat()
    if coverage.copay is not None:
        body["copay"] = amount_to_wire(coverage.copay)
    body["requires_preauthorization"] = coverage.requires_preauthorization
    return body


def coverage_from_wire(body: Any) -> Coverage:
    """Return the canonical Coverage of a coverage check response."""
    coverage = _object(body, "coverage")
    member = Identifier(system=POLICY_SYSTEM, value=_string(coverage, "policy_number"))
    preauthorization = coverage.get("requires_preauthorization")
    if not isinstance(preauthorization, bool):
        raise WireFormatError(
            "coverage.requires_preauthorization must be true or false, got "
            f"{preauthorization!r}"
        )
    country = coverage.get("country")
    if country is not None and not isinstance(country, str):
        raise WireFormatError(f"coverage.country must be a string, got {country!r}")
    return Coverage(
        beneficiary=member,
        policy=member,
        status=CoverageStatus(_string(coverage, "status")),
        service=Coding(
            system=TREATMENT_SYSTEM, code=_string(coverage, "treatment_code")
        ),
        country=country,
        period_start=_optional_date(coverage, "period_start"),
        period_end=_optional_date(coverage, "period_end"),
        copay=_optional_amount(coverage, "copay"),
        requires_preauthorization=preauthorization,
    )


# Helpers


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WireFormatError(
            f"{where} must be a JSON object, got {type(value).__name__}"
        )
    return value


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise WireFormatError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _is_int(value: Any) -> TypeGuard[int]:
    # bool is an int subclass, but true is not a count.
    return isinstance(value, int) and not isinstance(value, bool)


def _date(body: Mapping[str, Any], key: str) -> date:
    text = _string(body, key)
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise WireFormatError(f"{key}: {exc}") from exc


def parse_iso_date(text: str) -> date:
    """Return the date of ``text`` in the extended form YYYY-MM-DD only.

    date.fromisoformat also takes the basic form (20250120) since Python 3.11,
    which the wire format does not allow.
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a calendar date ({exc})") from exc


def _optional_date(body: Mapping[str, Any], key: str) -> date | None:
    return None if body.get(key) is None else _date(body, key)


def _optional_amount(body: Mapping[str, Any], key: str) -> Money | None:
    value = body.get(key)
    return None if value is None else amount_from_wire(value, key)
