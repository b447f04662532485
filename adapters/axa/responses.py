"""Map AXA HTTP failures and bodies to carecert errors.

AXA errors are RFC 9457 problem details (``application/problem+json``) with
a ``code`` member. Messages name the provider, the operation, the HTTP status,
that code and what to do next. They leave out ``detail``, because a server
may echo request values there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from carecert.adapters.axa.mapping import WireFormatError
from carecert.adapters.errors import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ResourceNotFoundError,
)
from carecert.adapters.fhir import responses as fhir_responses
from carecert.adapters.resilience.policy import parse_retry_after

__all__ = [
    "IDEMPOTENCY_CONFLICT",
    "PROBLEM_JSON",
    "IdempotencyConflictError",
    "map_body",
    "parse_json",
    "problem_code",
    "raise_for_status",
]

PROBLEM_JSON = "application/problem+json"

IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_KEY_REUSED"
"""Problem code of a claim resent under its key with a different body."""

_T = TypeVar("_T")


class IdempotencyConflictError(ProviderError):
    """AXA rejected a claim because its idempotency key was used for another body."""


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code = problem_code(response)
    got = f"HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        raise AuthenticationError(
            provider,
            operation,
            f"{got}: the API key or partner JWT was rejected. Check api_key, "
            "partner_code, key_id and that AXA registered the public key of "
            "private_key_path.",
        )
    if status == 404:
        raise ResourceNotFoundError(
            provider, operation, f"{got}: no such policy. Check the policy number."
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"after {retry_after:.0f} s" if retry_after is not None else "later"
        raise RateLimitedError(
            provider,
            operation,
            f"{got}: the partner rate limit was exceeded. Retry {wait}.",
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise ProviderUnavailableError(
            provider, operation, f"{got}: the service is unavailable. Retry later."
        )
    if status == 422 and code == IDEMPOTENCY_CONFLICT:
        raise IdempotencyConflictError(
            provider,
            operation,
            f"{got}: this idempotency key was already used for a claim with "
            "another body. Resend the original claim data, or use a new key "
            "for a new claim.",
        )
    raise ProviderError(
        provider,
        operation,
        f"{got}: AXA rejected the request. The problem code says which value to fix.",
    )


def problem_code(response: httpx.Response) -> str | None:
    """Return the ``code`` member of a problem details body, if any."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code else None


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
            "Check that api_base points at the AXA partner API.",
        ) from exc


def map_body(
    provider: str, operation: str, what: str, mapper: Callable[[Any], _T], body: Any
) -> _T:
    """Return ``mapper(body)``, or raise InvalidResponseError naming ``what``."""
    return fhir_responses.map_body(
        provider,
        operation,
        what,
        mapper,
        body,
        value_errors=True,
        mapping_errors=(WireFormatError,),
        advice="Check that api_base points at the AXA partner API.",
    )
