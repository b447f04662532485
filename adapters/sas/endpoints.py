"""SAS hosts and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from carecert.adapters.endpoints import (
    LOOPBACK_HOSTS,
    checked_url,
    reject_mixed_loopback,
    url_origin,
)
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "API_HOST",
    "API_PATH",
    "CITAS_HOST",
    "LOOPBACK_HOSTS",
    "RECETAS_HOST",
    "TOKEN_PATH",
    "Endpoints",
    "resolve_endpoints",
]

API_HOST = "api.sas.junta-andalucia.es"
"""Host of the patient API and the OAuth 2.0 token endpoint."""

CITAS_HOST = "citapreviacas.juntadeandalucia.es"
"""Host of the appointment service (cita previa)."""

RECETAS_HOST = "recetaelectronica.sas.es"
"""Host of the e-prescription service (receta electrónica)."""

API_PATH = "/v2"
TOKEN_PATH = "/oauth2/token"
# NOTE: the token path is carecert's assumption, not taken from SAS
# documentation. Set token_url to the URL that SAS gives at registration.


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance, without trailing slashes."""

    api_base: str
    token_url: str
    citas_base: str
    recetas_base: str

    def patient_url(self, nuhsa: str) -> str:
        """Return the Patient read URL for ``nuhsa``."""
        return f"{self.api_base}/Patient/{quote(nuhsa, safe='')}"

    def appointment_url(self) -> str:
        """Return the Appointment create URL."""
        return f"{self.citas_base}/Appointment"

    def prescription_search_url(self) -> str:
        """Return the MedicationRequest search URL, without its query."""
        return f"{self.recetas_base}/MedicationRequest"


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve base URLs from ``config``, defaulting to the SAS hosts.

    Keys: ``api_base`` (the patient API), ``token_url`` (defaults to the
    origin of ``api_base``) and ``api_endpoints``, a mapping with ``citas``
    (the appointment service base) and ``recetas`` (the e-prescription base).
    """
    api_base = f"https://{API_HOST}{API_PATH}"
    if config.get("api_base"):
        api_base = _checked_url(provider_id, "api_base", config["api_base"])
    token_url = url_origin(api_base) + TOKEN_PATH
    if config.get("token_url"):
        token_url = _checked_url(provider_id, "token_url", config["token_url"])

    services = config.get("api_endpoints") or {}
    if not isinstance(services, Mapping):
        raise ConfigurationError(
            f"{provider_id}: api_endpoints must be a mapping with the keys citas "
            f"and recetas, got {type(services).__name__}."
        )
    unknown = sorted(set(services) - {"citas", "recetas"})
    if unknown:
        raise ConfigurationError(
            f"{provider_id}: api_endpoints has unknown keys {unknown}. "
            "Use citas (appointments) and recetas (e-prescriptions)."
        )
    citas = f"https://{CITAS_HOST}"
    if services.get("citas"):
        citas = _checked_url(provider_id, "api_endpoints.citas", services["citas"])
    recetas = f"https://{RECETAS_HOST}"
    if services.get("recetas"):
        recetas = _checked_url(
            provider_id, "api_endpoints.recetas", services["recetas"]
        )
    reject_mixed_loopback(
        provider_id,
        [("api_base", api_base)],
        [
            ("token_url", token_url),
            ("api_endpoints.citas", citas),
            ("api_endpoints.recetas", recetas),
        ],
    )
    return Endpoints(api_base, token_url, citas, recetas)


def _checked_url(provider_id: str, key: str, value: Any) -> str:
    return checked_url(provider_id, key, value, example=f"https://{CITAS_HOST}/")
