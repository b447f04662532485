"""Residency controls: provider traffic stays where the region's law allows."""

from __future__ import annotations

import pytest

from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.residency import (
    check_residency,
    hosts_in_cassettes,
    residency_basis,
)


@pytest.mark.control(check="residency-hosts")
def test_provider_hosts_in_allowed_jurisdictions(
    provider_id, carecert_state, carecert_rules, provider_harness, evidence
):
    info = provider_harness(provider_id).info
    control = carecert_rules.control
    region, rule = carecert_rules.residency()
    cassettes = sorted((carecert_state.cassette_dir / provider_id).glob("*.json"))
    assert cassettes, (
        f"no cassettes for {provider_id} in "
        f"{carecert_state.cassette_dir / provider_id}; "
        "record them with --record-mode=once"
    )

    uses = hosts_in_cassettes(cassettes)
    findings = check_residency(info, region, uses)

    for path in cassettes:
        evidence.add_file(
            path, "cassette", f"traffic of {provider_id} checked for hosts"
        )
    seen = sorted({use.host for use in uses})
    evidence.note(f"hosts contacted: {', '.join(seen)}")
    basis = residency_basis(info, region, uses)
    evidence.decide(basis if len(carecert_rules.regions) == 1 else f"{rule}; {basis}")
    assert not findings, control_failure(control, findings)
