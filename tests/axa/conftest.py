"""Fixtures for the AXA adapter tests: partner key, simulator, consent and audit.

The partner key is generated per test session into a temporary file, so none
is ever committed. Each test gets its own simulator, consent registry and
in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette

from carecert.adapters.axa.codes import POLICY_SYSTEM
from carecert.adapters.axa.simulator import create_app
from carecert.adapters.axa.synthetic import (
    SAMPLE_PARTNER,
    UNKNOWN_POLICY,
    synthetic_policies,
)
from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.credentials import new_rsa_key, public_key_pem, write_private_key
from ..support.recording import RecordingTransport

API_KEY = "synthetic-axa-api-key-7c41"
KEY_ID = "axa-test-key-1"
PARTNER = SAMPLE_PARTNER


@pytest.fixture(scope="session")
def axa_rsa_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture(scope="session")
def axa_private_key_path(
    axa_rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_private_key(
        axa_rsa_key, tmp_path_factory.mktemp("axa-key") / "partner.pem"
    )


@pytest.fixture(scope="session")
def axa_public_key_pem(axa_rsa_key: rsa.RSAPrivateKey) -> bytes:
    return public_key_pem(axa_rsa_key)


@pytest.fixture
def axa_consent() -> ConsentRegistry:
    """Explicit direct-care consent for every synthetic policy and the 404 one."""
    return direct_care_consent(
        Identifier(system=POLICY_SYSTEM, value=number)
        for number in [*synthetic_policies(), UNKNOWN_POLICY, "AXA123456789"]
    )


@pytest.fixture
def axa_audit() -> Iterator[AuditStore]:
    with memory_audit_store("EU") as store:
        yield store


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


@pytest.fixture(scope="module")
def axa_config_factory(
    axa_private_key_path: Path,
) -> Callable[..., dict[str, Any]]:
    """Build a config for Hypothesis tests, which cannot use function fixtures.

    Each call gets a new consent registry, and the adapter opens (and closes)
    its own in-memory audit store.
    """

    def build(**overrides: Any) -> dict[str, Any]:
        consent = direct_care_consent(
            Identifier(system=POLICY_SYSTEM, value=number)
            for number in synthetic_policies()
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
