"""Map CVS HTTP failures and bodies to carecert errors.

CVS errors are ``{"error": {"code": "RX_NOT_FOUND", "message": "..."}}``.
Messages name the provider, the operation, the HTTP status, the error code
and what to do next. They leave out the error message text, because a
server may echo request values, such as a date of birth, there.
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

__all__ = ["error_code", "parse_json", "raise_for_status"]

_NOT_FOUND = {
    "check_prescription": "no prescription matches this Rx number and date of "
    "birth at this store. Check both against the label, and store_number.",
    "schedule_vaccination": "the store or patient was not found. Check "
    "store_number and patient_id.",
}


def error_code(response: httpx.Response) -> str | None:
    """Return ``error.code`` of a CVS error body, if it has one."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code = error_code(response)
    got = f"HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        raise AuthenticationError(
            provider,
            operation,
            f"{got}: the access token or API key was rejected. Check client_id, "
            "client_secret, api_key and the granted scopes.",
        )
    if status == 404:
        advice = _NOT_FOUND.get(operation, "not found.")
        raise ResourceNotFoundError(provider, operation, f"{got}: {advice}")
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"after {retry_after:.0f} s" if retry_after is not None else "later"
        raise RateLimitedError(
            provider,
            operation,
            f"{got}: the rate limit was exceeded. Retry {wait}.",
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise ProviderUnavailableError(
            provider, operation, f"{got}: the service is unavailable. Retry later."
        )
    raise ProviderError(
        provider,
        operation,
        f"{got}: the service rejected the request. The error code says which "
        "value to fix.",
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
            "Check that api_base points at the CVS API.",
        ) from exc
