"""Fixtures for the NHS adapter tests: keys, consent, audit and the simulator.

The RSA key is generated once per test session and written to a temporary
file, so no key is ever committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import Identifier
from carecert.adapters.nhs.simulator import create_app
from carecert.adapters.nhs.synthetic import UNKNOWN_NHS_NUMBER, synthetic_patients

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.credentials import new_rsa_key, public_key_pem, write_private_key
from ..support.recording import RecordingTransport

NHS_API_KEY = "test-api-key-7f3a9c"
NHS_KEY_ID = "test-key-1"


@pytest.fixture(scope="session")
def nhs_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key made for this test session."""
    return new_rsa_key()


@pytest.fixture(scope="session")
def nhs_private_key_path(
    nhs_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session key as a PEM file, as config key private_key_path expects."""
    return write_private_key(
        nhs_rsa_key, tmp_path_factory.mktemp("nhs-key") / "private.pem"
    )


@pytest.fixture(scope="session")
def nhs_public_key_pem(nhs_rsa_key: rsa.RSAPrivateKey) -> bytes:
    """The public half of the session key, as registered with the simulator."""
    return public_key_pem(nhs_rsa_key)


@pytest.fixture
def nhs_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the 404 one."""
    return direct_care_consent(
        Identifier(system=NHS_NUMBER_SYSTEM, value=number)
        for number in [*synthetic_patients(), UNKNOWN_NHS_NUMBER]
    )


@pytest.fixture
def nhs_audit() -> Iterator[AuditStore]:
    """An in-memory audit store with the catalogue's UK retention period."""
    with memory_audit_store("UK") as store:
        yield store


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
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build


@pytest.fixture
def nhs_recorder(nhs_simulator: Starlette) -> RecordingTransport:
    """A transport to the simulator that records every request."""
    return RecordingTransport(httpx.ASGITransport(app=nhs_simulator))


@pytest.fixture
def recording_transport() -> type[RecordingTransport]:
    """The RecordingTransport class, to wrap other transports in a test."""
    return RecordingTransport
