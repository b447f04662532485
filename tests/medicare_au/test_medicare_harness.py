"""MedicareHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.compliance import AuditStore, ConsentRegistry, UserSession
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.testing import MedicareHarness
from carecert.adapters.provider import MfaKind
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.providers import HarnessKeys, harness_for

from .conftest import RecordingTransport


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "private.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return HarnessKeys(
        private_key_path=path,
        public_key_pem=key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
        key_id="harness-key",
        api_key="harness-password",
    )


def test_harness_for_medicare() -> None:
    harness = harness_for(MedicareAustraliaProvider)
    assert isinstance(harness, MedicareHarness)
    assert harness.info is MedicareAustraliaProvider.info


def test_harness_verifies_device_factor() -> None:
    session = UserSession("clinician-1")
    note = MedicareHarness().verify_second_factor(session)
    assert "registered-device" in note
    assert session.has_verified(MfaKind.DEVICE, max_age=timedelta(minutes=5))


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, medicare_audit: AuditStore
) -> None:
    harness = MedicareHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": medicare_audit,
        "consent_registry": ConsentRegistry(
            [harness.consent_for(harness.sample_patient)]
        ),
    }
    async with MedicareAustraliaProvider(config) as medicare:
        operations = await harness.exercise_all(medicare, harness.sample_patient)
        record = await harness.read_patient(medicare, harness.sample_patient)

    assert operations == ["get_my_health_record", "submit_bulk_bill_claim"]
    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
    hosts = {request.url.host for request, _ in recorder.exchanges}
    assert hosts == {host.host for host in MedicareAustraliaProvider.info.hosts}
    # Record read, PRODA token, claim, and the second record read.
    assert len(recorder.exchanges) == 4
    audited = {
        (r.operation, r.outcome, r.patient_value) for r in medicare_audit.records()
    }
    for operation in operations:
        assert (operation, "success", harness.sample_patient.value) in audited

    path = MedicareAustraliaProvider.info.openapi_path()
    assert path is not None
    validator = SpecValidator(path, fast=False)
    for request, response in recorder.exchanges:
        validator.validate_exchange(
            None,
            None,
            ExchangeRequest(
                request.method,
                str(request.url),
                request.headers.multi_items(),
                request.content,
            ),
            ExchangeResponse(
                response.status_code, response.headers.multi_items(), response.content
            ),
        )


def test_cassettes_use_declared_hosts() -> None:
    folder = Path(__file__).resolve().parents[2] / "cassettes" / "medicare-au"
    cassettes = sorted(folder.glob("*.json"))
    assert cassettes, f"no cassettes in {folder}"
    validator = SpecValidator(MedicareAustraliaProvider.info.openapi_path() or Path())
    for cassette in cassettes:
        assert validator.validate_cassette(cassette) > 0
