"""Fixtures for the CVS adapter tests: simulator, consent, audit and config.

Each test gets its own simulator, consent registry and in-memory audit store,
so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    load_catalogue,
)
from carecert.adapters.cvs.mapping import rx_identifier
from carecert.adapters.cvs.simulator import create_app
from carecert.adapters.cvs.synthetic import synthetic_patients

CLIENT_ID = "carecert-test-client"
CLIENT_SECRET = "test-secret:with/odd&chars"
STORE = "3456"
UNKNOWN_RX = "7777777"
"""An Rx number of valid form that no synthetic patient has."""


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


def consent_for(*identifiers: Any) -> ConsentRegistry:
    """Return a registry with explicit direct-care consent for each identifier."""
    registry = ConsentRegistry()
    for identifier in identifiers:
        registry.grant(
            ConsentRecord(
                patient=identifier,
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    return registry


@pytest.fixture
def cvs_consent() -> ConsentRegistry:
    """Consent for every synthetic patient id and Rx number, and UNKNOWN_RX."""
    identifiers = [rx_identifier(UNKNOWN_RX)]
    for entry in synthetic_patients().values():
        identifiers.append(entry.patient.identifiers[0])
        identifiers += [rx_identifier(s.rx_number) for s in entry.prescriptions]
    return consent_for(*identifiers)


@pytest.fixture
def cvs_audit() -> Iterator[AuditStore]:
    retention = load_catalogue().region("US").audit_retention_years
    store = AuditStore(":memory:", retention_years={"US": retention})
    yield store
    store.close()


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


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""
