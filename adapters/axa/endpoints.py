"""AXA regional endpoints, the URLs the adapter calls and per-region ProviderInfo.

AXA serves partners from one API per region. The ``region`` config key picks
the base URL from REGIONS, and ``api_base`` overrides it.

NOTE: the host names and their jurisdictions are carecert's assumption, not
taken from an AXA publication. Confirm both against the partner agreement,
because the residency control trusts the jurisdiction declared here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from carecert.adapters.endpoints import checked_url
from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderHost, ProviderInfo

__all__ = [
    "API_PATH",
    "DEFAULT_REGION",
    "REGIONS",
    "Endpoints",
    "RegionEndpoint",
    "info_for_region",
    "region_endpoint",
    "resolve_endpoints",
]

API_PATH = "/v3"
"""Path prefix of version 3 of the partner API on every regional host."""


@dataclass(frozen=True)
class RegionEndpoint:
    """One AXA API region: its host, the host's jurisdiction and the
    catalogue regions whose data may go there."""

    host: str
    jurisdiction: str
    compliance_regions: tuple[str, ...]

    @property
    def base_url(self) -> str:
        """Return the region's API base URL, without a trailing slash."""
        return f"https://{self.host}{API_PATH}"


REGIONS: dict[str, RegionEndpoint] = {
    "EMEA": RegionEndpoint("emea.api.axa-healthcare.com", "FR", ("EU",)),
    "AMERICAS": RegionEndpoint("americas.api.axa-healthcare.com", "US", ("US",)),
    # No catalogue region accepts a host in Singapore, so an APAC entry fails
    # the residency control for AU and JP data, as it should.
    "APAC": RegionEndpoint("apac.api.axa-healthcare.com", "SG", ()),
}
"""AXA API regions by the name the ``region`` config key takes."""

DEFAULT_REGION = "EMEA"


@dataclass(frozen=True)
class Endpoints:
    """The base URL of one adapter instance, and the region it came from."""

    region: str
    api_base: str
    overridden: bool

    @property
    def host(self) -> str:
        """Return the host of ``api_base``."""
        return httpx.URL(self.api_base).host

    def coverage_url(self, policy_number: str) -> str:
        """Return the coverage check URL of ``policy_number``, without its query."""
        return f"{self.api_base}/policies/{quote(policy_number, safe='')}/coverage"

    def claims_url(self, policy_number: str) -> str:
        """Return the claim submission URL of ``policy_number``."""
        return f"{self.api_base}/policies/{quote(policy_number, safe='')}/claims"


def region_endpoint(provider_id: str, region: Any) -> tuple[str, RegionEndpoint]:
    """Return the normalised region name and its endpoint.

    Raises ConfigurationError listing the valid regions when ``region`` is
    not one of REGIONS. Names match case-insensitively.
    """
    valid = ", ".join(REGIONS)
    if not isinstance(region, str) or region.strip().upper() not in REGIONS:
        raise ConfigurationError(
            f"{provider_id}: region {region!r} is unknown. Use one of {valid}, "
            "or set api_base to the URL AXA gave you."
        )
    name = region.strip().upper()
    return name, REGIONS[name]


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve the API base URL from ``region`` (default EMEA) and ``api_base``."""
    region, endpoint = region_endpoint(
        provider_id, config.get("region") or DEFAULT_REGION
    )
    if config.get("api_base"):
        api_base = checked_url(
            provider_id,
            "api_base",
            config["api_base"],
            example=REGIONS[DEFAULT_REGION].base_url,
        )
        return Endpoints(region, api_base, overridden=True)
    return Endpoints(region, endpoint.base_url, overridden=False)


def info_for_region(
    info: ProviderInfo, region: str, *, provider_id: str | None = None
) -> ProviderInfo:
    """Return ``info`` declared for another AXA API region.

    The result declares only that region's host and the catalogue regions
    that accept its jurisdiction, so the residency control checks the right
    place. Register it under its own id with a subclass whose ``info`` is the
    result and whose config sets the same ``region``.
    """
    name, endpoint = region_endpoint(info.id, region)
    return dataclasses.replace(
        info,
        id=provider_id or f"{info.id}-{name.lower()}",
        regions=endpoint.compliance_regions,
        hosts=(
            ProviderHost(
                endpoint.host,
                endpoint.jurisdiction,
                f"AXA partner API, {name} region",
            ),
        ),
    )
