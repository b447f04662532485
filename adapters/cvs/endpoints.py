"""CVS hosts and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.endpoints import checked_url, reject_mixed_loopback, url_origin

__all__ = [
    "API_HOST",
    "API_PATH",
    "APPOINTMENTS_PATH",
    "PRESCRIPTION_LOOKUP_PATH",
    "TOKEN_PATH",
    "Endpoints",
    "resolve_endpoints",
]

API_HOST = "api.cvs.com"
"""Host of the pharmacy API and its OAuth 2.0 token endpoint."""

API_PATH = "/v2"
TOKEN_PATH = "/oauth2/token"
# NOTE: the token path and the two operation paths are carecert's design, not
# taken from CVS documentation. Set token_url to the URL that CVS gives.
PRESCRIPTION_LOOKUP_PATH = "/prescriptions/lookup"
APPOINTMENTS_PATH = "/immunizations/appointments"


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance, without trailing slashes."""

    api_base: str
    token_url: str

    def prescription_lookup_url(self) -> str:
        """Return the URL that looks up an Rx by number and date of birth."""
        return self.api_base + PRESCRIPTION_LOOKUP_PATH

    def appointments_url(self) -> str:
        """Return the URL that books vaccination appointments."""
        return self.api_base + APPOINTMENTS_PATH


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve base URLs from ``config``, defaulting to the CVS host.

    Keys: ``api_base`` (``https://api.cvs.com/v2`` by default) and
    ``token_url`` (the origin of ``api_base`` plus TOKEN_PATH by default).
    """
    example = f"https://{API_HOST}{API_PATH}"
    api_base = example
    if config.get("api_base"):
        api_base = checked_url(
            provider_id, "api_base", config["api_base"], example=example
        )
    token_url = url_origin(api_base) + TOKEN_PATH
    if config.get("token_url"):
        token_url = checked_url(
            provider_id, "token_url", config["token_url"], example=example
        )
    reject_mixed_loopback(
        provider_id, [("api_base", api_base)], [("token_url", token_url)]
    )
    return Endpoints(api_base, token_url)
