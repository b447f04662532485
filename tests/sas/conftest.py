"""Fixtures for the SAS adapter tests: keys, certificates, consent and simulator.

Keys and certificates are generated per test session into temporary files,
so none is ever committed. Each test gets its own consent registry and
in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.models import Identifier
from carecert.adapters.sas.codes import NUHSA_SYSTEM
from carecert.adapters.sas.simulator import create_app
from carecert.adapters.sas.synthetic import UNKNOWN_NUHSA, synthetic_patients

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.credentials import (
    new_rsa_key,
    public_key_pem,
    write_issued_cert,
    write_private_key,
)
from ..support.recording import RecordingTransport

CLIENT_ID = "carecert-test-client"
CLIENT_SECRET = "test-secret-4d1e"
KEY_ID = "sas-test-key-1"
CLIENT_NAME = "proveedor.carecert.example.test"


@pytest.fixture(scope="session")
def sas_rsa_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture(scope="session")
def sas_private_key_path(
    sas_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_private_key(
        sas_rsa_key, tmp_path_factory.mktemp("sas-key") / "private.pem"
    )


@pytest.fixture(scope="session")
def sas_public_key_pem(sas_rsa_key: rsa.RSAPrivateKey) -> bytes:
    return public_key_pem(sas_rsa_key)


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
    return write_issued_cert(
        sas_ca.issue_cert(CLIENT_NAME),
        directory / "certificado.pem",
        directory / "clave.pem",
    )


@pytest.fixture
def sas_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the 404 one."""
    return direct_care_consent(
        Identifier(system=NUHSA_SYSTEM, value=nuhsa)
        for nuhsa in [*synthetic_patients(), UNKNOWN_NUHSA]
    )


@pytest.fixture
def sas_audit() -> Iterator[AuditStore]:
    with memory_audit_store("ES") as store:
        yield store


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
