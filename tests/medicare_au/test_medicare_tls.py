"""The adapter over real TLS sockets on 127.0.0.1 that require a client cert."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.codes import IHI_SYSTEM
from carecert.adapters.medicare_au.simulator import create_app, run_server
from carecert.adapters.medicare_au.synthetic import (
    SAMPLE_HPIO,
    SAMPLE_IHI,
    SAMPLE_MEDICARE,
    SAMPLE_PROVIDER_NUMBER,
)
from carecert.adapters.medicare_au.testing import MedicareHarness
from carecert.adapters.models import ClaimOutcome

from ..support.config import Config
from ..support.credentials import write_untrusted_client_cert
from ..support.tls import ServerTLSFiles, write_server_tls_files
from .conftest import CLIENT_NAME


@pytest.fixture(scope="module")
def tls_files(
    medicare_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> ServerTLSFiles:
    return write_server_tls_files(medicare_ca, tmp_path_factory.mktemp("medicare-tls"))


@pytest.fixture(scope="module")
def base_url(tls_files: ServerTLSFiles) -> Iterator[str]:
    with run_server(
        create_app(hpio=SAMPLE_HPIO),
        certfile=str(tls_files.certificate),
        keyfile=str(tls_files.key),
        client_ca=str(tls_files.ca),
    ) as url:
        yield url


def _api_bases(base_url: str) -> dict[str, Any]:
    # These tests configure no PRODA device, so its token URL is left out.
    overrides = MedicareHarness().point_at(base_url)
    del overrides["proda"]
    return overrides


def socket_config(
    medicare_config: Config, base_url: str, tls_files: ServerTLSFiles, **keys: Any
) -> dict[str, Any]:
    return medicare_config(
        transport=None,
        ca_bundle=str(tls_files.ca),
        retry_attempts=1,
        **_api_bases(base_url),
        **keys,
    )


@pytest.mark.asyncio
async def test_operations_over_mutual_tls_with_p12(
    medicare_config: Config, base_url: str, tls_files: ServerTLSFiles
) -> None:
    config = socket_config(medicare_config, base_url, tls_files)
    async with MedicareAustraliaProvider(config) as medicare:
        record = await medicare.get_my_health_record(SAMPLE_IHI)
        result = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23", "36"], "2025-01-20"
        )
    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI
    assert result.outcome is ClaimOutcome.COMPLETE


@pytest.mark.asyncio
async def test_pem_credential_over_mutual_tls(
    medicare_config: Config,
    base_url: str,
    tls_files: ServerTLSFiles,
    pem_credential: tuple[Path, Path],
) -> None:
    config = socket_config(
        medicare_config,
        base_url,
        tls_files,
        pki_certificate=str(pem_credential[0]),
        pki_key=str(pem_credential[1]),
    )
    async with MedicareAustraliaProvider(config) as medicare:
        record = await medicare.get_my_health_record(SAMPLE_IHI)
    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI


@pytest.mark.asyncio
async def test_untrusted_client_cert_rejected(
    medicare_config: Config, base_url: str, tls_files: ServerTLSFiles, tmp_path: Path
) -> None:
    certificate, key = write_untrusted_client_cert(CLIENT_NAME, tmp_path)
    config = socket_config(
        medicare_config,
        base_url,
        tls_files,
        pki_certificate=str(certificate),
        pki_key=str(key),
    )
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(ProviderUnavailableError):
            await medicare.get_my_health_record(SAMPLE_IHI)


@pytest.mark.asyncio
async def test_key_files_removed_after_loading(
    medicare_config: Config,
    base_url: str,
    tls_files: ServerTLSFiles,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created: list[Path] = []
    make_folder = tempfile.mkdtemp

    def recording_mkdtemp(*args: Any, **kwargs: Any) -> str:
        folder = make_folder(*args, **kwargs)
        created.append(Path(folder))
        return folder

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    config = socket_config(medicare_config, base_url, tls_files)
    async with MedicareAustraliaProvider(config) as medicare:
        await medicare.get_my_health_record(SAMPLE_IHI)

    assert created, "the adapter wrote no temporary key folder"
    assert [folder for folder in created if folder.exists()] == []
