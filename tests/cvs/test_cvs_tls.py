"""CVSInterface over a real TLS socket on 127.0.0.1, token endpoint included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.simulator import create_app, run_server
from carecert.adapters.cvs.synthetic import SAMPLE_DOB, SAMPLE_RX_NUMBER
from carecert.adapters.cvs.testing import CVSHarness
from carecert.adapters.errors import AuthenticationError, ProviderUnavailableError

from ..support.tls import ServerTLSFiles, write_server_tls_files, write_untrusted_ca
from .conftest import CLIENT_ID, CLIENT_SECRET
from .test_cvs_interface import SAMPLE_INFO


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> ServerTLSFiles:
    return write_server_tls_files(trustme.CA(), tmp_path_factory.mktemp("cvs-tls"))


@pytest.fixture(scope="module")
def server(tls_files: ServerTLSFiles) -> Iterator[tuple[str, Any]]:
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with run_server(
        app,
        certfile=str(tls_files.certificate),
        keyfile=str(tls_files.key),
    ) as url:
        yield url, app.state.simulator


def socket_config(
    base_url: str, ca: Path, consent: ConsentRegistry, audit: AuditStore
) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "store_number": "3456",
        "ca_bundle": str(ca),
        "consent_registry": consent,
        "audit_store": audit,
        "retry_attempts": 1,
        **CVSHarness().point_at(base_url),
    }


@pytest.mark.asyncio
async def test_operations_over_tls(
    server: tuple[str, Any],
    tls_files: ServerTLSFiles,
    cvs_consent: ConsentRegistry,
    cvs_audit: AuditStore,
) -> None:
    url, simulator = server
    tokens_before = simulator.token_requests
    config = socket_config(url, tls_files.ca, cvs_consent, cvs_audit)
    async with CVSInterface(config) as cvs:
        status = await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        booked = await cvs.schedule_vaccination(SAMPLE_INFO, "influenza")

    assert status.rx_number == SAMPLE_RX_NUMBER
    assert booked.appointment_type == "influenza"
    assert simulator.token_requests == tokens_before + 1


@pytest.mark.asyncio
async def test_real_token_endpoint_rejects_wrong_secret(
    server: tuple[str, Any],
    tls_files: ServerTLSFiles,
    cvs_consent: ConsentRegistry,
    cvs_audit: AuditStore,
) -> None:
    url, _ = server
    config = socket_config(url, tls_files.ca, cvs_consent, cvs_audit)
    config["client_secret"] = "not-the-secret"
    async with CVSInterface(config) as cvs:
        with pytest.raises(AuthenticationError, match="token request"):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)


@pytest.mark.asyncio
async def test_untrusted_server_is_refused(
    server: tuple[str, Any],
    cvs_consent: ConsentRegistry,
    cvs_audit: AuditStore,
    tmp_path: Path,
) -> None:
    url, _ = server
    other_ca = write_untrusted_ca(tmp_path / "other-ca.pem")
    config = socket_config(url, other_ca, cvs_consent, cvs_audit)
    async with CVSInterface(config) as cvs:
        with pytest.raises(ProviderUnavailableError, match="certificate"):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
