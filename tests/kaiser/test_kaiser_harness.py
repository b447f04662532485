"""KaiserHarness drives the adapter as the suites do, in process and over TLS."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import trustme

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.testing import KaiserHarness
from carecert.adapters.nhs.simulator import run_server
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.providers import HarnessKeys, harness_for

from .conftest import RecordingTransport, write_rsa_key


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    return HarnessKeys(
        private_key_path=write_rsa_key(tmp_path),
        public_key_pem=b"",
        key_id="harness-key",
        api_key="harness-client",
    )


def test_harness_for_kaiser() -> None:
    harness = harness_for(KaiserInterface)
    assert isinstance(harness, KaiserHarness)
    assert harness.info is KaiserInterface.info


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, kaiser_audit: AuditStore
) -> None:
    harness = KaiserHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": kaiser_audit,
        "consent_registry": ConsentRegistry(
            [harness.consent_for(harness.sample_patient)]
        ),
    }
    async with KaiserInterface(config) as kaiser:
        operations = await harness.exercise_all(kaiser, harness.sample_patient)
        record = await harness.read_patient(kaiser, harness.sample_patient)

    assert operations == ["get_health_record", "schedule_appointment"]
    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
    hosts = {request.url.host for request, _ in recorder.exchanges}
    assert hosts == {host.host for host in KaiserInterface.info.hosts}
    statuses = {response.status_code for _, response in recorder.exchanges}
    assert statuses == {200, 201}
    token = json.loads(recorder.exchanges[0][1].content)
    assert token["token_type"] == "Bearer"

    path = KaiserInterface.info.openapi_path()
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
async def test_over_tls_socket(
    keys: HarnessKeys, kaiser_audit: AuditStore, tmp_path: Path
) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    certificate = tmp_path / "server.pem"
    key = tmp_path / "server-key.pem"
    bundle = tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(certificate))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(bundle))
    harness = KaiserHarness()
    app = harness.simulator(keys)
    consent = ConsentRegistry([harness.consent_for(harness.sample_patient)])

    with run_server(app, ssl_certfile=str(certificate), ssl_keyfile=str(key)) as url:
        assert url.startswith("https://127.0.0.1:")
        config = {
            **harness.config(keys),
            **harness.point_at(url),
            "ca_bundle": str(bundle),
            "audit_store": kaiser_audit,
            "consent_registry": consent,
        }
        async with KaiserInterface(config) as kaiser:
            operations = await harness.exercise_all(kaiser, harness.sample_patient)

    simulator = app.state.simulator
    assert operations == ["get_health_record", "schedule_appointment"]
    assert simulator.token_requests == 1
    assert simulator.verifier.used_ids, "the token endpoint accepted no assertion"
    assert len(simulator.appointments) == 1
