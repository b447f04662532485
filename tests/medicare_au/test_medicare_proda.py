"""PRODA device tokens on claims, against the simulator's token endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from carecert.adapters.errors import AuthenticationError, ConfigurationError
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.proda import JWT_BEARER_GRANT
from carecert.adapters.medicare_au.simulator import ProdaDevice, create_app
from carecert.adapters.medicare_au.synthetic import (
    SAMPLE_HPIO,
    SAMPLE_IHI,
    SAMPLE_MEDICARE,
    SAMPLE_PROVIDER_NUMBER,
)
from carecert.adapters.models import ClaimOutcome

from ..support.config import Config
from ..support.credentials import new_rsa_key, public_key_pem, write_private_key
from ..support.recording import RecordingTransport

TOKEN_URL = "https://proda.humanservices.gov.au/mga/sps/oauth/oauth20/token"
ORGANISATION = "9900000042"
DEVICE = "practice-device-1"
CLIENT = "carecert-test-software"

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def device_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RSAKey]:
    path = tmp_path_factory.mktemp("proda") / "device.pem"
    key = new_rsa_key()
    write_private_key(key, path)
    return path, RSAKey.import_key(public_key_pem(key))


def proda_settings(key_path: Path, **changes: Any) -> dict[str, Any]:
    return {
        "organisation_id": ORGANISATION,
        "device_name": DEVICE,
        "device_key": str(key_path),
        "client_id": CLIENT,
        "token_url": TOKEN_URL,
        "token_audience": "https://claiming.example.test/bulk-bill",
        **changes,
    }


@pytest.fixture
def proda_recorder(device_key: tuple[Path, RSAKey]) -> RecordingTransport:
    device = ProdaDevice(
        organisation_id=ORGANISATION,
        device_name=DEVICE,
        public_key=device_key[1],
        client_id=CLIENT,
        key_id=DEVICE,
    )
    app = create_app(hpio=SAMPLE_HPIO, device=device)
    return RecordingTransport(httpx.ASGITransport(app=app))


async def claim(medicare: MedicareAustraliaProvider) -> Any:
    return await medicare.submit_bulk_bill_claim(
        SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23"], "2025-01-20"
    )


async def test_claims_carry_proda_token(
    medicare_config: Config,
    proda_recorder: RecordingTransport,
    device_key: tuple[Path, RSAKey],
) -> None:
    config = medicare_config(
        transport=proda_recorder, proda=proda_settings(device_key[0])
    )
    async with MedicareAustraliaProvider(config) as medicare:
        first = await claim(medicare)
        second = await claim(medicare)
        await medicare.get_my_health_record(SAMPLE_IHI)

    assert first.outcome is ClaimOutcome.COMPLETE
    assert second.outcome is ClaimOutcome.COMPLETE
    paths = [request.url.path for request, _ in proda_recorder.exchanges]
    assert paths.count("/mga/sps/oauth/oauth20/token") == 1
    for request, _ in proda_recorder.exchanges:
        if request.url.path.endswith("/Claim"):
            assert request.headers["Authorization"].startswith("Bearer ")
        if request.url.path.endswith("$my-health-record"):
            assert "Authorization" not in request.headers


async def test_device_assertion_claims(
    medicare_config: Config,
    proda_recorder: RecordingTransport,
    device_key: tuple[Path, RSAKey],
) -> None:
    config = medicare_config(
        transport=proda_recorder, proda=proda_settings(device_key[0])
    )
    async with MedicareAustraliaProvider(config) as medicare:
        await claim(medicare)

    token_request = proda_recorder.exchanges[0][0]
    form = {k: v[0] for k, v in parse_qs(token_request.content.decode()).items()}
    assert form["grant_type"] == JWT_BEARER_GRANT
    assert form["client_id"] == CLIENT
    decoded = jwt.decode(form["assertion"], device_key[1], ["RS256"])
    assert decoded.header["kid"] == DEVICE
    assert decoded.claims["iss"] == ORGANISATION
    assert decoded.claims["sub"] == DEVICE
    assert decoded.claims["aud"] == TOKEN_URL
    assert decoded.claims["token.aud"] == "https://claiming.example.test/bulk-bill"
    assert decoded.claims["exp"] - decoded.claims["iat"] <= 300


async def test_unregistered_device_key_rejected(
    medicare_config: Config, proda_recorder: RecordingTransport, tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    write_private_key(new_rsa_key(), other)
    config = medicare_config(transport=proda_recorder, proda=proda_settings(other))
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(AuthenticationError, match="device is activated"):
            await claim(medicare)
    simulator_paths = [request.url.path for request, _ in proda_recorder.exchanges]
    assert not any(path.endswith("/Claim") for path in simulator_paths)


async def test_claim_without_token_rejected(
    medicare_config: Config, proda_recorder: RecordingTransport
) -> None:
    config = medicare_config(transport=proda_recorder, retry_attempts=1)
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(AuthenticationError, match="INVALID_TOKEN"):
            await claim(medicare)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"device_name": ""}, "missing device_name"),
        ({"client_id": None}, "missing client_id"),
        ({"device": "x"}, "unknown keys"),
        ({"token_url": "http://proda.example.test/token"}, "plain http"),
    ],
)
async def test_bad_proda_settings_rejected(
    medicare_config: Config,
    device_key: tuple[Path, RSAKey],
    changes: dict[str, Any],
    message: str,
) -> None:
    settings = proda_settings(device_key[0], **changes)
    with pytest.raises(ConfigurationError, match=message):
        MedicareAustraliaProvider(medicare_config(proda=settings))


async def test_proda_settings_not_a_mapping(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="proda must be a mapping"):
        MedicareAustraliaProvider(medicare_config(proda="device-1"))
