"""Residency controls: provider traffic stays where the region's law allows.

In replay the hosts in the recorded cassettes are checked. With ``--mock-api``
the hosts this run's requests were addressed to are checked, together with
every URL in the adapter config.
"""

from __future__ import annotations

import httpx
import pytest

from carecert.adapters.compliance import ConsentRegistry
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.residency import (
    check_residency,
    describe_host_jurisdictions,
    hosts_in_cassettes,
    hosts_in_config,
    hosts_in_live_traffic,
    is_loopback,
    residency_basis,
)
from carecert.harness.controls.rules import DecidingRule
from carecert.harness.transports import CapturingTransport

pytestmark = pytest.mark.asyncio


@pytest.mark.control(check="residency-hosts")
async def test_provider_hosts_in_allowed_jurisdictions(
    provider_id,
    carecert_state,
    carecert_rules,
    provider_harness,
    provider_factory,
    harness_keys,
    evidence,
):
    harness = provider_harness(provider_id)
    # The registered info, not harness.info: a subclass registered under its
    # own id inherits the built-in harness, whose info names the built-in adapter.
    info = carecert_state.registry.get_registration(provider_id).info
    control = carecert_rules.control
    region, rule = carecert_rules.residency()

    if carecert_state.mock_api:
        uses = await _live_run_hosts(
            provider_id, harness, harness_keys, provider_factory, evidence
        )
    else:
        cassettes = sorted((carecert_state.cassette_dir / provider_id).glob("*.json"))
        assert cassettes, (
            f"no cassettes for {provider_id} in "
            f"{carecert_state.cassette_dir / provider_id}; "
            "record them with --record-mode=once"
        )
        uses = hosts_in_cassettes(cassettes)
        for path in cassettes:
            evidence.add_file(
                path, "cassette", f"traffic of {provider_id} checked for hosts"
            )
    findings = check_residency(info, region, uses)

    # Neither mode opens a socket to the provider, so no host was "contacted".
    if carecert_state.mock_api:
        usage = "addressed in this run (in-process simulator, no network connection)"
    else:
        usage = "recorded in the cassettes"
    seen = sorted({use.host for use in uses})
    evidence.note(f"hosts {usage}: {', '.join(seen)}")
    evidence.note(describe_host_jurisdictions(info, region, uses, usage=usage))
    basis = residency_basis(info, region, uses)
    if len(carecert_rules.regions) == 1:
        evidence.decide(basis)
    else:
        # Formatting drops the rule's review texts, so they are passed on.
        evidence.decide(DecidingRule(f"{rule}; {basis}", getattr(rule, "review", ())))
    assert not findings, control_failure(control, findings)


async def _live_run_hosts(
    provider_id, harness, harness_keys, provider_factory, evidence
):
    """Run every operation against the simulator and return the hosts used.

    --mock-api keeps the adapter's configured base URLs and hands each request
    to the in-process simulator through httpx.ASGITransport, so the request
    host is the configured host and no socket is opened. No loopback server
    replaces a declared host here. If one ever does, the check reports it as
    undeclared instead of guessing which host it replaced.
    """
    capture = CapturingTransport(
        httpx.ASGITransport(app=harness.simulator(harness_keys))
    )
    patient = harness.sample_patient
    provider = provider_factory(
        provider_id,
        transport=capture,
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )
    await harness.exercise_all(provider, patient)
    requests = [request for request, _response in capture.exchanges]
    assert requests, f"{provider_id} sent no request to its simulator"

    uses = hosts_in_live_traffic(requests)
    uses += hosts_in_config(harness.config(harness_keys))
    loopback = sorted({use.host for use in uses if is_loopback(use.host)})
    evidence.note(
        f"{len(requests)} request(s) of this run and the URLs of the adapter config "
        "were checked; the requests were addressed to the configured hosts and "
        "served by the in-process simulator, so no network connection was made"
        + (f"; loopback hosts seen: {', '.join(loopback)}" if loopback else "")
    )
    return uses
