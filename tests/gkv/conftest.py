"""Fixtures for the GKV adapter tests: certificate, consent, audit and simulator.

The practice certificate is generated per test session into temporary files,
so none is ever committed. Each test gets its own simulator, consent registry
and in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentBasis, ConsentRegistry
from carecert.adapters.gkv.simulator import create_app
from carecert.adapters.gkv.synthetic import UNKNOWN_KVNR, synthetic_insured
from carecert.adapters.gkv.testing import sample_config
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.config import Config
from ..support.credentials import write_issued_cert
from ..support.recording import RecordingTransport


@pytest.fixture(scope="session")
def gkv_client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The practice certificate and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("gkv-client")
    return write_issued_cert(
        trustme.CA().issue_cert("praxis.carecert.example.test"),
        directory / "praxis.pem",
        directory / "praxis-key.pem",
    )


@pytest.fixture
def gkv_consent() -> ConsentRegistry:
    """Written direct-care consent for every synthetic person and the unknown one."""
    return direct_care_consent(
        (
            Identifier(system=KVNR_SYSTEM, value=kvnr)
            for kvnr in [*synthetic_insured(), UNKNOWN_KVNR]
        ),
        basis=ConsentBasis.WRITTEN,
        evidence_reference="carecert synthetic written consent",
    )


@pytest.fixture
def gkv_audit() -> Iterator[AuditStore]:
    with memory_audit_store("DE") as store:
        yield store


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
