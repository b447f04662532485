"""Residency of live simulator traffic: request hosts, config URLs and stand-ins."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from carecert.adapters.compliance import ConsentRegistry, load_catalogue
from carecert.adapters.nhs.interface import NHSInterface
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.residency import (
    HostUse,
    check_residency,
    hosts_in_config,
    hosts_in_live_traffic,
    is_loopback,
    loopback_stand_ins,
)
from carecert.harness.controls.rules import rules_for
from carecert.harness.providers import HarnessKeys
from carecert.harness.transports import CapturingTransport

CATALOGUE = load_catalogue()
NHS = NHSInterface.carecert_harness()
CONTROL = CATALOGUE.control("UK-RES-01")
STAND_IN = "http://127.0.0.1:8081"


async def run_nhs(
    keys: HarnessKeys, tmp_path: Path, **overrides: object
) -> list[httpx.Request]:
    capture = CapturingTransport(httpx.ASGITransport(app=NHS.simulator(keys)))
    patient = NHS.sample_patient
    config = {
        **NHS.config(keys),
        "audit_store": str(tmp_path / "audit.sqlite3"),
        "consent_registry": ConsentRegistry([NHS.consent_for(patient)]),
        "transport": capture,
        **overrides,
    }
    async with NHSInterface(config) as provider:
        await NHS.exercise_all(provider, patient)
    return [request for request, _response in capture.exchanges]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("sandbox.api.service.nhs.uk", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.asyncio
async def test_configured_hosts_pass(harness_keys: HarnessKeys, tmp_path: Path) -> None:
    region, _rule = rules_for(CATALOGUE, CONTROL, NHS.info.regions).residency()

    requests = await run_nhs(harness_keys, tmp_path)
    uses = hosts_in_live_traffic(requests) + hosts_in_config(NHS.config(harness_keys))

    assert requests
    assert {use.host for use in uses} <= {h.host for h in NHS.info.hosts}
    assert check_residency(NHS.info, region, uses) == []


@pytest.mark.asyncio
async def test_unmapped_loopback_fails(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    region, _rule = rules_for(CATALOGUE, CONTROL, NHS.info.regions).residency()

    requests = await run_nhs(harness_keys, tmp_path, **NHS.point_at(STAND_IN))
    findings = check_residency(NHS.info, region, hosts_in_live_traffic(requests))
    message = control_failure(CONTROL, findings)

    assert findings
    assert all(f.host == "127.0.0.1" for f in findings)
    assert message.startswith(f"UK-RES-01 ({CONTROL.clause}) failed:")
    assert "(live run request 0 (" in message
    assert "found a host the provider does not declare" in message
    assert "required one of its declared hosts" in message


@pytest.mark.asyncio
async def test_mapped_loopback_checks_declared(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    region, _rule = rules_for(CATALOGUE, CONTROL, NHS.info.regions).residency()
    declared = [h.host for h in NHS.info.hosts]
    stand_ins = loopback_stand_ins(declared, STAND_IN)

    requests = await run_nhs(harness_keys, tmp_path, **NHS.point_at(STAND_IN))
    uses = hosts_in_live_traffic(requests, stand_ins)
    config_uses = hosts_in_config(NHS.point_at(STAND_IN), stand_ins)

    assert stand_ins == {"127.0.0.1:8081": tuple(declared)}
    assert {use.host for use in uses} == set(declared)
    assert len(uses) == len(requests) * len(declared)
    assert "a loopback stand-in for" in (uses[0].label or "")
    assert {use.host for use in config_uses} == set(declared)
    assert check_residency(NHS.info, region, uses + config_uses) == []


def test_stand_in_keeps_foreign_jurisdiction() -> None:
    # A loopback server standing in for a US host must still fail for the UK.
    us = CATALOGUE.region("US")
    declared = [h.host for h in NHS.info.hosts]
    stand_ins = loopback_stand_ins(declared, STAND_IN)
    request = httpx.Request("GET", f"{STAND_IN}/Patient/1")

    findings = check_residency(
        NHS.info, us, hosts_in_live_traffic([request], stand_ins)
    )

    assert findings
    expected = f"jurisdiction GB (declared by {NHS.info.id}'s ProviderInfo)"
    assert all(f.found == expected for f in findings)


def test_non_loopback_base_has_no_stand_in() -> None:
    assert loopback_stand_ins(["a.example"], "https://b.example:8443") == {}


def test_config_urls_found_nested() -> None:
    config = {
        "api": {"base": "https://one.example/v1", "list": ["http://two.example:80"]},
        "name": "not a url",
        "timeout": 5,
    }

    uses = hosts_in_config(config)

    assert [(u.host, u.label) for u in uses] == [
        ("one.example", "config key api.base"),
        ("two.example", "config key api.list[0]"),
    ]


def test_cassette_use_where_unchanged() -> None:
    use = HostUse("h.example", Path("cassettes/x/read.json"), 4)

    assert use.where() == "read.json exchange 4"
