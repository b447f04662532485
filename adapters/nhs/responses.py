"""Map NHS HTTP failures and bodies to carecert errors.

Messages name the provider, the operation, the HTTP status, the Spine error
code from the OperationOutcome and what to do next. They leave out the
OperationOutcome's diagnostics, because PDS echoes request values there.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from carecert.adapters.errors import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ResourceNotFoundError,
)
from carecert.adapters.resilience.policy import parse_retry_after

__all__ = [
    "SPINE_ERROR_SYSTEM",
    "parse_json",
    "raise_for_status",
    "spine_error_code",
]

SPINE_ERROR_SYSTEM = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code = spine_error_code(response)
    got = f"HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        raise AuthenticationError(
            provider,
            operation,
            f"{got}: the access token or API key was rejected. Check the app's "
            "access to this API, its api_key and its signing key.",
        )
    if status == 404:
        raise ResourceNotFoundError(
            provider,
            operation,
            f"{got}: no such resource. Check the NHS number or practice code.",
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"after {retry_after:.0f} s" if retry_after is not None else "later"
        raise RateLimitedError(
            provider,
            operation,
            f"{got}: the app's rate limit was exceeded. Retry {wait}.",
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise ProviderUnavailableError(
            provider, operation, f"{got}: the service is unavailable. Retry later."
        )
    raise ProviderError(
        provider,
        operation,
        f"{got}: the provider rejected the request. The Spine error code "
        "says which header or value to fix.",
    )


def parse_json(provider: str, operation: str, response: httpx.Response) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        content_type = response.headers.get("Content-Type", "no Content-Type")
        raise InvalidResponseError(
            provider,
            operation,
            f"HTTP {response.status_code} body is not JSON ({content_type}). "
            "Check that the base URL points at the FHIR API.",
        ) from exc


def spine_error_code(response: httpx.Response) -> str | None:
    """Return the Spine error code of an OperationOutcome body, if there is one."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    issues = body.get("issue")
    for issue in issues if isinstance(issues, list) else ():
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        codings = details.get("coding") if isinstance(details, dict) else None
        for coding in codings if isinstance(codings, list) else ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
        if isinstance(issue.get("code"), str):
            return str(issue["code"])
    return None
