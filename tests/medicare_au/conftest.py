"""Fixtures for the Medicare adapter tests: certificates, consent and simulator.

Keys and certificates are generated per test session into temporary files,
so none is ever committed. Each test gets its own consent registry and
in-memory audit store, so that tests can inspect them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.medicare_au.codes import IHI_SYSTEM, MEDICARE_NUMBER_SYSTEM
from carecert.adapters.medicare_au.simulator import create_app
from carecert.adapters.medicare_au.synthetic import (
    SAMPLE_HPIO,
    SAMPLE_PROVIDER_NUMBER,
    UNKNOWN_IHI,
    synthetic_patients,
)
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent, memory_audit_store, no_sleep
from ..support.credentials import write_issued_cert
from ..support.recording import RecordingTransport

CLIENT_NAME = "organisation.carecert.example.test"
PKCS12_PASSWORD = "synthetic-p12-password"


@pytest.fixture(scope="session")
def medicare_ca() -> trustme.CA:
    """The test CA that signs the simulator's and the client's certificates."""
    return trustme.CA()


@pytest.fixture(scope="session")
def pem_credential(
    medicare_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A client certificate signed by the test CA, and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("medicare-client")
    return write_issued_cert(
        medicare_ca.issue_cert(CLIENT_NAME),
        directory / "certificate.pem",
        directory / "key.pem",
    )


@pytest.fixture(scope="session")
def p12_credential(
    pem_credential: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The same certificate and key as a password-protected PKCS#12 file."""
    certificate = x509.load_pem_x509_certificate(pem_credential[0].read_bytes())
    key = serialization.load_pem_private_key(pem_credential[1].read_bytes(), None)
    path = tmp_path_factory.mktemp("medicare-p12") / "nash.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"test",
            key,  # type: ignore[arg-type]
            certificate,
            None,
            serialization.BestAvailableEncryption(PKCS12_PASSWORD.encode()),
        )
    )
    return path


@pytest.fixture
def medicare_consent() -> ConsentRegistry:
    """Direct-care consent for every synthetic patient, by IHI and card number."""
    subjects = [
        Identifier(system=IHI_SYSTEM, value=ihi) for ihi in synthetic_patients()
    ]
    subjects.append(Identifier(system=IHI_SYSTEM, value=UNKNOWN_IHI))
    subjects += [
        Identifier(system=MEDICARE_NUMBER_SYSTEM, value=patient.medicare)
        for patient in synthetic_patients().values()
        if patient.medicare is not None
    ]
    return direct_care_consent(subjects)


@pytest.fixture
def medicare_audit() -> Iterator[AuditStore]:
    with memory_audit_store("AU") as store:
        yield store


@pytest.fixture
def medicare_simulator() -> Starlette:
    return create_app(hpio=SAMPLE_HPIO)


@pytest.fixture
def medicare_recorder(medicare_simulator: Starlette) -> RecordingTransport:
    return RecordingTransport(httpx.ASGITransport(app=medicare_simulator))


@pytest.fixture
def medicare_config(
    medicare_recorder: RecordingTransport,
    p12_credential: Path,
    medicare_consent: ConsentRegistry,
    medicare_audit: AuditStore,
) -> Callable[..., dict[str, Any]]:
    """Build an adapter config that reaches the in-process simulator."""

    def build(**overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "provider_number": SAMPLE_PROVIDER_NUMBER,
            "hpi_o": SAMPLE_HPIO,
            "pki_certificate": str(p12_credential),
            "pki_certificate_password": PKCS12_PASSWORD,
            "my_health_record": {"enabled": True, "ihi_search": True},
            "consent_registry": medicare_consent,
            "audit_store": medicare_audit,
            "transport": medicare_recorder,
            "retry_sleep": no_sleep,
        }
        config.update(overrides)
        return config

    return build
