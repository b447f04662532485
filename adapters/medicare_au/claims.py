"""Bulk-bill claims as FHIR R4 Claim, and the payer's ClaimResponse.

A bulk-bill claim assigns the Medicare benefit to the provider, who accepts
it as full payment, so the patient pays nothing. The Claim names the patient
by Medicare card number, the provider by Medicare provider number and each
service by MBS item number. Amounts are AUD with 2 decimal places.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    codeable_concept,
    coding_from_concept,
    format_instant,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    parse_date,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.medicare_au.codes import (
    ADJUDICATION_SYSTEM,
    CLAIM_KEY_SYSTEM,
    CLAIM_TYPE_SYSTEM,
    CURRENCY,
)
from carecert.adapters.models import (
    Claim,
    ClaimItem,
    ClaimOutcome,
    ClaimResult,
    Identifier,
    Money,
)

__all__ = [
    "PAYER",
    "claim_from_fhir",
    "claim_result_from_fhir",
    "claim_result_to_fhir",
    "claim_to_fhir",
]

PAYER = "Medicare Australia"
"""Display name of the insurer that every claim and response names."""

_BULK_BILL_CONCEPT = {"coding": [{"system": CLAIM_TYPE_SYSTEM, "code": "professional"}]}


def claim_to_fhir(claim: Claim, *, created: datetime) -> dict[str, Any]:
    """Map a canonical bulk-bill Claim to a FHIR R4 Claim.

    ``created`` is when the claim was made (FHIR Claim.created is required).
    The idempotency key travels as the Claim identifier too, so that the
    payer's record of the claim shows which request made it.
    """
    resource: dict[str, Any] = {"resourceType": "Claim"}
    if claim.idempotency_key is not None:
        resource["identifier"] = [
            {"system": CLAIM_KEY_SYSTEM, "value": claim.idempotency_key}
        ]
    resource["status"] = "active"
    resource["type"] = _BULK_BILL_CONCEPT
    resource["use"] = "claim"
    resource["patient"] = {"identifier": identifier_to_fhir(claim.patient)}
    resource["billablePeriod"] = {
        "start": claim.service_date.isoformat(),
        "end": claim.service_date.isoformat(),
    }
    resource["created"] = format_instant(created)
    resource["insurer"] = {"display": PAYER}
    resource["provider"] = {"identifier": identifier_to_fhir(claim.provider)}
    resource["priority"] = {"coding": [{"code": "normal"}]}
    # Medicare cover is the card itself, so the card number is the coverage
    # identifier unless the claim names another policy.
    coverage = claim.policy or claim.patient
    resource["insurance"] = [
        {
            "sequence": 1,
            "focal": True,
            "coverage": {"identifier": identifier_to_fhir(coverage), "display": PAYER},
        }
    ]
    resource["item"] = [
        _item_to_fhir(index, item, claim) for index, item in enumerate(claim.items, 1)
    ]
    if claim.total is not None:
        resource["total"] = _money_to_fhir(claim.total)
    return resource


def claim_from_fhir(resource: Any) -> Claim:
    """Map a FHIR R4 Claim, as claim_to_fhir writes it, to a canonical Claim."""
    where = "Claim"
    body = require_type(resource, where)
    patient = _reference_identifier(body, "patient")
    period = require_object(body.get("billablePeriod"), where, "billablePeriod")
    service_date = parse_date(period.get("start"), where, "billablePeriod.start")
    if service_date is None:
        raise MappingError(where, "billablePeriod.start", "must be a full date")

    policy = _policy(body)
    total = body.get("total")
    return Claim(
        patient=patient,
        provider=_reference_identifier(body, "provider"),
        policy=None if policy == patient else policy,
        service_date=service_date,
        items=tuple(
            _item_from_fhir(item, path) for path, item in items(body, "item", where)
        ),
        total=None if total is None else _money_from_fhir(total, where, "total"),
        idempotency_key=_idempotency_key(body),
    )


def _reference_identifier(body: Mapping[str, Any], key: str) -> Identifier:
    reference = require_object(body.get(key), "Claim", key)
    return identifier_from_fhir(
        reference.get("identifier"), "Claim", f"{key}.identifier"
    )


def _policy(body: Mapping[str, Any]) -> Identifier | None:
    for path, insurance in items(body, "insurance", "Claim"):
        coverage = require_object(
            require_object(insurance, "Claim", path).get("coverage"),
            "Claim",
            f"{path}.coverage",
        )
        return identifier_from_fhir(
            coverage.get("identifier"), "Claim", f"{path}.coverage.identifier"
        )
    return None


def _item_from_fhir(item: Any, path: str) -> ClaimItem:
    element = require_object(item, "Claim", path)
    charge = element.get("unitPrice")
    return ClaimItem(
        service=coding_from_concept(
            element.get("productOrService"), "Claim", f"{path}.productOrService"
        ),
        charge=None
        if charge is None
        else _money_from_fhir(charge, "Claim", f"{path}.unitPrice"),
        quantity=_quantity(element, "Claim", path),
    )


def _idempotency_key(body: Mapping[str, Any]) -> str | None:
    for path, identifier in items(body, "identifier", "Claim"):
        element = require_object(identifier, "Claim", path)
        if element.get("system") == CLAIM_KEY_SYSTEM:
            return require_str(element.get("value"), "Claim", f"{path}.value")
    return None


def claim_result_to_fhir(
    result: ClaimResult, *, claim: Claim, created: datetime
) -> dict[str, Any]:
    """Map a canonical ClaimResult to a FHIR R4 ClaimResponse for ``claim``."""
    resource: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": result.claim_id,
        "status": "active",
        "type": _BULK_BILL_CONCEPT,
        "use": "claim",
        "patient": {"identifier": identifier_to_fhir(claim.patient)},
        "created": format_instant(created),
        "insurer": {"display": PAYER},
        "requestor": {"identifier": identifier_to_fhir(claim.provider)},
        "outcome": result.outcome.value,
    }
    if result.messages:
        resource["disposition"] = result.messages[0]
        resource["processNote"] = [
            {"number": number, "type": "display", "text": text}
            for number, text in enumerate(result.messages, 1)
        ]
    totals = []
    if result.benefit is not None:
        totals.append(_total("benefit", result.benefit))
    if result.patient_share is not None:
        totals.append(_total("copay", result.patient_share))
    if totals:
        resource["total"] = totals
    return resource


def claim_result_from_fhir(resource: Any) -> ClaimResult:
    """Map a FHIR R4 ClaimResponse to a canonical ClaimResult.

    The benefit is the ``benefit`` total and the patient's share the
    ``copay`` total, both from the HL7 adjudication code system.
    """
    where = "ClaimResponse"
    body = require_type(resource, where)
    totals: dict[str, Money] = {}
    for path, total in items(body, "total", where):
        element = require_object(total, where, path)
        category = coding_from_concept(
            element.get("category"), where, f"{path}.category"
        )
        if category.system not in (None, ADJUDICATION_SYSTEM):
            continue
        totals[category.code] = _money_from_fhir(
            element.get("amount"), where, f"{path}.amount"
        )
    messages = [
        require_str(
            require_object(note, where, path).get("text"), where, f"{path}.text"
        )
        for path, note in items(body, "processNote", where)
    ]
    if not messages and body.get("disposition") is not None:
        messages = [require_str(body["disposition"], where, "disposition")]
    outcome = require_str(body.get("outcome"), where, "outcome")
    try:
        decided = ClaimOutcome(outcome)
    except ValueError:
        raise MappingError(
            where, "outcome", f"{outcome!r} is not a FHIR R4 claim outcome code"
        ) from None
    return ClaimResult(
        claim_id=require_str(body.get("id"), where, "id"),
        outcome=decided,
        benefit=totals.get("benefit"),
        patient_share=totals.get("copay"),
        messages=tuple(messages),
    )


def _item_to_fhir(sequence: int, item: ClaimItem, claim: Claim) -> dict[str, Any]:
    element: dict[str, Any] = {
        "sequence": sequence,
        "productOrService": codeable_concept(item.service),
        "servicedDate": claim.service_date.isoformat(),
    }
    if item.quantity != 1:
        element["quantity"] = {"value": item.quantity}
    if item.charge is not None:
        element["unitPrice"] = _money_to_fhir(item.charge)
    return element


def _quantity(element: Mapping[str, Any], where: str, path: str) -> int:
    quantity = element.get("quantity")
    if quantity is None:
        return 1
    value = require_object(quantity, where, f"{path}.quantity").get("value")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MappingError(
            where, f"{path}.quantity.value", "expected a whole number of 1 or more"
        )
    return value


def _total(code: str, amount: Money) -> dict[str, Any]:
    return {
        "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": code}]},
        "amount": _money_to_fhir(amount),
    }


def _money_to_fhir(money: Money) -> dict[str, Any]:
    # json.dumps cannot write a Decimal, so the amount goes out as a float.
    # Money.of reads it back through its shortest repr and pads it to the
    # currency's 2 places, so 41.40 comes back as 41.40, not 41.4.
    return {"value": float(money.amount), "currency": money.currency}


def _money_from_fhir(value: Any, where: str, path: str) -> Money:
    element = require_object(value, where, path)
    currency = optional_str(element.get("currency"), where, f"{path}.currency")
    amount = element.get("value")
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal | str):
        raise MappingError(where, f"{path}.value", "expected a number")
    try:
        return Money.of(amount, currency or CURRENCY)
    except (ValueError, InvalidOperation) as exc:
        raise MappingError(
            where, f"{path}.value", f"is not an amount in {currency}"
        ) from exc
