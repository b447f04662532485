"""GKVHarness: the suites' hooks, and payloads that conform to openapi.yaml."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRegistry,
    UserSession,
)
from carecert.adapters.errors import SecondFactorRequiredError
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.gkv.testing import GKVHarness
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
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return HarnessKeys(
        private_key_path=path,
        public_key_pem=public,
        key_id="harness-key",
        api_key="harness-client",
    )


def test_harness_for_gkv() -> None:
    harness = harness_for(GKVInterface)
    assert isinstance(harness, GKVHarness)
    assert harness.info is GKVInterface.info


def test_consent_for_is_written() -> None:
    harness = GKVHarness()
    record = harness.consent_for(harness.sample_patient)
    assert record.basis is ConsentBasis.WRITTEN
    assert record.patient == harness.sample_patient
    assert record.purpose == "direct-care"


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, gkv_audit: AuditStore
) -> None:
    harness = GKVHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    consent = ConsentRegistry([harness.consent_for(harness.sample_patient)])
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": gkv_audit,
        "consent_registry": consent,
    }
    async with GKVInterface(config) as gkv:
        operations = await harness.exercise_all(gkv, harness.sample_patient)
        record = await harness.read_patient(gkv, harness.sample_patient)

    assert operations == [
        "verify_insurance_status",
        "submit_kvdt_data",
        "create_prescription",
    ]
    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
    hosts = {request.url.host for request, _ in recorder.exchanges}
    assert hosts == {host.host for host in GKVInterface.info.hosts}
    assert len(recorder.exchanges) == 6

    path = GKVInterface.info.openapi_path()
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


@pytest.mark.asyncio
async def test_user_restricted_read_needs_smart_card(
    keys: HarnessKeys, gkv_audit: AuditStore
) -> None:
    harness = GKVHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": gkv_audit,
        "consent_registry": ConsentRegistry(
            [harness.consent_for(harness.sample_patient)]
        ),
        "access_mode": "user-restricted",
    }
    with_code = UserSession("clinician-1")
    with_code.mark_verified(MfaKind.SMS)
    with_card = UserSession("clinician-2")
    with_card.mark_verified(MfaKind.SMART_CARD)
    async with GKVInterface(config) as gkv:
        with pytest.raises(SecondFactorRequiredError):
            await harness.read_patient(gkv, harness.sample_patient, session=with_code)
        assert recorder.exchanges == []
        record = await harness.read_patient(
            gkv, harness.sample_patient, session=with_card
        )

    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
