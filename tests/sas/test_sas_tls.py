"""SASInterface over a real TLS socket on 127.0.0.1 that requires a client cert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.codes import NUHSA_SYSTEM
from carecert.adapters.sas.simulator import create_app, run_server
from carecert.adapters.sas.synthetic import SAMPLE_NUHSA
from carecert.adapters.sas.testing import SASHarness

from ..support.credentials import write_untrusted_client_cert
from ..support.tls import ServerTLSFiles, write_server_tls_files
from .conftest import CLIENT_ID, CLIENT_NAME, CLIENT_SECRET


@pytest.fixture(scope="module")
def tls_files(
    sas_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> ServerTLSFiles:
    return write_server_tls_files(sas_ca, tmp_path_factory.mktemp("sas-tls"))


@pytest.fixture(scope="module")
def base_url(tls_files: ServerTLSFiles) -> Iterator[str]:
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with run_server(
        app,
        certfile=str(tls_files.certificate),
        keyfile=str(tls_files.key),
        client_ca=str(tls_files.ca),
    ) as url:
        yield url


def socket_config(
    base_url: str,
    tls_files: ServerTLSFiles,
    certificate: tuple[Path, Path],
    consent: ConsentRegistry,
    audit: AuditStore,
) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "certificado_digital": str(certificate[0]),
        "clave_certificado": str(certificate[1]),
        "ca_bundle": str(tls_files.ca),
        "consent_registry": consent,
        "audit_store": audit,
        "retry_attempts": 1,
        **SASHarness().point_at(base_url),
    }


@pytest.mark.asyncio
async def test_operations_over_mutual_tls(
    base_url: str,
    tls_files: ServerTLSFiles,
    sas_client_cert: tuple[Path, Path],
    sas_consent: ConsentRegistry,
    sas_audit: AuditStore,
) -> None:
    config = socket_config(base_url, tls_files, sas_client_cert, sas_consent, sas_audit)
    async with SASInterface(config) as sas:
        patient = await sas.get_patient(SAMPLE_NUHSA)
        booked = await sas.book_appointment(
            SAMPLE_NUHSA, "dermatologia", "Hospital Regional de Málaga"
        )
        prescriptions = await sas.get_prescriptions(SAMPLE_NUHSA)

    assert patient.identifier_value(NUHSA_SYSTEM) == SAMPLE_NUHSA
    assert booked.location.value == "Hospital Regional de Málaga"
    assert len(prescriptions) == 2


@pytest.mark.asyncio
async def test_untrusted_client_cert_is_rejected(
    base_url: str,
    tls_files: ServerTLSFiles,
    sas_consent: ConsentRegistry,
    sas_audit: AuditStore,
    tmp_path: Path,
) -> None:
    stranger = write_untrusted_client_cert(CLIENT_NAME, tmp_path)
    config = socket_config(base_url, tls_files, stranger, sas_consent, sas_audit)
    async with SASInterface(config) as sas:
        with pytest.raises(ProviderUnavailableError):
            await sas.get_patient(SAMPLE_NUHSA)
