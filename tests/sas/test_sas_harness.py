"""SASHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.testing import SASHarness
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.providers import HarnessKeys, harness_for

from .conftest import RecordingTransport


@pytest.fixture
def keys(
    sas_rsa_key: rsa.RSAPrivateKey, sas_public_key_pem: bytes, tmp_path: Path
) -> HarnessKeys:
    path = tmp_path / "private.pem"
    path.write_bytes(
        sas_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return HarnessKeys(
        private_key_path=path,
        public_key_pem=sas_public_key_pem,
        key_id="harness-key",
        api_key="harness-client",
    )


def test_harness_for_sas() -> None:
    harness = harness_for(SASInterface)
    assert isinstance(harness, SASHarness)
    assert harness.info is SASInterface.info


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, sas_audit: AuditStore
) -> None:
    harness = SASHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    consent = ConsentRegistry()
    consent.grant(harness.consent_for(harness.sample_patient))
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": sas_audit,
        "consent_registry": consent,
    }
    async with SASInterface(config) as sas:
        operations = await harness.exercise_all(sas, harness.sample_patient)
        record = await harness.read_patient(sas, harness.sample_patient)

    assert operations == ["get_patient", "book_appointment", "get_prescriptions"]
    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
    hosts = {request.url.host for request, _ in recorder.exchanges}
    assert hosts == {host.host for host in SASInterface.info.hosts}
    assert len(recorder.exchanges) == 5
    assert json.loads(recorder.exchanges[0][1].content)["token_type"] == "Bearer"

    path = SASInterface.info.openapi_path()
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
