"""AXAProvider over real TLS sockets to the simulator, served by uvicorn on 127.0.0.1.

The server certificate comes from a trustme CA made for the session, so the
adapter verifies it through ``ca_bundle`` as it would AXA's. The API key and
the partner JWT travel over the socket and the simulator verifies both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from starlette.applications import Starlette

from carecert.adapters.axa import AXAProvider
from carecert.adapters.axa.synthetic import SAMPLE_POLICY
from carecert.adapters.axa.testing import AXAHarness
from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import AuthenticationError, ProviderUnavailableError
from carecert.adapters.models import ClaimOutcome
from carecert.adapters.nhs.simulator import run_server

from ..support.tls import ServerTLSFiles, write_server_tls_files, write_untrusted_ca
from .conftest import API_KEY, KEY_ID, PARTNER

CLAIM = {
    "amount": "80.00",
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["J06.9"],
    "treatment_code": "GP_CONSULT",
}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> ServerTLSFiles:
    return write_server_tls_files(trustme.CA(), tmp_path_factory.mktemp("axa-tls"))


@pytest.fixture
def base_url(axa_simulator: Starlette, tls_files: ServerTLSFiles) -> Iterator[str]:
    with run_server(
        axa_simulator,
        ssl_certfile=str(tls_files.certificate),
        ssl_keyfile=str(tls_files.key),
    ) as url:
        yield url


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
    tls_files: ServerTLSFiles,
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
) -> None:
    config = socket_config(
        base_url, tls_files.ca, axa_private_key_path, axa_consent, axa_audit
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
    tls_files: ServerTLSFiles,
    axa_private_key_path: Path,
    axa_consent: ConsentRegistry,
    axa_audit: AuditStore,
) -> None:
    config = socket_config(
        base_url,
        tls_files.ca,
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
    other_ca = write_untrusted_ca(tmp_path / "other-ca.pem")
    config = socket_config(
        base_url, other_ca, axa_private_key_path, axa_consent, axa_audit
    )
    async with AXAProvider(config) as axa:
        with pytest.raises(ProviderUnavailableError, match="certificate"):
            await axa.verify_coverage(SAMPLE_POLICY, "GP_CONSULT", "PROV_001", "FR")
