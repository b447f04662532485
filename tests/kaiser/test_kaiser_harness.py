"""KaiserHarness drives the adapter as the suites do, in process and over TLS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trustme

from carecert.adapters.compliance import AuditStore
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.testing import KaiserHarness
from carecert.adapters.nhs.simulator import run_server
from carecert.harness.providers import HarnessKeys

from ..support.credentials import write_new_rsa_key
from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    assert_sample_read_on_declared_hosts,
    exercise_and_read,
    harness_config,
)
from ..support.tls import write_server_tls_files


@pytest.fixture
def keys(tmp_path: Path) -> HarnessKeys:
    return HarnessKeys(
        private_key_path=write_new_rsa_key(tmp_path),
        public_key_pem=b"",
        key_id="harness-key",
        api_key="harness-client",
    )


def test_harness_for_kaiser() -> None:
    assert_harness_found(KaiserInterface, KaiserHarness)


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, kaiser_audit: AuditStore
) -> None:
    harness = KaiserHarness()
    run = await exercise_and_read(KaiserInterface, harness, keys, kaiser_audit)

    assert run.operations == ["get_health_record", "schedule_appointment"]
    assert_sample_read_on_declared_hosts(KaiserInterface, harness, run)
    statuses = {response.status_code for _, response in run.exchanges}
    assert statuses == {200, 201}
    token = json.loads(run.exchanges[0][1].content)
    assert token["token_type"] == "Bearer"
    assert_exchanges_conform(KaiserInterface.info, run.exchanges)


@pytest.mark.asyncio
async def test_over_tls_socket(
    keys: HarnessKeys, kaiser_audit: AuditStore, tmp_path: Path
) -> None:
    tls_files = write_server_tls_files(trustme.CA(), tmp_path)
    harness = KaiserHarness()
    app = harness.simulator(keys)

    with run_server(
        app, ssl_certfile=str(tls_files.certificate), ssl_keyfile=str(tls_files.key)
    ) as url:
        assert url.startswith("https://127.0.0.1:")
        config = harness_config(
            harness,
            keys,
            None,
            kaiser_audit,
            **harness.point_at(url),
            ca_bundle=str(tls_files.ca),
        )
        async with KaiserInterface(config) as kaiser:
            operations = await harness.exercise_all(kaiser, harness.sample_patient)

    simulator = app.state.simulator
    assert operations == ["get_health_record", "schedule_appointment"]
    assert simulator.token_requests == 1
    assert simulator.verifier.used_ids, "the token endpoint accepted no assertion"
    assert len(simulator.appointments) == 1
