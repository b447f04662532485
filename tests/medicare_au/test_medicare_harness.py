"""MedicareHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from carecert.adapters.compliance import AuditStore, UserSession
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.testing import MedicareHarness
from carecert.adapters.provider import MfaKind
from carecert.harness.conformance import SpecValidator
from carecert.harness.providers import HarnessKeys

from ..support.credentials import new_rsa_key, rsa_harness_keys
from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    assert_sample_read_on_declared_hosts,
    exercise_and_read,
)


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    return rsa_harness_keys(new_rsa_key(), tmp_path, api_key="harness-password")


def test_harness_for_medicare() -> None:
    assert_harness_found(MedicareAustraliaProvider, MedicareHarness)


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
    run = await exercise_and_read(
        MedicareAustraliaProvider, harness, keys, medicare_audit
    )

    assert run.operations == ["get_my_health_record", "submit_bulk_bill_claim"]
    assert_sample_read_on_declared_hosts(MedicareAustraliaProvider, harness, run)
    # Record read, PRODA token, claim, and the second record read.
    assert len(run.exchanges) == 4
    audited = {
        (r.operation, r.outcome, r.patient_value) for r in medicare_audit.records()
    }
    for operation in run.operations:
        assert (operation, "success", harness.sample_patient.value) in audited
    assert_exchanges_conform(MedicareAustraliaProvider.info, run.exchanges)


def test_cassettes_use_declared_hosts() -> None:
    folder = Path(__file__).resolve().parents[2] / "cassettes" / "medicare-au"
    cassettes = sorted(folder.glob("*.json"))
    assert cassettes, f"no cassettes in {folder}"
    validator = SpecValidator(MedicareAustraliaProvider.info.openapi_path() or Path())
    for cassette in cassettes:
        assert validator.validate_cassette(cassette) > 0
