"""Fixtures for the GKV adapter tests: certificate, consent, audit and simulator.

The practice certificate is generated per test session into temporary files,
so none is ever committed. Each test gets its own simulator, consent registry
and in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from starlette.applications import Starlette

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    load_catalogue,
)
from carecert.adapters.gkv.simulator import create_app
from carecert.adapters.gkv.synthetic import UNKNOWN_KVNR, synthetic_insured
from carecert.adapters.gkv.testing import sample_config
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import Identifier

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
        """Return the path of each request, in order."""
        return [request.url.path for request, _ in self.exchanges]


@pytest.fixture(scope="session")
def gkv_client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The practice certificate and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("gkv-client")
    issued = trustme.CA().issue_cert("praxis.carecert.example.test")
    certificate = directory / "praxis.pem"
    key = directory / "praxis-key.pem"
    issued.cert_chain_pems[0].write_to_path(str(certificate))
    issued.private_key_pem.write_to_path(str(key))
    return certificate, key


@pytest.fixture
def gkv_consent() -> ConsentRegistry:
    """Written direct-care consent for every synthetic person and the unknown one."""
    registry = ConsentRegistry()
    for kvnr in [*synthetic_insured(), UNKNOWN_KVNR]:
        registry.grant(
            ConsentRecord(
                patient=Identifier(system=KVNR_SYSTEM, value=kvnr),
                purpose="direct-care",
                basis=ConsentBasis.WRITTEN,
                granted_at=datetime(2020, 1, 1, tzinfo=UTC),
                evidence_reference="carecert synthetic written consent",
            )
        )
    return registry


@pytest.fixture
def gkv_audit() -> Iterator[AuditStore]:
    retention = load_catalogue().region("DE").audit_retention_years
    store = AuditStore(":memory:", retention_years={"DE": retention})
    yield store
    store.close()


@pytest.fixture
def gkv_simulator() -> Starlette:
    return create_app()


@pytest.fixture
def gkv_recorder(gkv_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=gkv_simulator))


@pytest.fixture
def gkv_config(
    gkv_recorder: RecordingTransport,
    gkv_client_cert: tuple[Path, Path],
    gkv_consent: ConsentRegistry,
    gkv_audit: AuditStore,
) -> Config:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        certificate, key = gkv_client_cert
        config = sample_config(str(certificate), str(key))
        config.update(
            {
                "consent_registry": gkv_consent,
                "audit_store": gkv_audit,
                "transport": gkv_recorder,
                "retry_sleep": no_sleep,
            }
        )
        config.update(overrides)
        return config

    return build


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""
