"""Property tests of the AXA mappings and of openapi.yaml.

Canonical -> wire -> canonical must be the identity on what the wire carries,
the wire must never hold a JSON number with a fraction, and every generated
request and response must validate against the adapter's openapi.yaml
(through SpecValidator with openapi-core, the reference).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.axa import AXAProvider
from carecert.adapters.axa.codes import (
    ICD10_SYSTEM,
    PARTNER_SYSTEM,
    POLICY_SYSTEM,
    PROVIDER_SYSTEM,
    TREATMENT_SYSTEM,
    UNSPECIFIED_TREATMENT,
)
from carecert.adapters.axa.mapping import (
    MAX_MINOR_UNITS,
    WireFormatError,
    claim_from_wire,
    claim_result_from_wire,
    claim_result_to_wire,
    claim_to_wire,
    coverage_from_wire,
    coverage_to_wire,
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
)
from carecert.adapters.models.billing import PAYABLE_CURRENCIES
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
)
from carecert.harness.errors import ConformanceFailure

from ..support.openapi import json_wire, openapi_validator

API = "https://emea.api.axa-healthcare.com/v3"
JSON = "application/json"
PARTNER = "CARECERT_PARTNER_01"
AUTH_HEADERS = {"x-api-key": "<scrubbed>", "Authorization": "Bearer <scrubbed>"}


def floats_in(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in floats_in(item)]
    if isinstance(value, list):
        return [f for item in value for f in floats_in(item)]
    return []


# Strategies

policy_numbers = st.from_regex(r"\AAXA[0-9]{9}\Z")
treatment_codes = st.from_regex(r"\A[A-Z][A-Z0-9_]{1,31}\Z").filter(
    lambda code: code != UNSPECIFIED_TREATMENT
)
provider_ids = st.from_regex(r"\A[A-Z0-9][A-Z0-9_-]{0,31}\Z")
icd10_codes = st.from_regex(r"\A[A-Z][0-9]{2}(\.[0-9]{1,2})?\Z")
currencies = st.sampled_from(sorted(PAYABLE_CURRENCIES))
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def amounts(draw: st.DrawFn, currency: str | None = None, minimum: int = 0) -> Money:
    code = currency or draw(currencies)
    minor = draw(st.integers(min_value=minimum, max_value=MAX_MINOR_UNITS))
    return Money.from_minor_units(minor, code)


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    policy = Identifier(system=POLICY_SYSTEM, value=draw(policy_numbers))
    charge = draw(amounts(minimum=1))
    provider = draw(
        st.one_of(
            st.just(Identifier(system=PARTNER_SYSTEM, value=PARTNER)),
            provider_ids.map(lambda v: Identifier(system=PROVIDER_SYSTEM, value=v)),
        )
    )
    code = draw(st.one_of(st.just(UNSPECIFIED_TREATMENT), treatment_codes))
    diagnoses = draw(st.lists(icd10_codes, min_size=1, max_size=5, unique=True))
    return Claim(
        patient=policy,
        provider=provider,
        policy=policy,
        service_date=draw(dates),
        items=(
            ClaimItem(
                service=Coding(system=TREATMENT_SYSTEM, code=code),
                charge=charge,
                quantity=draw(st.integers(min_value=1, max_value=99)),
            ),
        ),
        diagnoses=tuple(Coding(system=ICD10_SYSTEM, code=c) for c in diagnoses),
        total=charge,
    )


@st.composite
def coverages(draw: st.DrawFn) -> Coverage:
    member = Identifier(system=POLICY_SYSTEM, value=draw(policy_numbers))
    return Coverage(
        beneficiary=member,
        policy=member,
        status=draw(st.sampled_from(CoverageStatus)),
        service=Coding(system=TREATMENT_SYSTEM, code=draw(treatment_codes)),
        country=draw(st.none() | st.sampled_from(["ES", "FR", "DE", "JP", "US"])),
        period_start=draw(st.none() | dates),
        period_end=draw(st.none() | dates),
        copay=draw(st.none() | amounts()),
        requires_preauthorization=draw(st.booleans()),
    )


@st.composite
def claim_results(draw: st.DrawFn) -> ClaimResult:
    currency = draw(currencies)
    optional_amount = st.none() | amounts(currency)
    return ClaimResult(
        claim_id=draw(st.from_regex(r"\ACLM-[0-9]{8}\Z")),
        outcome=draw(st.sampled_from(ClaimOutcome)),
        benefit=draw(optional_amount),
        patient_share=draw(optional_amount),
        messages=tuple(draw(st.lists(st.text(min_size=1, max_size=30), max_size=3))),
    )


# Round trips


@given(claims())
def test_claim_round_trip(claim: Claim) -> None:
    body = claim_to_wire(claim, PARTNER)
    assert json.loads(json_wire(body)) == body
    assert floats_in(body) == []
    assert claim_from_wire(body, claim.patient.value) == claim


@given(coverages())
def test_coverage_round_trip(coverage: Coverage) -> None:
    body = coverage_to_wire(coverage)
    assert floats_in(body) == []
    assert coverage_from_wire(json.loads(json_wire(body))) == coverage


@given(claim_results())
def test_claim_result_round_trip(result: ClaimResult) -> None:
    body = claim_result_to_wire(result)
    assert floats_in(body) == []
    assert claim_result_from_wire(json.loads(json_wire(body))) == result


# Conformance of generated traffic


@settings(max_examples=40)
@given(claims(), claim_results())
def test_claim_exchange_conforms(claim: Claim, result: ClaimResult) -> None:
    url = f"{API}/policies/{claim.patient.value}/claims"
    headers = {
        **AUTH_HEADERS,
        "Accept": JSON,
        "Content-Type": JSON,
        "Idempotency-Key": "6f1c2a52-0d7e-4a51-9f3b-4c1d2e8a7b10",
    }
    openapi_validator(AXAProvider.info).validate_exchange(
        None,
        None,
        ExchangeRequest("POST", url, headers, json_wire(claim_to_wire(claim, PARTNER))),
        ExchangeResponse(
            201, {"Content-Type": JSON}, json_wire(claim_result_to_wire(result))
        ),
    )


@settings(max_examples=40)
@given(coverages(), provider_ids)
def test_coverage_exchange_conforms(coverage: Coverage, provider_id: str) -> None:
    assert coverage.service is not None
    query = urlencode(
        {
            "treatment_code": coverage.service.code,
            "provider_id": provider_id,
            "country": coverage.country or "ES",
        }
    )
    url = f"{API}/policies/{coverage.beneficiary.value}/coverage?{query}"
    openapi_validator(AXAProvider.info).validate_exchange(
        None,
        None,
        ExchangeRequest("GET", url, {**AUTH_HEADERS, "Accept": JSON}),
        ExchangeResponse(
            200, {"Content-Type": JSON}, json_wire(coverage_to_wire(coverage))
        ),
    )


def test_float_amount_fails_conformance() -> None:
    # The description must reject what carecert never sends: a fractional
    # JSON number as an amount.
    body = {
        "partner_code": PARTNER,
        "service_date": "2025-01-20",
        "quantity": 1,
        "charge": {"minor_units": 150.5, "currency": "EUR", "exponent": 2},
        "diagnosis_codes": ["I10"],
    }
    headers = {
        **AUTH_HEADERS,
        "Content-Type": JSON,
        "Idempotency-Key": "k",
    }
    with pytest.raises(ConformanceFailure):
        openapi_validator(AXAProvider.info).validate_exchange(
            None,
            None,
            ExchangeRequest(
                "POST", f"{API}/policies/AXA100000001/claims", headers, json_wire(body)
            ),
            None,
        )


def test_missing_idempotency_key_fails_conformance() -> None:
    claim = claim_to_wire(_one_item_claim(), PARTNER)
    headers = {**AUTH_HEADERS, "Content-Type": JSON}
    with pytest.raises(ConformanceFailure):
        openapi_validator(AXAProvider.info).validate_exchange(
            None,
            None,
            ExchangeRequest(
                "POST", f"{API}/policies/AXA100000001/claims", headers, json_wire(claim)
            ),
            None,
        )


# Rejections


def _one_item_claim(**changes: Any) -> Claim:
    policy = Identifier(system=POLICY_SYSTEM, value="AXA100000001")
    charge = Money.of("150.00", "EUR")
    fields: dict[str, Any] = {
        "patient": policy,
        "provider": Identifier(system=PARTNER_SYSTEM, value=PARTNER),
        "policy": policy,
        "service_date": date(2025, 1, 20),
        "items": (
            ClaimItem(
                service=Coding(system=TREATMENT_SYSTEM, code="GP_CONSULT"),
                charge=charge,
            ),
        ),
        "diagnoses": (Coding(system=ICD10_SYSTEM, code="I10"),),
        "total": charge,
    }
    fields.update(changes)
    return Claim(**fields)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {
                "items": (
                    ClaimItem(
                        service=Coding(system=TREATMENT_SYSTEM, code="GP_CONSULT")
                    ),
                )
                * 2
            },
            "one item",
        ),
        (
            {"items": (ClaimItem(service=Coding(system=TREATMENT_SYSTEM, code="A1")),)},
            "no charge",
        ),
        ({"total": Money.of("149.99", "EUR")}, "differs"),
        ({"diagnoses": (Coding(system="urn:other", code="I10"),)}, "ICD-10"),
        (
            {"provider": Identifier(system="urn:other", value="X")},
            "neither",
        ),
        (
            {
                "items": (
                    ClaimItem(
                        service=Coding(system="urn:other", code="GP"),
                        charge=Money.of("150.00", "EUR"),
                    ),
                )
            },
            "treatment codes",
        ),
    ],
)
def test_claim_outside_wire_format_rejected(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(WireFormatError, match=problem):
        claim_to_wire(_one_item_claim(**changes), PARTNER)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "JSON object"),
        ({"status": "active"}, "policy_number"),
        (
            {
                "policy_number": "AXA100000001",
                "treatment_code": "GP_CONSULT",
                "status": "active",
                "requires_preauthorization": "no",
            },
            "requires_preauthorization",
        ),
        (
            {
                "policy_number": "AXA100000001",
                "treatment_code": "GP_CONSULT",
                "status": "active",
                "period_start": "20200101",
                "requires_preauthorization": False,
            },
            "YYYY-MM-DD",
        ),
    ],
)
def test_malformed_coverage_rejected(body: Any, problem: str) -> None:
    with pytest.raises(WireFormatError, match=problem):
        coverage_from_wire(body)


# Requests the adapter itself sends


@st.composite
def claim_data(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(["EUR", "JPY", "KWD", "GBP", "USD"]))
    money = draw(amounts(currency, minimum=1))
    as_text = draw(st.booleans())
    data: dict[str, Any] = {
        "amount": str(money.amount) if as_text else money.amount,
        "currency": currency,
        "service_date": draw(
            st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 1, 1))
        ).isoformat(),
        "diagnosis_codes": draw(
            st.lists(icd10_codes, min_size=1, max_size=4, unique=True)
        ),
    }
    if draw(st.booleans()):
        data["treatment_code"] = draw(treatment_codes)
    if draw(st.booleans()):
        data["provider_id"] = draw(provider_ids)
    return data


@settings(max_examples=30, deadline=None)
@given(claim_data())
def test_adapter_claim_request_conforms(
    axa_config_factory: Any, data: dict[str, Any]
) -> None:
    sent: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = {"claim_id": "CLM-00000001", "outcome": "queued", "messages": []}
        return httpx.Response(201, json=body)

    async def submit() -> ClaimResult:
        config = axa_config_factory(transport=httpx.MockTransport(respond))
        async with AXAProvider(config) as axa:
            return await axa.submit_claim("AXA100000001", data)

    result = asyncio.run(submit())

    assert result.outcome is ClaimOutcome.QUEUED
    [request] = sent
    body = json.loads(request.content)
    assert floats_in(body) == []
    assert Money.from_minor_units(
        body["charge"]["minor_units"], data["currency"]
    ) == Money.of(data["amount"], data["currency"])
    openapi_validator(AXAProvider.info).validate_exchange(
        None,
        None,
        ExchangeRequest(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            request.content,
        ),
        None,
    )
