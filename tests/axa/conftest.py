"""Fixtures for the AXA adapter tests: partner key, simulator, consent and audit.

The partner key is generated per test session into a temporary file, so none
is ever committed. Each test gets its own simulator, consent registry and
in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette

from carecert.adapters.axa.codes import POLICY_SYSTEM
from carecert.adapters.axa.simulator import create_app
from carecert.adapters.axa.synthetic import (
    SAMPLE_PARTNER,
    UNKNOWN_POLICY,
    synthetic_policies,
)
from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    load_catalogue,
)
from carecert.adapters.models import Identifier

API_KEY = "synthetic-axa-api-key-7c41"
KEY_ID = "axa-test-key-1"
PARTNER = SAMPLE_PARTNER


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass requests to another transport and keep each request and response."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        captured = httpx.Response(
            response.status_code, headers=response.headers, content=body
        )
        self.exchanges.append((request, captured))
        return captured

    def requests(self) -> list[httpx.Request]:
        """Return every request sent, in order."""
        return [request for request, _ in self.exchanges]


@pytest.fixture(scope="session")
def axa_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def axa_private_key_path(
    axa_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("axa-key") / "partner.pem"
    path.write_bytes(
        axa_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="session")
def axa_public_key_pem(axa_rsa_key: rsa.RSAPrivateKey) -> bytes:
    return axa_rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def axa_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic policy and the 404 one."""
    registry = ConsentRegistry()
    for number in [*synthetic_policies(), UNKNOWN_POLICY, "AXA123456789"]:
        registry.grant(
            ConsentRecord(
                patient=Identifier(system=POLICY_SYSTEM, value=number),
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    return registry


@pytest.fixture
def axa_audit() -> Iterator[AuditStore]:
    retention = load_catalogue().region("EU").audit_retention_years
    store = AuditStore(":memory:", retention_years={"EU": retention})
    yield store
    store.close()


@pytest.fixture
def axa_simulator(axa_public_key_pem: bytes) -> Starlette:
    return create_app(
        api_key=API_KEY,
        partner_code=PARTNER,
        public_key=axa_public_key_pem,
        key_id=KEY_ID,
    )


@pytest.fixture
def axa_recorder(axa_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=axa_simulator))


@pytest.fixture
def axa_config(
    axa_recorder: RecordingTransport,
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
) -> Callable[..., dict[str, Any]]:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "api_key": API_KEY,
            "partner_code": PARTNER,
            "region": "EMEA",
            "private_key_path": str(axa_private_key_path),
            "key_id": KEY_ID,
            "consent_registry": axa_consent,
            "audit_store": axa_audit,
            "transport": axa_recorder,
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""


@pytest.fixture(scope="module")
def axa_config_factory(
    axa_private_key_path: Path,
) -> Callable[..., dict[str, Any]]:
    """Build a config for Hypothesis tests, which cannot use function fixtures.

    Each call gets a new consent registry, and the adapter opens (and closes)
    its own in-memory audit store.
    """

    def build(**overrides: Any) -> dict[str, Any]:
        consent = ConsentRegistry()
        for number in synthetic_policies():
            consent.grant(
                ConsentRecord(
                    patient=Identifier(system=POLICY_SYSTEM, value=number),
                    purpose="direct-care",
                    basis=ConsentBasis.EXPLICIT,
                    granted_at=datetime(2020, 1, 1, tzinfo=UTC),
                )
            )
        config: dict[str, Any] = {
            "api_key": API_KEY,
            "partner_code": PARTNER,
            "private_key_path": str(axa_private_key_path),
            "key_id": KEY_ID,
            "consent_registry": consent,
            "audit_store": ":memory:",
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build
