"""Map NHS HTTP failures and bodies to carecert errors.

Messages name the provider, the operation, the HTTP status, the Spine error
code from the OperationOutcome and what to do next. They leave out the
OperationOutcome's diagnostics, because PDS echoes request values there.
"""

from __future__ import annotations

from typing import Any

import httpx

from carecert.adapters.fhir import responses
from carecert.adapters.fhir.responses import ErrorAdvice

__all__ = [
    "SPINE_ERROR_SYSTEM",
    "parse_json",
    "raise_for_status",
    "spine_error_code",
]

SPINE_ERROR_SYSTEM = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"

_ADVICE = ErrorAdvice(
    authentication="the access token or API key was rejected. Check the app's "
    "access to this API, its api_key and its signing key.",
    not_found="no such resource. Check the NHS number or practice code.",
    rate_limit="the app's rate limit",
    rejected="the provider rejected the request. The Spine error code says "
    "which header or value to fix.",
    url_check="Check that the base URL points at the FHIR API.",
)

# Spine puts its error code in the first issue's details coding.
spine_error_code = responses.outcome_code


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    responses.raise_for_status(provider, operation, response, _ADVICE)


def parse_json(provider: str, operation: str, response: httpx.Response) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    return responses.parse_json(provider, operation, response, _ADVICE)
