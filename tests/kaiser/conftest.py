"""Fixtures for the Kaiser adapter tests: SAML keys, consent, audit and simulator.

Keys and certificates are generated per test session into temporary files,
so none is ever committed. Each test gets its own consent registry and
in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.kaiser.auth import read_saml_identity
from carecert.adapters.kaiser.codes import MRN_SYSTEM
from carecert.adapters.kaiser.simulator import create_app
from carecert.adapters.kaiser.synthetic import UNKNOWN_MRN, synthetic_patients
from carecert.adapters.kaiser.testing import write_saml_identity
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.config import Config
from ..support.credentials import write_new_rsa_key
from ..support.recording import RecordingTransport

CLIENT_ID = "carecert-kaiser-test-client"


@pytest.fixture(scope="session")
def saml_identity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEM file with a self-signed SAML signing certificate and its key."""
    return write_saml_identity(
        write_new_rsa_key(tmp_path_factory.mktemp("kaiser-saml"))
    )


@pytest.fixture(scope="session")
def other_saml_identity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second identity, which the simulator does not trust."""
    return write_saml_identity(
        write_new_rsa_key(tmp_path_factory.mktemp("kaiser-other"))
    )


@pytest.fixture(scope="session")
def trusted_certificate(saml_identity: Path) -> bytes:
    certificate, _ = read_saml_identity("kaiser", {"saml_certificate": saml_identity})
    return certificate


@pytest.fixture
def kaiser_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic patient and the unknown MRN."""
    mrns = [
        p.patient.identifier_value(MRN_SYSTEM) for p in synthetic_patients().values()
    ]
    subjects = []
    for mrn in [*mrns, UNKNOWN_MRN]:
        assert mrn is not None
        subjects.append(Identifier(system=MRN_SYSTEM, value=mrn))
    return direct_care_consent(subjects)


@pytest.fixture
def kaiser_audit() -> Iterator[AuditStore]:
    with memory_audit_store("US") as store:
        yield store


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
