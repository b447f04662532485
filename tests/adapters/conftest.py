"""Fixtures for the NHS adapter tests: keys, consent, audit and the simulator.

The RSA key is generated once per test session and written to a temporary
file, so no key is ever committed.
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

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import Identifier
from carecert.adapters.nhs.simulator import create_app
from carecert.adapters.nhs.synthetic import UNKNOWN_NHS_NUMBER, synthetic_patients

NHS_API_KEY = "test-api-key-7f3a9c"
NHS_KEY_ID = "test-key-1"


@pytest.fixture(scope="session")
def nhs_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key made for this test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def nhs_private_key_path(
    nhs_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session key as a PEM file, as config key private_key_path expects."""
    path = tmp_path_factory.mktemp("nhs-key") / "private.pem"
    path.write_bytes(
        nhs_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="session")
def nhs_public_key_pem(nhs_rsa_key: rsa.RSAPrivateKey) -> bytes:
    """The public half of the session key, as registered with the simulator."""
    return nhs_rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def nhs_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the 404 one."""
    registry = ConsentRegistry()
    for number in [*synthetic_patients(), UNKNOWN_NHS_NUMBER]:
        registry.grant(
            ConsentRecord(
                patient=Identifier(system=NHS_NUMBER_SYSTEM, value=number),
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    return registry


@pytest.fixture
def nhs_audit() -> Iterator[AuditStore]:
    """An in-memory audit store with the UK retention period."""
    store = AuditStore(":memory:", retention_years={"UK": 7})
    yield store
    store.close()


@pytest.fixture
def nhs_simulator(nhs_public_key_pem: bytes) -> Starlette:
    """The simulator with the session key registered, as in integration."""
    return create_app(
        public_key=nhs_public_key_pem, api_key=NHS_API_KEY, key_id=NHS_KEY_ID
    )


@pytest.fixture
def nhs_config(
    nhs_simulator: Starlette,
    nhs_private_key_path: Path,
    nhs_consent: ConsentRegistry,
    nhs_audit: AuditStore,
) -> Callable[..., dict[str, Any]]:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "api_key": NHS_API_KEY,
            "private_key_path": str(nhs_private_key_path),
            "key_id": NHS_KEY_ID,
            "environment": "integration",
            "ods_code": "RX1",
            "consent_registry": nhs_consent,
            "audit_store": nhs_audit,
            "transport": httpx.ASGITransport(app=nhs_simulator),
            "retry_sleep": _no_sleep,
        }
        config.update(overrides)
        return config

    return build


async def _no_sleep(seconds: float) -> None:
    """Stand in for asyncio.sleep between retries, so tests never wait."""


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass requests to another transport and keep each one, body read."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def paths(self) -> list[str]:
        """Return the path of each request, in order."""
        return [request.url.path for request in self.requests]


@pytest.fixture
def nhs_recorder(nhs_simulator: Starlette) -> RecordingTransport:
    """A transport to the simulator that records every request."""
    return RecordingTransport(httpx.ASGITransport(app=nhs_simulator))


@pytest.fixture
def recording_transport() -> type[RecordingTransport]:
    """The RecordingTransport class, to wrap other transports in a test."""
    return RecordingTransport
