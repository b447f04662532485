"""Fixtures for the CVS adapter tests: simulator, consent, audit and config.

Each test gets its own simulator, consent registry and in-memory audit store,
so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.cvs.mapping import rx_identifier
from carecert.adapters.cvs.simulator import create_app
from carecert.adapters.cvs.synthetic import synthetic_patients

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.recording import RecordingTransport

CLIENT_ID = "carecert-test-client"
CLIENT_SECRET = "test-secret:with/odd&chars"
STORE = "3456"
UNKNOWN_RX = "7777777"
"""An Rx number of valid form that no synthetic patient has."""


@pytest.fixture
def cvs_consent() -> ConsentRegistry:
    """Consent for every synthetic patient id and Rx number, and UNKNOWN_RX."""
    identifiers = [rx_identifier(UNKNOWN_RX)]
    for entry in synthetic_patients().values():
        identifiers.append(entry.patient.identifiers[0])
        identifiers += [rx_identifier(s.rx_number) for s in entry.prescriptions]
    return direct_care_consent(identifiers)


@pytest.fixture
def cvs_audit() -> Iterator[AuditStore]:
    with memory_audit_store("US") as store:
        yield store


@pytest.fixture
def cvs_simulator() -> Starlette:
    return create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def cvs_recorder(cvs_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=cvs_simulator))


@pytest.fixture
def cvs_config(
    cvs_recorder: RecordingTransport,
    cvs_consent: ConsentRegistry,
    cvs_audit: AuditStore,
) -> Callable[..., dict[str, Any]]:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "store_number": STORE,
            "api_base": "https://api.cvs.com/v2",
            "consent_registry": cvs_consent,
            "audit_store": cvs_audit,
            "transport": cvs_recorder,
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build
