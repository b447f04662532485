"""CVSHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carecert.adapters.compliance import AuditStore, UserSession
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.testing import CVSHarness
from carecert.harness.providers import HarnessKeys

from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    assert_sample_read_on_declared_hosts,
    exercise_and_read,
)


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
    assert_harness_found(CVSInterface, CVSHarness)


def test_harness_verifies_email_code() -> None:
    session = UserSession("pharmacist-1")
    note = CVSHarness().verify_second_factor(session)
    assert "EMAIL one-time code" in note


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, cvs_audit: AuditStore
) -> None:
    harness = CVSHarness()
    run = await exercise_and_read(CVSInterface, harness, keys, cvs_audit)

    assert run.operations == ["check_prescription", "schedule_vaccination"]
    assert_sample_read_on_declared_hosts(CVSInterface, harness, run)
    assert run.record.medications[0].medication.display == "Lisinopril 10 mg tablet"
    audited = {(r.operation, r.patient_value) for r in cvs_audit.records()}
    assert audited == {
        (operation, harness.sample_patient.value) for operation in run.operations
    }
    assert len(run.exchanges) == 4
    assert json.loads(run.exchanges[0][1].content)["token_type"] == "Bearer"
    assert_exchanges_conform(CVSInterface.info, run.exchanges)


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
