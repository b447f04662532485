"""Medicare Australia and My Health Record hosts, and the URLs the adapter calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.endpoints import checked_url, reject_mixed_loopback

__all__ = [
    "CLAIMING_HOST",
    "CLAIMING_PATH",
    "MHR_HOST",
    "MHR_PATH",
    "PRODA_HOST",
    "PRODA_TOKEN_PATH",
    "RECORD_OPERATION",
    "Endpoints",
    "resolve_endpoints",
]

MHR_HOST = "services.ehealth.gov.au"
"""Host of the My Health Record business-to-business gateway."""

CLAIMING_HOST = "healthclaiming.api.humanservices.gov.au"
"""Host of the Services Australia health claiming APIs."""

PRODA_HOST = "proda.humanservices.gov.au"
"""Host of PRODA, which issues access tokens to activated devices."""

PRODA_TOKEN_PATH = "/mga/sps/oauth/oauth20/token"
# NOTE: carecert's reading of the PRODA documentation, used by the harness
# and simulator only. The adapter sends token requests to proda.token_url.

MHR_PATH = "/mhr/fhir/r4"
CLAIMING_PATH = "/claiming/fhir/r4"
RECORD_OPERATION = "$my-health-record"
# NOTE: the paths and the record operation are carecert's own. The real My
# Health Record gateway is a SOAP service (gainPCEHRAccess, getDocumentList)
# and bulk-bill claiming is a Services Australia JSON API, neither of which
# is described here. Set mhr_base and claiming_base to the URLs you are given.


@dataclass(frozen=True)
class Endpoints:
    """Base URLs for one adapter instance, without trailing slashes."""

    mhr_base: str
    claiming_base: str

    def record_url(self) -> str:
        """Return the URL of the My Health Record read operation."""
        return f"{self.mhr_base}/Patient/{RECORD_OPERATION}"

    def claim_url(self) -> str:
        """Return the Claim submit URL."""
        return f"{self.claiming_base}/Claim"


def resolve_endpoints(provider_id: str, config: Mapping[str, Any]) -> Endpoints:
    """Resolve base URLs from ``config``, defaulting to the production hosts.

    Keys: ``mhr_base`` (the My Health Record FHIR base) and ``claiming_base``
    (the claiming FHIR base).
    """
    mhr = f"https://{MHR_HOST}{MHR_PATH}"
    if config.get("mhr_base"):
        mhr = checked_url(
            provider_id, "mhr_base", config["mhr_base"], example=mhr
        ).rstrip("/")
    claiming = f"https://{CLAIMING_HOST}{CLAIMING_PATH}"
    if config.get("claiming_base"):
        claiming = checked_url(
            provider_id, "claiming_base", config["claiming_base"], example=claiming
        ).rstrip("/")
    proda = config.get("proda")
    token_url = proda.get("token_url") if isinstance(proda, Mapping) else None
    reject_mixed_loopback(
        provider_id,
        [("mhr_base", mhr), ("claiming_base", claiming)],
        [("proda.token_url", token_url)] if isinstance(token_url, str) else [],
    )
    return Endpoints(mhr, claiming)
