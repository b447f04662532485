"""AXAProvider against the in-process simulator: coverage, claims, auth, config."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette

from carecert.adapters.axa import REGIONS, AXAProvider, info_for_region
from carecert.adapters.axa.claims import InvalidClaimError
from carecert.adapters.axa.codes import POLICY_SYSTEM
from carecert.adapters.axa.interface import IDEMPOTENCY_HEADER
from carecert.adapters.axa.responses import IdempotencyConflictError
from carecert.adapters.axa.synthetic import (
    JPY_POLICY,
    KWD_POLICY,
    LAPSED_POLICY,
    SAMPLE_POLICY,
    UNKNOWN_POLICY,
)
from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    InvalidResponseError,
    ProviderError,
    ResourceNotFoundError,
)
from carecert.adapters.models import ClaimOutcome, CoverageStatus, Money

from ..support.config import Config, simulator_state
from ..support.recording import RecordingTransport
from .conftest import API_KEY, KEY_ID, PARTNER

CLAIM: dict[str, Any] = {
    "amount": 150.00,
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["I10", "E11"],
    "treatment_code": "CARD_CONSULT",
    "provider_id": "PROV_001",
}


# Coverage


@pytest.mark.asyncio
async def test_verify_coverage_active(axa_config: Config) -> None:
    async with AXAProvider(axa_config()) as axa:
        coverage = await axa.verify_coverage(
            SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES"
        )

    assert coverage.status is CoverageStatus.ACTIVE
    assert coverage.beneficiary.system == POLICY_SYSTEM
    assert coverage.beneficiary.value == SAMPLE_POLICY
    assert coverage.copay == Money(amount=Decimal("20.00"), currency="EUR")
    assert coverage.country == "ES"
    assert coverage.requires_preauthorization is False


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("policy", "treatment", "country", "status"),
    [
        (LAPSED_POLICY, "CARD_CONSULT", "ES", CoverageStatus.INACTIVE),
        (SAMPLE_POLICY, "DENTAL_CHECK", "ES", CoverageStatus.NOT_COVERED),
        (SAMPLE_POLICY, "CARD_CONSULT", "JP", CoverageStatus.NOT_COVERED),
        (JPY_POLICY, "CARD_CONSULT", "JP", CoverageStatus.ACTIVE),
    ],
)
async def test_verify_coverage_statuses(
    axa_config: Config,
    policy: str,
    treatment: str,
    country: str,
    status: CoverageStatus,
) -> None:
    async with AXAProvider(axa_config()) as axa:
        coverage = await axa.verify_coverage(policy, treatment, "PROV_001", country)
    assert coverage.status is status


@pytest.mark.asyncio
async def test_unknown_policy_not_found(axa_config: Config) -> None:
    async with AXAProvider(axa_config()) as axa:
        with pytest.raises(ResourceNotFoundError, match="POLICY_NOT_FOUND"):
            await axa.verify_coverage(UNKNOWN_POLICY, "CARD_CONSULT", "PROV_001", "ES")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "arguments",
    [
        ("AXA12345", "CARD_CONSULT", "PROV_001", "ES"),
        (SAMPLE_POLICY, "card consult", "PROV_001", "ES"),
        (SAMPLE_POLICY, "CARD_CONSULT", "prov 1", "ES"),
        (SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "UK"),
    ],
)
async def test_invalid_arguments_send_nothing(
    axa_config: Config, axa_recorder: RecordingTransport, arguments: tuple[str, ...]
) -> None:
    async with AXAProvider(axa_config()) as axa:
        with pytest.raises(InvalidIdentifierError):
            await axa.verify_coverage(*arguments)
    assert axa_recorder.exchanges == []


# Claims


@pytest.mark.asyncio
async def test_submit_guide_claim(axa_config: Config) -> None:
    async with AXAProvider(axa_config()) as axa:
        result = await axa.submit_claim(SAMPLE_POLICY, CLAIM)

    # 150.00 minus the 20.00 copay, of which AXA pays 80 %.
    assert result.outcome is ClaimOutcome.COMPLETE
    assert result.benefit == Money(amount=Decimal("104.00"), currency="EUR")
    assert result.patient_share == Money(amount=Decimal("46.00"), currency="EUR")


@pytest.mark.asyncio
async def test_claim_travels_as_minor_units(
    axa_config: Config, axa_recorder: RecordingTransport
) -> None:
    async with AXAProvider(axa_config()) as axa:
        await axa.submit_claim(SAMPLE_POLICY, {**CLAIM, "amount": 0.3})

    # The float 0.3 is 0.299999999999999988898 in binary, and its decimal
    # text 0.3 is what travels.
    [(request, _)] = axa_recorder.exchanges
    body = json.loads(request.content)
    assert body["charge"] == {"minor_units": 30, "currency": "EUR", "exponent": 2}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("policy", "amount", "currency", "benefit"),
    [
        (JPY_POLICY, 15000, "JPY", Decimal("10400")),
        (KWD_POLICY, "150.000", "KWD", Decimal("104.000")),
    ],
)
async def test_claim_in_zero_and_three_digit_currencies(
    axa_config: Config, policy: str, amount: Any, currency: str, benefit: Decimal
) -> None:
    claim = {**CLAIM, "amount": amount, "currency": currency}
    async with AXAProvider(axa_config()) as axa:
        result = await axa.submit_claim(policy, claim)
    assert result.benefit == Money(amount=benefit, currency=currency)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 1.5, "currency": "JPY"}, "amount"),
        ({"amount": 1.234}, "amount"),
        ({"amount": 0.1 + 0.2}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"diagnosis_codes": ["I10", "e11"]}, "diagnosis_codes"),
        ({"service_date": "2999-01-01"}, "service_date"),
    ],
)
async def test_invalid_claim_sends_nothing(
    axa_config: Config,
    axa_recorder: RecordingTransport,
    changes: dict[str, Any],
    field: str,
) -> None:
    async with AXAProvider(axa_config()) as axa:
        with pytest.raises(InvalidClaimError) as caught:
            await axa.submit_claim(SAMPLE_POLICY, {**CLAIM, **changes})
    assert caught.value.field == field
    assert axa_recorder.exchanges == []


@pytest.mark.asyncio
async def test_claim_without_treatment_is_queued(axa_config: Config) -> None:
    claim = {k: v for k, v in CLAIM.items() if k != "treatment_code"}
    async with AXAProvider(axa_config()) as axa:
        result = await axa.submit_claim(SAMPLE_POLICY, claim)
    assert result.outcome is ClaimOutcome.QUEUED
    assert result.benefit is None


@pytest.mark.asyncio
async def test_claim_in_other_currency_rejected(axa_config: Config) -> None:
    async with AXAProvider(axa_config()) as axa:
        with pytest.raises(ProviderError, match="HTTP 422 CURRENCY_MISMATCH"):
            await axa.submit_claim(JPY_POLICY, CLAIM)


@pytest.mark.asyncio
async def test_resend_with_key_applied_once(
    axa_config: Config, axa_simulator: Starlette
) -> None:
    async with AXAProvider(axa_config()) as axa:
        first = await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key="k-1")
        again = await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key="k-1")
        other = await axa.submit_claim(SAMPLE_POLICY, CLAIM)

    assert again == first
    assert other.claim_id != first.claim_id
    assert len(simulator_state(axa_simulator).claims) == 2
    assert simulator_state(axa_simulator).claim_requests == 3


@pytest.mark.asyncio
async def test_key_reused_for_other_claim_conflicts(
    axa_config: Config, axa_simulator: Starlette
) -> None:
    async with AXAProvider(axa_config()) as axa:
        await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key="k-2")
        with pytest.raises(IdempotencyConflictError, match="HTTP 422"):
            await axa.submit_claim(
                SAMPLE_POLICY, {**CLAIM, "amount": "151.00"}, idempotency_key="k-2"
            )
    assert len(simulator_state(axa_simulator).claims) == 1


@pytest.mark.asyncio
async def test_each_claim_gets_new_key(
    axa_config: Config, axa_recorder: RecordingTransport
) -> None:
    async with AXAProvider(axa_config()) as axa:
        await axa.submit_claim(SAMPLE_POLICY, CLAIM)
        await axa.submit_claim(SAMPLE_POLICY, CLAIM)
    keys = [request.headers[IDEMPOTENCY_HEADER] for request in axa_recorder.requests]
    assert len(set(keys)) == 2


@pytest.mark.asyncio
async def test_blank_idempotency_key_rejected(axa_config: Config) -> None:
    async with AXAProvider(axa_config()) as axa:
        with pytest.raises(ValueError, match="blank"):
            await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key=" ")


@pytest.mark.asyncio
async def test_result_in_other_currency_rejected(axa_config: Config) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {
            "claim_id": "CLM-1",
            "outcome": "complete",
            "benefit": {"minor_units": 100, "currency": "USD", "exponent": 2},
            "messages": [],
        }
        return httpx.Response(201, json=body)

    config = axa_config(transport=httpx.MockTransport(answer))
    async with AXAProvider(config) as axa:
        with pytest.raises(InvalidResponseError, match="another currency"):
            await axa.submit_claim(SAMPLE_POLICY, CLAIM)


@pytest.mark.asyncio
async def test_coverage_for_other_policy_rejected(axa_config: Config) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {
            "policy_number": LAPSED_POLICY,
            "treatment_code": "CARD_CONSULT",
            "status": "active",
            "country": "ES",
            "requires_preauthorization": False,
        }
        return httpx.Response(200, json=body)

    config = axa_config(transport=httpx.MockTransport(answer))
    async with AXAProvider(config) as axa:
        with pytest.raises(InvalidResponseError, match="another"):
            await axa.verify_coverage(SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES")


# Compliance


@pytest.mark.asyncio
async def test_no_consent_sends_nothing(
    axa_config: Config, axa_recorder: RecordingTransport
) -> None:
    async with AXAProvider(axa_config(consent_registry=ConsentRegistry())) as axa:
        with pytest.raises(ConsentRequiredError):
            await axa.submit_claim(SAMPLE_POLICY, CLAIM)
    assert axa_recorder.exchanges == []


# Authentication


@pytest.mark.asyncio
async def test_jwt_claims_and_api_key(
    axa_config: Config,
    axa_recorder: RecordingTransport,
    axa_public_key_pem: bytes,
) -> None:
    async with AXAProvider(axa_config()) as axa:
        await axa.verify_coverage(SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES")
        await axa.verify_coverage(SAMPLE_POLICY, "GP_CONSULT", "PROV_001", "ES")

    key = RSAKey.import_key(axa_public_key_pem)
    tokens = []
    for request in axa_recorder.requests:
        assert request.headers["x-api-key"] == API_KEY
        scheme, _, token = request.headers["Authorization"].partition(" ")
        assert scheme == "Bearer"
        tokens.append(jwt.decode(token, key, ["RS256"]))
    first = tokens[0]
    assert first.header["kid"] == KEY_ID
    assert first.claims["iss"] == PARTNER
    assert first.claims["sub"] == PARTNER
    assert first.claims["partner_code"] == PARTNER
    assert first.claims["aud"] == REGIONS["EMEA"].base_url
    assert first.claims["exp"] - first.claims["iat"] == 60
    assert tokens[0].claims["jti"] != tokens[1].claims["jti"]


@pytest.mark.asyncio
async def test_wrong_api_key_rejected(axa_config: Config) -> None:
    async with AXAProvider(axa_config(api_key="another-key")) as axa:
        with pytest.raises(AuthenticationError, match="HTTP 401 UNAUTHORIZED"):
            await axa.verify_coverage(SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES")


@pytest.mark.asyncio
async def test_wrong_partner_rejected(axa_config: Config) -> None:
    async with AXAProvider(axa_config(partner_code="OTHER_PARTNER")) as axa:
        with pytest.raises(AuthenticationError):
            await axa.verify_coverage(SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES")


@pytest.mark.asyncio
async def test_wrong_key_id_rejected(axa_config: Config) -> None:
    async with AXAProvider(axa_config(key_id="unregistered")) as axa:
        with pytest.raises(AuthenticationError):
            await axa.verify_coverage(SAMPLE_POLICY, "CARD_CONSULT", "PROV_001", "ES")


# Configuration


def test_unknown_region_lists_valid_ones(axa_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="EMEA, AMERICAS, APAC"):
        AXAProvider(axa_config(region="EUROPE"))


def test_region_is_case_insensitive(axa_config: Config) -> None:
    provider = AXAProvider(axa_config(region="emea"))
    assert provider.endpoints.api_base == "https://emea.api.axa-healthcare.com/v3"


def test_undeclared_region_host_rejected(axa_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="info_for_region"):
        AXAProvider(axa_config(region="AMERICAS"))


def test_region_subclass_declares_its_host(axa_config: Config) -> None:
    class AXAAmericas(AXAProvider):
        info = info_for_region(AXAProvider.info, "AMERICAS")

    provider = AXAAmericas(axa_config(region="AMERICAS"))
    assert provider.info.id == "axa-americas"
    assert provider.info.regions == ("US",)
    assert provider.info.host_jurisdiction("americas.api.axa-healthcare.com") == "US"
    assert provider.endpoints.host == "americas.api.axa-healthcare.com"


def test_guide_config_keys_accepted(axa_config: Config) -> None:
    guide = {
        "api_key": "synthetic-key",
        "region": "EMEA",
        "partner_code": "LUKHAS_001",
        "api_base": "https://api.axa-healthcare.com/v3",
    }
    provider = AXAProvider(axa_config(**guide))
    assert provider.partner_code == "LUKHAS_001"
    assert provider.endpoints.region == "EMEA"
    assert provider.endpoints.api_base == "https://api.axa-healthcare.com/v3"


def test_api_base_overrides_region(axa_config: Config) -> None:
    provider = AXAProvider(axa_config(api_base="https://partner.example.test/v3/"))
    assert provider.endpoints.api_base == "https://partner.example.test/v3"
    assert provider.endpoints.overridden


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"partner_code": None}, "partner_code"),
        ({"partner_code": "lukhas 001"}, "partner_code"),
        ({"api_key": None}, "api_key"),
        ({"private_key_path": None}, "private_key_path"),
        ({"key_id": ""}, "key_id"),
        ({"api_base": "http://api.example.test/v3"}, "plain http"),
    ],
)
def test_config_errors_name_the_key(
    axa_config: Config,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, Any],
    problem: str,
) -> None:
    monkeypatch.delenv("AXA_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match=problem):
        AXAProvider(axa_config(**changes))


def test_api_key_from_environment(
    axa_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AXA_API_KEY", "from-environment")
    provider = AXAProvider(axa_config(api_key=None))
    assert provider._auth._api_key == "from-environment"


def test_repr_hides_config(axa_config: Config) -> None:
    assert "api-key" not in repr(AXAProvider(axa_config()))
