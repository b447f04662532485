"""Kaiser Permanente hosts and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from carecert.adapters.endpoints import checked_url, reject_mixed_loopback

__all__ = [
    "API_HOST",
    "FHIR_PATH",
    "IDP_HOST",
    "TOKEN_PATH",
    "Endpoints",
    "resolve_endpoints",
]

API_HOST = "api.kaiserpermanente.org"
"""Host of the FHIR R4 API."""

IDP_HOST = "idp.kaiserpermanente.org"
"""Host of the identity provider and its OAuth 2.0 token endpoint."""

FHIR_PATH = "/fhir/R4"
"""Path of the FHIR base under an ``api_base`` that has no path of its own."""

TOKEN_PATH = "/oauth2/token"
# NOTE: the token path is carecert's assumption; Kaiser gives the real token
# URL at onboarding. Set token_url to it.


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance, without trailing slashes."""

    fhir_base: str
    token_url: str

    def search_url(self, resource_type: str) -> str:
        """Return the search URL of ``resource_type``, without its query."""
        return f"{self.fhir_base}/{resource_type}"

    def appointment_url(self) -> str:
        """Return the Appointment create URL."""
        return f"{self.fhir_base}/Appointment"


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve the FHIR base and token URLs from ``config``.

    ``api_base`` may be an origin (https://api.kaiserpermanente.org), which
    gets the path /fhir/R4, or a full FHIR base URL with a path, used as
    given. ``token_url`` defaults to /oauth2/token on the identity provider,
    so a loopback ``api_base`` needs a loopback ``token_url`` too.
    """
    fhir_base = f"https://{API_HOST}{FHIR_PATH}"
    if config.get("api_base"):
        fhir_base = _checked(provider_id, "api_base", config["api_base"])
        if httpx.URL(fhir_base).path in ("", "/"):
            fhir_base += FHIR_PATH
    token_url = f"https://{IDP_HOST}{TOKEN_PATH}"
    if config.get("token_url"):
        token_url = _checked(provider_id, "token_url", config["token_url"])
    reject_mixed_loopback(
        provider_id, [("api_base", fhir_base)], [("token_url", token_url)]
    )
    return Endpoints(fhir_base, token_url)


def _checked(provider_id: str, key: str, value: Any) -> str:
    return checked_url(provider_id, key, value, example=f"https://{API_HOST}")
