"""Map Kaiser FHIR API failures and bodies to carecert errors.

Messages name the provider, the operation, the HTTP status, the
OperationOutcome issue code and what to do next, but not the diagnostics
text, because a FHIR server may echo request values there.
"""

from __future__ import annotations

from typing import Any

import httpx

from carecert.adapters.fhir import responses
from carecert.adapters.fhir.responses import ErrorAdvice

__all__ = ["parse_json", "raise_for_status"]

_ADVICE = ErrorAdvice(
    authentication="the access token was rejected. Check client_id, the SAML "
    "signing certificate and the granted SMART scopes.",
    not_found="no such resource. Check the MRN.",
    rate_limit="the rate limit",
    rejected="the FHIR server rejected the request. The issue code says which "
    "value to fix.",
    url_check="Check that api_base points at the Kaiser FHIR R4 API.",
)


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    responses.raise_for_status(provider, operation, response, _ADVICE)


def parse_json(provider: str, operation: str, response: httpx.Response) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    return responses.parse_json(provider, operation, response, _ADVICE)
