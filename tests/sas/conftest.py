"""Fixtures for the SAS adapter tests: keys, certificates, consent and simulator.

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
import trustme
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
from carecert.adapters.models import Identifier
from carecert.adapters.sas.codes import NUHSA_SYSTEM
from carecert.adapters.sas.simulator import create_app
from carecert.adapters.sas.synthetic import UNKNOWN_NUHSA, synthetic_patients

CLIENT_ID = "carecert-test-client"
CLIENT_SECRET = "test-secret-4d1e"
KEY_ID = "sas-test-key-1"
CLIENT_NAME = "proveedor.carecert.example.test"


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
        """Return the path of each request, in order."""
        return [request.url.path for request, _ in self.exchanges]


@pytest.fixture(scope="session")
def sas_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def sas_private_key_path(
    sas_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("sas-key") / "private.pem"
    path.write_bytes(
        sas_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="session")
def sas_public_key_pem(sas_rsa_key: rsa.RSAPrivateKey) -> bytes:
    return sas_rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="session")
def sas_ca() -> trustme.CA:
    """The test CA that signs the simulator's and the client's certificates."""
    return trustme.CA()


@pytest.fixture(scope="session")
def sas_client_cert(
    sas_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The provider certificate and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("sas-client")
    issued = sas_ca.issue_cert(CLIENT_NAME)
    certificate = directory / "certificado.pem"
    key = directory / "clave.pem"
    issued.cert_chain_pems[0].write_to_path(str(certificate))
    issued.private_key_pem.write_to_path(str(key))
    return certificate, key


@pytest.fixture
def sas_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the 404 one."""
    registry = ConsentRegistry()
    for nuhsa in [*synthetic_patients(), UNKNOWN_NUHSA]:
        registry.grant(
            ConsentRecord(
                patient=Identifier(system=NUHSA_SYSTEM, value=nuhsa),
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    return registry


@pytest.fixture
def sas_audit() -> Iterator[AuditStore]:
    retention = load_catalogue().region("ES").audit_retention_years
    store = AuditStore(":memory:", retention_years={"ES": retention})
    yield store
    store.close()


@pytest.fixture
def sas_simulator(sas_public_key_pem: bytes) -> Starlette:
    return create_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        public_key=sas_public_key_pem,
        key_id=KEY_ID,
    )


@pytest.fixture
def sas_recorder(sas_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=sas_simulator))


@pytest.fixture
def sas_config(
    sas_recorder: RecordingTransport,
    sas_client_cert: tuple[Path, Path],
    sas_consent: ConsentRegistry,
    sas_audit: AuditStore,
) -> Callable[..., dict[str, Any]]:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        certificate, key = sas_client_cert
        config: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "certificado_digital": str(certificate),
            "clave_certificado": str(key),
            "centro_salud_id": "CS_SEVILLA_001",
            "provincia": "SE",
            "consent_registry": sas_consent,
            "audit_store": sas_audit,
            "transport": sas_recorder,
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""
