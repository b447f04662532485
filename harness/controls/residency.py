"""Residency check: every host a provider talks to lies where its region allows."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from carecert.adapters.compliance.catalogue import Region
from carecert.adapters.provider import ProviderInfo
from carecert.harness.controls.traffic import read_interactions

__all__ = [
    "HostUse",
    "ResidencyFinding",
    "check_residency",
    "describe_host_jurisdictions",
    "hosts_in_cassettes",
    "hosts_in_config",
    "hosts_in_live_traffic",
    "is_loopback",
    "loopback_stand_ins",
    "residency_basis",
]


@dataclass(frozen=True)
class HostUse:
    """A host seen in traffic or config, and where.

    Cassette uses give the file and exchange index. Live-run and config uses
    give ``label`` instead, with ``cassette`` None.
    """

    host: str
    cassette: Path | None
    index: int
    label: str | None = None

    def where(self) -> str:
        """Describe where the host was seen, for findings and evidence."""
        if self.label is not None:
            return self.label
        name = self.cassette.name if self.cassette is not None else "traffic"
        return f"{name} exchange {self.index}"


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` is a loopback name or address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_stand_ins(
    declared_hosts: Iterable[str], base_url: str
) -> dict[str, tuple[str, ...]]:
    """Map the loopback ``base_url`` to the declared hosts it replaces.

    ProviderHarness.point_at sends all of an adapter's traffic to one base
    URL, so a loopback server then replaces every declared host at once. The
    mapping therefore cannot tell which declared host one request was meant for.
    """
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if not is_loopback(host):
        return {}
    return {_address(host, parts.port, parts.scheme): tuple(declared_hosts)}


def hosts_in_live_traffic(
    requests: Sequence[httpx.Request],
    stand_ins: Mapping[str, tuple[str, ...]] | None = None,
) -> list[HostUse]:
    """Return the host of every request sent in this run.

    A loopback host listed in ``stand_ins`` (``host:port`` keys, from
    loopback_stand_ins) is mapped back to the declared hosts it replaces, and
    the use's label states that. An unlisted loopback host is returned
    as it is, so the residency check reports it as undeclared.
    """
    stand_ins = stand_ins or {}
    uses: list[HostUse] = []
    for index, request in enumerate(requests):
        host = request.url.host
        address = _address(host, request.url.port, request.url.scheme)
        where = f"live run request {index} ({request.method} {request.url.path})"
        if is_loopback(host) and address in stand_ins:
            for declared in stand_ins[address]:
                label = f"{where} to {address}, a loopback stand-in for {declared}"
                uses.append(HostUse(declared, None, index, label))
        else:
            uses.append(HostUse(host, None, index, where))
    return uses


def hosts_in_config(
    config: Mapping[str, Any],
    stand_ins: Mapping[str, tuple[str, ...]] | None = None,
) -> list[HostUse]:
    """Return the host of every http(s) URL in an adapter config, nested included.

    Loopback hosts are mapped back as hosts_in_live_traffic does.
    """
    stand_ins = stand_ins or {}
    uses: list[HostUse] = []
    for key, url in _config_urls(config, ""):
        parts = urlsplit(url)
        host = parts.hostname or ""
        address = _address(host, parts.port, parts.scheme)
        where = f"config key {key}"
        if is_loopback(host) and address in stand_ins:
            for declared in stand_ins[address]:
                label = f"{where} ({address}, a loopback stand-in for {declared})"
                uses.append(HostUse(declared, None, 0, label))
        else:
            uses.append(HostUse(host, None, 0, where))
    return uses


def _address(host: str, port: int | None, scheme: str) -> str:
    default = 80 if scheme == "http" else 443
    return f"{host}:{port if port is not None else default}"


def _config_urls(value: Any, key: str) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        found: list[tuple[str, str]] = []
        for name, item in value.items():
            found += _config_urls(item, f"{key}.{name}" if key else str(name))
        return found
    if isinstance(value, list | tuple):
        found = []
        for index, item in enumerate(value):
            found += _config_urls(item, f"{key}[{index}]")
        return found
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return [(key, value)]
    return []


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
    required = _required(region)
    source = _declaration_source(info)
    findings: list[ResidencyFinding] = []
    for declared in info.hosts:
        if not region.allows_jurisdiction(declared.jurisdiction):
            findings.append(
                ResidencyFinding(
                    declared.host,
                    f"declared by {info.id} for {declared.purpose}",
                    f"jurisdiction {declared.jurisdiction} ({source})",
                    required,
                )
            )
    for use in uses:
        jurisdiction = info.host_jurisdiction(use.host)
        where = use.where()
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
                    use.host, where, f"jurisdiction {jurisdiction} ({source})", required
                )
            )
    return findings


def describe_host_jurisdictions(
    info: ProviderInfo,
    region: Region,
    uses: Iterable[HostUse],
    *,
    usage: str = "contacted",
) -> str:
    """Describe each declared or used host and its jurisdiction, for evidence.

    The jurisdiction is what the adapter declares in ``ProviderInfo.hosts``.
    carecert does not locate hosts, and the returned text states that.
    ``usage`` describes how the hosts in ``uses`` were used. Pass "contacted"
    only where real sockets were opened, and otherwise name the cassettes or
    the in-process simulator.
    """
    used = {use.host.lower() for use in uses}
    hosts = {declared.host.lower(): declared.host for declared in info.hosts}
    for use in uses:
        hosts.setdefault(use.host.lower(), use.host)
    source = _declaration_source(info)
    entries: list[str] = []
    for key in sorted(hosts):
        host = hosts[key]
        seen = usage if key in used else f"declared, not {usage}"
        jurisdiction = info.host_jurisdiction(host)
        if jurisdiction is None:
            entries.append(f"{host}: jurisdiction unknown (not declared by {info.id})")
        else:
            entries.append(f"{host}: {jurisdiction} ({source}; {seen})")
    return (
        f"found: {'; '.join(entries)}. Each jurisdiction is the adapter's own "
        "declaration, not a measured location of the host. "
        f"Required: {_required(region)}"
    )


def _required(region: Region) -> str:
    allowed = sorted(region.residency_preferred | region.residency_allowed)
    return f"a jurisdiction allowed for {region.code} data ({', '.join(allowed)})"


def _declaration_source(info: ProviderInfo) -> str:
    return f"declared by {info.id}'s ProviderInfo"


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
        found = ", ".join(by_rule["preferred"]) or "no host"
        return (
            f"{region.code} preferred residency: every host's declared "
            f"jurisdiction is preferred ({preferred}): {found}"
        )
    return (
        f"{region.code} allowed residency (transfer basis needed) for "
        f"{', '.join(by_rule['allowed'])}; preferred ({preferred}) for the rest"
    )
