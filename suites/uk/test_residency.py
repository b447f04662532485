"""UK residency control: provider traffic stays where UK law allows."""

from __future__ import annotations

import pytest

from carecert.harness.controls.residency import (
    check_residency,
    hosts_in_cassettes,
    residency_basis,
)


@pytest.mark.control("UK-RES-01")
def test_provider_hosts_in_allowed_jurisdictions(
    provider_id, carecert_state, provider_harness, evidence
):
    info = provider_harness(provider_id).info
    region = carecert_state.catalogue.region("UK")
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
    evidence.decide(residency_basis(info, region, uses))
    assert not findings, "UK-RES-01 (UK GDPR Art. 44) failed:\n" + "\n".join(
        f"  {finding}" for finding in findings
    )
