"""The simulator's checks of the API key and partner JWT, and claims under faults."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette

from carecert.adapters.axa import AXAProvider
from carecert.adapters.axa.simulator import create_app
from carecert.adapters.axa.synthetic import SAMPLE_POLICY
from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.mock.faults import FaultInjector, FaultKind, FaultPhase
from carecert.adapters.mock.transport import InProcessTransport

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS
from .conftest import API_KEY, KEY_ID, PARTNER

BASE = "https://emea.api.axa-healthcare.com/v3"
COVERAGE = (
    f"{BASE}/policies/{SAMPLE_POLICY}/coverage"
    "?treatment_code=GP_CONSULT&provider_id=PROV_001&country=ES"
)

CLAIM = {
    "amount": "95.50",
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["M54.5"],
    "treatment_code": "PHYSIO_SESSION",
}


@pytest.fixture(scope="module")
def signing_key(axa_private_key_path: Path) -> RSAKey:
    return RSAKey.import_key(axa_private_key_path.read_bytes())


def partner_jwt(key: RSAKey, *, kid: str = KEY_ID, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": PARTNER,
        "sub": PARTNER,
        "partner_code": PARTNER,
        "aud": BASE,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


async def get_coverage(app: Starlette, token: str, api_key: str = API_KEY) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(
            COVERAGE, headers={"x-api-key": api_key, "Authorization": f"Bearer {token}"}
        )
    return response.status_code


@pytest.mark.asyncio
async def test_valid_jwt_accepted(
    axa_simulator: Starlette, signing_key: RSAKey
) -> None:
    assert await get_coverage(axa_simulator, partner_jwt(signing_key)) == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://americas.api.axa-healthcare.com/v3"},
        {"iss": "OTHER"},
        {"sub": "OTHER"},
        {"partner_code": "OTHER"},
        {"partner_code": None},
        {"exp": timedelta(seconds=-1)},
        {"exp": timedelta(seconds=600)},
        {"iat": timedelta(seconds=120)},
        {"jti": None},
    ],
    # A timedelta is an offset from the moment the test runs, not from
    # collection, so that a slow run cannot turn a future time into a past
    # one. The ids are fixed, because pytest-xdist workers must collect the
    # same ids.
    ids=[
        "aud=americas",
        "iss=OTHER",
        "sub=OTHER",
        "partner_code=OTHER",
        "partner_code=None",
        "exp=past",
        "exp=too-far-ahead",
        "iat=future",
        "jti=None",
    ],
)
async def test_bad_jwt_claims_rejected(
    axa_simulator: Starlette, signing_key: RSAKey, changes: dict[str, Any]
) -> None:
    now = int(time.time())
    claims = {
        name: now + int(value.total_seconds())
        if isinstance(value, timedelta)
        else value
        for name, value in changes.items()
    }
    token = partner_jwt(signing_key, **claims)
    assert await get_coverage(axa_simulator, token) == 401


@pytest.mark.asyncio
async def test_replayed_jti_rejected(
    axa_simulator: Starlette, signing_key: RSAKey
) -> None:
    token = partner_jwt(signing_key)
    assert await get_coverage(axa_simulator, token) == 200
    assert await get_coverage(axa_simulator, token) == 401


@pytest.mark.asyncio
async def test_wrong_kid_rejected(
    axa_simulator: Starlette, signing_key: RSAKey
) -> None:
    token = partner_jwt(signing_key, kid="other-key")
    assert await get_coverage(axa_simulator, token) == 401


@pytest.mark.asyncio
async def test_other_signing_key_rejected(axa_simulator: Starlette) -> None:
    stranger = RSAKey.generate_key(2048)
    assert await get_coverage(axa_simulator, partner_jwt(stranger)) == 401


@pytest.mark.asyncio
async def test_tampered_signature_rejected(
    axa_simulator: Starlette, signing_key: RSAKey
) -> None:
    header, payload, signature = partner_jwt(signing_key).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    token = f"{header}.{payload}.{flipped}"
    assert await get_coverage(axa_simulator, token) == 401


@pytest.mark.asyncio
async def test_wrong_api_key_with_valid_jwt_rejected(
    axa_simulator: Starlette, signing_key: RSAKey
) -> None:
    status = await get_coverage(axa_simulator, partner_jwt(signing_key), "other")
    assert status == 401


# Faults


@pytest.mark.asyncio
async def test_claims_under_faults_applied_once(
    axa_config: Config, axa_public_key_pem: bytes
) -> None:
    injector = FaultInjector(rate=0.4, kinds=RETRYABLE_FAULTS, seed=11)
    app = create_app(
        api_key=API_KEY,
        partner_code=PARTNER,
        public_key=axa_public_key_pem,
        key_id=KEY_ID,
        faults=injector,
    )
    config = axa_config(transport=InProcessTransport(app=app), retry_attempts=10)
    claims = 10
    async with AXAProvider(config) as axa:
        results = [await axa.submit_claim(SAMPLE_POLICY, CLAIM) for _ in range(claims)]

    simulator = app.state.simulator
    applied_then_lost = [
        fault
        for fault in injector.injected
        if fault.phase is FaultPhase.AFTER and fault.path.endswith("/claims")
    ]
    assert applied_then_lost, "the seed injected no fault after a claim was applied"
    assert len(simulator.claims) == claims
    assert len({result.claim_id for result in results}) == claims
    assert simulator.claim_requests > claims


@pytest.mark.asyncio
async def test_resend_after_lost_response(
    axa_config: Config, axa_public_key_pem: bytes
) -> None:
    injector = FaultInjector(
        rate=1.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(
        api_key=API_KEY,
        partner_code=PARTNER,
        public_key=axa_public_key_pem,
        key_id=KEY_ID,
        faults=injector,
    )
    config = axa_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with AXAProvider(config) as axa:
        with pytest.raises(ProviderUnavailableError):
            await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key="lost-1")
        injector.rate = 0.0
        result = await axa.submit_claim(SAMPLE_POLICY, CLAIM, idempotency_key="lost-1")

    simulator = app.state.simulator
    assert len(simulator.claims) == 1
    assert result.claim_id in simulator.claims
    assert simulator.claim_requests == 3
