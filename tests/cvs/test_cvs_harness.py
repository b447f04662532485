"""CVSHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from carecert.adapters.compliance import AuditStore, ConsentRegistry, UserSession
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.testing import CVSHarness
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.providers import HarnessKeys, harness_for

from .conftest import RecordingTransport


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    # CVS authenticates with a client secret, so the key pair goes unused.
    return HarnessKeys(
        private_key_path=tmp_path / "unused.pem",
        public_key_pem=b"",
        key_id="unused",
        api_key="harness-client",
    )


def test_harness_for_cvs() -> None:
    harness = harness_for(CVSInterface)
    assert isinstance(harness, CVSHarness)
    assert harness.info is CVSInterface.info


def test_harness_verifies_email_code() -> None:
    session = UserSession("pharmacist-1")
    note = CVSHarness().verify_second_factor(session)
    assert "EMAIL one-time code" in note


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, cvs_audit: AuditStore
) -> None:
    harness = CVSHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    consent = ConsentRegistry([harness.consent_for(harness.sample_patient)])
    config = {
        **harness.config(keys),
        "transport": recorder,
        "audit_store": cvs_audit,
        "consent_registry": consent,
    }
    async with CVSInterface(config) as cvs:
        operations = await harness.exercise_all(cvs, harness.sample_patient)
        record = await harness.read_patient(cvs, harness.sample_patient)

    assert operations == ["check_prescription", "schedule_vaccination"]
    assert record.patient.identifier_value(harness.sample_patient.system) == (
        harness.sample_patient.value
    )
    assert record.medications[0].medication.display == "Lisinopril 10 mg tablet"
    audited = {(r.operation, r.patient_value) for r in cvs_audit.records()}
    assert audited == {
        (operation, harness.sample_patient.value) for operation in operations
    }
    hosts = {request.url.host for request, _ in recorder.exchanges}
    assert hosts == {host.host for host in CVSInterface.info.hosts}
    assert len(recorder.exchanges) == 4
    assert json.loads(recorder.exchanges[0][1].content)["token_type"] == "Bearer"

    path = CVSInterface.info.openapi_path()
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


def test_recorded_cassettes_hold_no_secret() -> None:
    folder = Path(__file__).resolve().parents[2] / "cassettes" / "cvs"
    cassettes = sorted(folder.glob("*.json"))
    assert [p.name for p in cassettes] == [
        "audited_access.json",
        "user_restricted_read.json",
    ]
    for path in cassettes:
        text = path.read_text()
        assert "Basic <scrubbed>" in text
        assert "client_secret" not in text
        for interaction in json.loads(text)["interactions"]:
            headers = interaction["request"]["headers"]
            if "x-api-key" in headers:
                assert headers["x-api-key"] == ["<scrubbed>"]
