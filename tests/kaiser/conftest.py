"""Fixtures for the Kaiser adapter tests: SAML keys, consent, audit and simulator.

Keys and certificates are generated per test session into temporary files,
so none is ever committed. Each test gets its own consent registry and
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

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    load_catalogue,
)
from carecert.adapters.kaiser.auth import read_saml_identity
from carecert.adapters.kaiser.codes import MRN_SYSTEM
from carecert.adapters.kaiser.simulator import create_app
from carecert.adapters.kaiser.synthetic import UNKNOWN_MRN, synthetic_patients
from carecert.adapters.kaiser.testing import write_saml_identity
from carecert.adapters.models import Identifier

CLIENT_ID = "carecert-kaiser-test-client"

Config = Callable[..., dict[str, Any]]


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass requests to another transport and keep each request and response."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, response))
        return response

    def paths(self) -> list[str]:
        """Return the path and query of each request, in order."""
        return [request.url.raw_path.decode("ascii") for request, _ in self.exchanges]


def write_rsa_key(directory: Path) -> Path:
    """Write a new 2048-bit RSA key as unencrypted PKCS#8 PEM; return its path."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "private.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="session")
def saml_identity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEM file with a self-signed SAML signing certificate and its key."""
    return write_saml_identity(write_rsa_key(tmp_path_factory.mktemp("kaiser-saml")))


@pytest.fixture(scope="session")
def other_saml_identity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second identity, which the simulator does not trust."""
    return write_saml_identity(write_rsa_key(tmp_path_factory.mktemp("kaiser-other")))


@pytest.fixture(scope="session")
def trusted_certificate(saml_identity: Path) -> bytes:
    certificate, _ = read_saml_identity("kaiser", {"saml_certificate": saml_identity})
    return certificate


@pytest.fixture
def kaiser_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the unknown MRN."""
    registry = ConsentRegistry()
    mrns = [
        p.patient.identifier_value(MRN_SYSTEM) for p in synthetic_patients().values()
    ]
    for mrn in [*mrns, UNKNOWN_MRN]:
        assert mrn is not None
        registry.grant(
            ConsentRecord(
                patient=Identifier(system=MRN_SYSTEM, value=mrn),
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    return registry


@pytest.fixture
def kaiser_audit() -> Iterator[AuditStore]:
    retention = load_catalogue().region("US").audit_retention_years
    store = AuditStore(":memory:", retention_years={"US": retention})
    yield store
    store.close()


@pytest.fixture
def kaiser_simulator(trusted_certificate: bytes) -> Starlette:
    return create_app(client_id=CLIENT_ID, trusted_certificate=trusted_certificate)


@pytest.fixture
def kaiser_recorder(kaiser_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=kaiser_simulator))


@pytest.fixture
def kaiser_config(
    kaiser_recorder: RecordingTransport,
    saml_identity: Path,
    kaiser_consent: ConsentRegistry,
    kaiser_audit: AuditStore,
) -> Config:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "saml_certificate": str(saml_identity),
            "facility_id": "NCAL",
            "consent_registry": kaiser_consent,
            "audit_store": kaiser_audit,
            "transport": kaiser_recorder,
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""
