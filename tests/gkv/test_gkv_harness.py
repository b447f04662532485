"""GKVHarness: the suites' hooks, and payloads that conform to openapi.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    UserSession,
)
from carecert.adapters.errors import SecondFactorRequiredError
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.gkv.testing import GKVHarness
from carecert.adapters.provider import MfaKind
from carecert.harness.providers import HarnessKeys

from ..support.credentials import new_rsa_key, rsa_harness_keys
from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    assert_sample_read_on_declared_hosts,
    exercise_and_read,
    harness_config,
    harness_recorder,
)


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    return rsa_harness_keys(new_rsa_key(), tmp_path, api_key="harness-client")


def test_harness_for_gkv() -> None:
    assert_harness_found(GKVInterface, GKVHarness)


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
    run = await exercise_and_read(GKVInterface, harness, keys, gkv_audit)

    assert run.operations == [
        "verify_insurance_status",
        "submit_kvdt_data",
        "create_prescription",
    ]
    assert_sample_read_on_declared_hosts(GKVInterface, harness, run)
    assert len(run.exchanges) == 6
    assert_exchanges_conform(GKVInterface.info, run.exchanges)


@pytest.mark.asyncio
async def test_user_restricted_read_needs_smart_card(
    keys: HarnessKeys, gkv_audit: AuditStore
) -> None:
    harness = GKVHarness()
    recorder = harness_recorder(harness, keys)
    config = harness_config(
        harness, keys, recorder, gkv_audit, access_mode="user-restricted"
    )
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
