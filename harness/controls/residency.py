"""Residency check: every host a provider talks to lies where its region allows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from carecert.adapters.compliance.catalogue import Region
from carecert.adapters.provider import ProviderInfo
from carecert.harness.controls.traffic import read_interactions

__all__ = [
    "HostUse",
    "ResidencyFinding",
    "check_residency",
    "hosts_in_cassettes",
    "residency_basis",
]


@dataclass(frozen=True)
class HostUse:
    """A host seen in a cassette, and where: file and exchange index."""

    host: str
    cassette: Path
    index: int


@dataclass(frozen=True)
class ResidencyFinding:
    """One residency violation, phrased for the evidence report."""

    host: str
    where: str
    found: str
    required: str

    def __str__(self) -> str:
        return (
            f"{self.host} ({self.where}): found {self.found}; required {self.required}"
        )


def hosts_in_cassettes(paths: Iterable[Path]) -> list[HostUse]:
    """Return every request host in the cassettes, with file and exchange index."""
    uses: list[HostUse] = []
    for path in paths:
        for index, (request, _response) in enumerate(read_interactions(path)):
            host = urlsplit(request.uri).hostname or ""
            uses.append(HostUse(host=host, cassette=path, index=index))
    return uses


def check_residency(
    info: ProviderInfo, region: Region, uses: Iterable[HostUse]
) -> list[ResidencyFinding]:
    """Check declared hosts and every host seen in traffic against ``region``.

    A host seen in traffic but not declared by the provider fails even if it
    would be allowed, because its jurisdiction is then unknown.
    """
    allowed = sorted(region.residency_preferred | region.residency_allowed)
    required = f"a jurisdiction allowed for {region.code} data ({', '.join(allowed)})"
    findings: list[ResidencyFinding] = []
    for declared in info.hosts:
        if not region.allows_jurisdiction(declared.jurisdiction):
            findings.append(
                ResidencyFinding(
                    declared.host,
                    f"declared by {info.id} for {declared.purpose}",
                    f"jurisdiction {declared.jurisdiction}",
                    required,
                )
            )
    for use in uses:
        jurisdiction = info.host_jurisdiction(use.host)
        where = f"{use.cassette.name} exchange {use.index}"
        if jurisdiction is None:
            declared_hosts = ", ".join(h.host for h in info.hosts)
            findings.append(
                ResidencyFinding(
                    use.host,
                    where,
                    "a host the provider does not declare",
                    f"one of its declared hosts ({declared_hosts})",
                )
            )
        elif not region.allows_jurisdiction(jurisdiction):
            findings.append(
                ResidencyFinding(
                    use.host, where, f"jurisdiction {jurisdiction}", required
                )
            )
    return findings


def residency_basis(info: ProviderInfo, region: Region, uses: Iterable[HostUse]) -> str:
    """Describe which residency rule admitted the hosts, for the evidence report.

    Regions such as the UK prefer their own territory and also allow
    jurisdictions with an adequacy decision, so an auditor needs to see which
    of the two applied.
    """
    hosts = {use.host for use in uses} | {declared.host for declared in info.hosts}
    by_rule: dict[str, list[str]] = {"preferred": [], "allowed": []}
    for host in sorted(hosts):
        jurisdiction = info.host_jurisdiction(host)
        if jurisdiction in region.residency_preferred:
            by_rule["preferred"].append(f"{host} ({jurisdiction})")
        elif jurisdiction in region.residency_allowed:
            by_rule["allowed"].append(f"{host} ({jurisdiction})")
    preferred = ", ".join(sorted(region.residency_preferred))
    if not by_rule["allowed"]:
        return f"{region.code} preferred residency: every host is in {preferred}"
    return (
        f"{region.code} allowed residency (transfer basis needed) for "
        f"{', '.join(by_rule['allowed'])}; preferred ({preferred}) for the rest"
    )
