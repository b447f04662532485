"""SASHarness drives the adapter against its simulator, as the suites do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.compliance import AuditStore
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.testing import SASHarness
from carecert.harness.providers import HarnessKeys

from ..support.credentials import rsa_harness_keys
from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    assert_sample_read_on_declared_hosts,
    exercise_and_read,
)


@pytest.fixture
def keys(sas_rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> HarnessKeys:
    return rsa_harness_keys(sas_rsa_key, tmp_path, api_key="harness-client")


def test_harness_for_sas() -> None:
    assert_harness_found(SASInterface, SASHarness)


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, sas_audit: AuditStore
) -> None:
    harness = SASHarness()
    run = await exercise_and_read(SASInterface, harness, keys, sas_audit)

    assert run.operations == ["get_patient", "book_appointment", "get_prescriptions"]
    assert_sample_read_on_declared_hosts(SASInterface, harness, run)
    assert len(run.exchanges) == 5
    assert json.loads(run.exchanges[0][1].content)["token_type"] == "Bearer"
    assert_exchanges_conform(SASInterface.info, run.exchanges)
