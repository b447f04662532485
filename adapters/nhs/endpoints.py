"""NHS API platform environments and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.endpoints import (
    LOOPBACK_HOSTS,
    checked_url,
    reject_mixed_loopback,
    url_origin,
)
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "ENVIRONMENT_HOSTS",
    "GP_BASE_PATH",
    "LOOPBACK_HOSTS",
    "PDS_BASE_PATH",
    "TOKEN_PATH",
    "Endpoints",
    "resolve_endpoints",
]

ENVIRONMENT_HOSTS = {
    "sandbox": "sandbox.api.service.nhs.uk",
    "integration": "int.api.service.nhs.uk",
    "production": "api.service.nhs.uk",
}
"""API platform host of each NHS environment."""

PDS_BASE_PATH = "/personal-demographics/FHIR/R4"
TOKEN_PATH = "/oauth2/token"
GP_BASE_PATH = "/gp-connect/FHIR/R4"
"""carecert's R4 GP record and appointment endpoints, described in openapi.yaml.

NHS England publishes GP Connect as FHIR STU3 behind the Spine Secure Proxy;
config key ``spine_endpoint`` points the adapter at such a base instead.
"""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance."""

    environment: str
    pds_base: str
    token_url: str
    gp_base: str

    def patient_url(self, nhs_number: str) -> str:
        """Return the PDS Patient read URL for ``nhs_number``."""
        return f"{self.pds_base}/Patient/{nhs_number}"

    def structured_record_url(self) -> str:
        """Return the GP record operation URL."""
        return f"{self.gp_base}/Patient/$gpc.getstructuredrecord"

    def appointment_url(self) -> str:
        """Return the Appointment create URL."""
        return f"{self.gp_base}/Appointment"


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve base URLs from ``environment`` and the URL overrides in ``config``.

    ``environment`` picks the API platform host (``sandbox`` by default).
    ``base_url`` replaces the PDS base, and the token and GP bases then default
    to the same origin, as on the API platform. ``token_url`` and
    ``spine_endpoint`` (the GP record and appointment base) override those.
    """
    environment = str(config.get("environment") or "sandbox")
    if environment not in ENVIRONMENT_HOSTS:
        raise ConfigurationError(
            f"{provider_id}: environment {environment!r} is invalid. "
            f"Use one of {', '.join(ENVIRONMENT_HOSTS)}."
        )
    origin = f"https://{ENVIRONMENT_HOSTS[environment]}"
    pds_base = origin + PDS_BASE_PATH
    if config.get("base_url"):
        pds_base = _checked_url(provider_id, "base_url", config["base_url"])
        origin = url_origin(pds_base)

    token_url = origin + TOKEN_PATH
    if config.get("token_url"):
        token_url = _checked_url(provider_id, "token_url", config["token_url"])

    gp_base = origin + GP_BASE_PATH
    if config.get("spine_endpoint"):
        gp_base = _checked_url(provider_id, "spine_endpoint", config["spine_endpoint"])
    reject_mixed_loopback(
        provider_id,
        [("base_url", pds_base)],
        [("token_url", token_url), ("spine_endpoint", gp_base)],
    )
    return Endpoints(environment, pds_base, token_url, gp_base)


def _checked_url(provider_id: str, key: str, value: Any) -> str:
    return checked_url(
        provider_id,
        key,
        value,
        example="https://int.api.service.nhs.uk/personal-demographics/FHIR/R4",
    )
