"""Host names match case-insensitively in residency and conformance checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.provider import ProviderHost
from carecert.harness.controls.residency import HostUse, check_residency
from carecert.harness.openapi_loader import Server

UK = load_catalogue().region("UK")
NHS = NHSInterface.info
CASSETTE = Path("cassettes/nhs/example.json")


def test_jurisdiction_ignores_host_case() -> None:
    declared = NHS.hosts[0]

    assert NHS.host_jurisdiction(declared.host.upper()) == declared.jurisdiction
    assert NHS.host_jurisdiction(declared.host.title()) == declared.jurisdiction


def test_uppercase_declared_host_passes() -> None:
    host = ProviderHost("Records.Example-UK.test", "GB", "record storage")
    provider = replace(NHS, hosts=(*NHS.hosts, host))
    # urlsplit().hostname, which reads hosts from cassettes, returns lower case.
    uses = [HostUse(host="records.example-uk.test", cassette=CASSETTE, index=0)]

    assert check_residency(provider, UK, uses) == []


def test_server_matches_uppercase_host() -> None:
    server = Server.from_url("https://int.api.service.nhs.uk/personal-demographics")

    path = server.relative_path(
        "HTTPS://INT.API.Service.NHS.uk/personal-demographics/Patient/9000000009?x=1"
    )

    assert path == "/Patient/9000000009"


def test_server_path_stays_case_sensitive() -> None:
    server = Server.from_url("https://int.api.service.nhs.uk/personal-demographics")

    assert (
        server.relative_path("https://int.api.service.nhs.uk/Personal-Demographics/x")
        is None
    )
