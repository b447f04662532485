"""Residency check against deliberately non-compliant providers and traffic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.provider import ProviderHost
from carecert.harness.controls.residency import (
    HostUse,
    check_residency,
    describe_host_jurisdictions,
    residency_basis,
)

UK = load_catalogue().region("UK")
NHS = NHSInterface.info
CASSETTE = Path("cassettes/nhs/example.json")


def _use(host: str, index: int = 0) -> HostUse:
    return HostUse(host=host, cassette=CASSETTE, index=index)


def test_declared_uk_hosts_pass() -> None:
    uses = [_use(host.host, i) for i, host in enumerate(NHS.hosts)]

    assert check_residency(NHS, UK, uses) == []


def test_undeclared_host_in_traffic_fails() -> None:
    findings = check_residency(NHS, UK, [_use("api.example-us.test", 3)])

    assert len(findings) == 1
    assert findings[0].host == "api.example-us.test"
    assert "example.json exchange 3" in str(findings[0])
    assert "does not declare" in findings[0].found


def test_declared_us_host_fails_for_uk() -> None:
    us_host = ProviderHost("records.example-us.test", "US", "record storage")
    provider = replace(NHS, hosts=(*NHS.hosts, us_host))

    findings = check_residency(provider, UK, [_use(us_host.host)])

    assert [f.host for f in findings] == [us_host.host, us_host.host]
    assert all(
        f.found == f"jurisdiction US (declared by {NHS.id}'s ProviderInfo)"
        for f in findings
    )
    assert "GB" in findings[0].required


def test_adequacy_host_passes_and_is_named() -> None:
    eu_host = ProviderHost("backup.example-ie.test", "IE", "backup")
    provider = replace(NHS, hosts=(*NHS.hosts, eu_host))
    uses = [_use(eu_host.host)]

    assert check_residency(provider, UK, uses) == []
    assert "backup.example-ie.test (IE)" in residency_basis(provider, UK, uses)


def test_basis_preferred_when_all_in_gb() -> None:
    basis = residency_basis(NHS, UK, [_use(NHS.hosts[0].host)])

    hosts = ", ".join(sorted(f"{host.host} (GB)" for host in NHS.hosts))
    assert basis == (
        "UK preferred residency: every host's declared jurisdiction is "
        f"preferred (GB): {hosts}"
    )


def test_host_jurisdictions_name_declaration() -> None:
    us_host = ProviderHost("records.example-us.test", "US", "record storage")
    provider = replace(NHS, hosts=(*NHS.hosts, us_host))
    uses = [_use(NHS.hosts[0].host), _use("api.example-unknown.test")]

    text = describe_host_jurisdictions(provider, UK, uses)

    source = f"declared by {NHS.id}'s ProviderInfo"
    assert f"{NHS.hosts[0].host}: GB ({source}; contacted)" in text
    assert f"records.example-us.test: US ({source}; declared, not contacted)" in text
    assert "api.example-unknown.test: jurisdiction unknown" in text
    assert "not a measured location" in text
    assert "Required: a jurisdiction allowed for UK data (" in text


def test_us_host_finding_reads_found_and_required() -> None:
    us_host = ProviderHost("records.example-us.test", "US", "record storage")
    provider = replace(NHS, hosts=(us_host,))

    findings = check_residency(provider, UK, [])

    assert len(findings) == 1
    message = str(findings[0])
    assert message.startswith("records.example-us.test (declared by nhs for record")
    assert "found jurisdiction US" in message
    assert "required a jurisdiction allowed for UK data (" in message


def test_host_jurisdictions_name_usage() -> None:
    uses = [_use(NHS.hosts[0].host)]
    usage = "recorded in the cassettes"

    text = describe_host_jurisdictions(NHS, UK, uses, usage=usage)

    source = f"declared by {NHS.id}'s ProviderInfo"
    assert f"{NHS.hosts[0].host}: GB ({source}; {usage})" in text
    assert "contacted" not in text
