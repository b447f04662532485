"""AXAProvider over real TLS sockets to the simulator, served by uvicorn on 127.0.0.1.

The server certificate comes from a trustme CA made for the session, so the
adapter verifies it through ``ca_bundle`` as it would AXA's. The API key and
the partner JWT travel over the socket and the simulator verifies both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import uvicorn
from starlette.applications import Starlette

from carecert.adapters.axa import AXAProvider
from carecert.adapters.axa.synthetic import SAMPLE_POLICY
from carecert.adapters.axa.testing import AXAHarness
from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import AuthenticationError, ProviderUnavailableError
from carecert.adapters.models import ClaimOutcome

from .conftest import API_KEY, KEY_ID, PARTNER

CLAIM = {
    "amount": "80.00",
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["J06.9"],
    "treatment_code": "GP_CONSULT",
}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    directory = tmp_path_factory.mktemp("axa-tls")
    files = {
        "ca": directory / "ca.pem",
        "cert": directory / "server.pem",
        "key": directory / "server-key.pem",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    issued.cert_chain_pems[0].write_to_path(str(files["cert"]))
    issued.private_key_pem.write_to_path(str(files["key"]))
    return files


@pytest.fixture
def base_url(axa_simulator: Starlette, tls_files: dict[str, Path]) -> Iterator[str]:
    config = uvicorn.Config(
        axa_simulator,
        host="127.0.0.1",
        port=0,
        ssl_certfile=str(tls_files["cert"]),
        ssl_keyfile=str(tls_files["key"]),
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="axa-simulator", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "the AXA simulator thread exited on start"
            assert time.monotonic() < deadline, "the AXA simulator did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def socket_config(
    base_url: str,
    ca_bundle: Path,
    private_key_path: Path,
    consent: ConsentRegistry,
    audit: AuditStore,
    **overrides: Any,
) -> dict[str, Any]:
    return {
        "api_key": API_KEY,
        "partner_code": PARTNER,
        "private_key_path": str(private_key_path),
        "key_id": KEY_ID,
        "ca_bundle": str(ca_bundle),
        "consent_registry": consent,
        "audit_store": audit,
        "retry_attempts": 1,
        **AXAHarness().point_at(base_url),
        **overrides,
    }


@pytest.mark.asyncio
async def test_operations_over_tls(
    base_url: str,
    tls_files: dict[str, Path],
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
) -> None:
    config = socket_config(
        base_url, tls_files["ca"], axa_private_key_path, axa_consent, axa_audit
    )
    async with AXAProvider(config) as axa:
        coverage = await axa.verify_coverage(
            SAMPLE_POLICY, "GP_CONSULT", "PROV_001", "FR"
        )
        result = await axa.submit_claim(SAMPLE_POLICY, CLAIM)

    assert coverage.beneficiary.value == SAMPLE_POLICY
    assert result.outcome is ClaimOutcome.COMPLETE
    assert result.benefit is not None
    assert result.benefit.minor_units() == 8000


@pytest.mark.asyncio
async def test_wrong_api_key_rejected_over_tls(
    base_url: str,
    tls_files: dict[str, Path],
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
) -> None:
    config = socket_config(
        base_url,
        tls_files["ca"],
        axa_private_key_path,
        axa_consent,
        axa_audit,
        api_key="not-the-partner-key",
    )
    async with AXAProvider(config) as axa:
        with pytest.raises(AuthenticationError, match="HTTP 401"):
            await axa.verify_coverage(SAMPLE_POLICY, "GP_CONSULT", "PROV_001", "FR")


@pytest.mark.asyncio
async def test_untrusted_server_certificate_rejected(
    base_url: str,
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
    tmp_path: Path,
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    config = socket_config(
        base_url, other_ca, axa_private_key_path, axa_consent, axa_audit
    )
    async with AXAProvider(config) as axa:
        with pytest.raises(ProviderUnavailableError, match="certificate"):
            await axa.verify_coverage(SAMPLE_POLICY, "GP_CONSULT", "PROV_001", "FR")
