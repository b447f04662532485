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
from carecert.adapters.errors import ProviderError
from carecert.adapters.fhir import responses as fhir_responses
from carecert.adapters.fhir.responses import ErrorAdvice

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


_ADVICE = ErrorAdvice(
    authentication="the API key or partner JWT was rejected. Check api_key, "
    "partner_code, key_id and that AXA registered the public key of "
    "private_key_path.",
    not_found="no such policy. Check the policy number.",
    rate_limit="the partner rate limit",
    rejected="AXA rejected the request. The problem code says which value to fix.",
    url_check="Check that api_base points at the AXA partner API.",
)


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    if response.status_code == 422 and problem_code(response) == IDEMPOTENCY_CONFLICT:
        raise IdempotencyConflictError(
            provider,
            operation,
            f"HTTP 422 {IDEMPOTENCY_CONFLICT}: this idempotency key was already "
            "used for a claim with another body. Resend the original claim "
            "data, or use a new key for a new claim.",
        )
    fhir_responses.raise_for_status(
        provider, operation, response, _ADVICE, error_code=problem_code
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
    return fhir_responses.parse_json(provider, operation, response, _ADVICE)


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
        advice=_ADVICE.url_check,
    )
