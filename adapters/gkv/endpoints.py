"""GKV hosts and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from carecert.adapters.endpoints import (
    LOOPBACK_HOSTS,
    checked_url,
    reject_mixed_loopback,
)
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "ERP_HOST",
    "KONNEKTOR_HOST",
    "KONNEKTOR_PATH",
    "KV_HOST",
    "KVDT_PATH",
    "LOOPBACK_HOSTS",
    "Endpoints",
    "resolve_endpoints",
]

KONNEKTOR_HOST = "konnektor.praxis.de"
"""Placeholder Konnektor host. Each practice runs its own Konnektor, so set
``api_credentials.konnektor_url``."""

ERP_HOST = "erp.zentral.erp.splitdns.ti-dienste.de"
"""TI interface of the gematik E-Rezept-Fachdienst (e-prescription service)."""

KV_HOST = "kvconnect.kv-safenet.de"
"""Host that receives KVDT billing submissions for the KV region."""
# NOTE: KV_HOST and KVDT_PATH are carecert's placeholders. Each KV region
# publishes its own submission endpoint; set kv_base to it.

KONNEKTOR_PATH = "/fhir"
KVDT_PATH = "/kvdt/submissions"


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance, without trailing slashes."""

    konnektor_base: str
    erp_base: str
    kv_base: str

    def coverage_search_url(self) -> str:
        """Return the Coverage search URL on the Konnektor, without its query."""
        return f"{self.konnektor_base}{KONNEKTOR_PATH}/Coverage"

    def kvdt_submission_url(self) -> str:
        """Return the URL that KVDT record sets are posted to."""
        return f"{self.kv_base}{KVDT_PATH}"

    def task_create_url(self) -> str:
        """Return the URL of the E-Rezept operation Task/$create."""
        return f"{self.erp_base}/Task/$create"

    def task_activate_url(self, task_id: str) -> str:
        """Return the URL of the E-Rezept operation Task/{id}/$activate."""
        return f"{self.erp_base}/Task/{quote(task_id, safe='.')}/$activate"


def resolve_endpoints(
    provider_id: str, config: Mapping[str, Any], credentials: Mapping[str, Any]
) -> Endpoints:
    """Resolve base URLs, defaulting to the GKV hosts.

    ``credentials`` is the ``api_credentials`` mapping, whose ``konnektor_url``
    is the Konnektor base. The config keys ``erp_base`` and ``kv_base``
    replace the E-Rezept and KV billing hosts.
    """
    konnektor = f"https://{KONNEKTOR_HOST}"
    if credentials.get("konnektor_url"):
        konnektor = _checked_url(
            provider_id, "api_credentials.konnektor_url", credentials["konnektor_url"]
        )
    erp = f"https://{ERP_HOST}"
    if config.get("erp_base"):
        erp = _checked_url(provider_id, "erp_base", config["erp_base"])
    kv = f"https://{KV_HOST}"
    if config.get("kv_base"):
        kv = _checked_url(provider_id, "kv_base", config["kv_base"])
    # The three services are separate APIs, so a local one among them makes
    # every one local.
    reject_mixed_loopback(
        provider_id,
        [
            ("api_credentials.konnektor_url", konnektor),
            ("erp_base", erp),
            ("kv_base", kv),
        ],
        [],
    )
    return Endpoints(konnektor, erp, kv)


def _checked_url(provider_id: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{provider_id}: {key} must be a URL string, got {type(value).__name__}."
        )
    return checked_url(provider_id, key, value, example=f"https://{ERP_HOST}/")
