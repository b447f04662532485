"""Map token endpoint responses and transport failures to carecert errors.

Messages name the provider, the operation, the HTTP status and the OAuth 2.0
error code (RFC 6749 section 5.2), never the request's credentials.
"""

from __future__ import annotations

import json

import httpx

from carecert.adapters.errors import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from carecert.adapters.resilience.policy import parse_retry_after

__all__ = [
    "Token",
    "oauth_error",
    "parse_token_response",
    "raise_for_token_status",
]

Token = tuple[str, float]
"""An access token and its lifetime in seconds."""


def raise_for_token_status(
    provider: str, operation: str, response: httpx.Response, check: str
) -> None:
    """Raise the carecert error for a failed token response.

    ``check`` is the advice, naming the credentials to check, that ends the
    message when the endpoint rejects them.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (400, 401, 403):
        raise AuthenticationError(
            provider,
            operation,
            f"the token endpoint rejected the request with HTTP {status} "
            f"({oauth_error(response)}). {check}",
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"after {retry_after:.0f} s" if retry_after is not None else "later"
        raise RateLimitedError(
            provider,
            operation,
            f"HTTP 429: the token endpoint's rate limit was exceeded. Retry {wait}.",
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise ProviderUnavailableError(
            provider,
            operation,
            f"HTTP {status}: the token endpoint is unavailable. Retry later.",
        )
    raise ProviderError(
        provider,
        operation,
        f"HTTP {status}: the token endpoint did not issue a token. "
        "Check token_url points at the OAuth 2.0 token endpoint.",
    )


def parse_token_response(
    provider: str, operation: str, response: httpx.Response
) -> Token:
    """Return the access token and ``expires_in`` of a successful token response."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidResponseError(
            provider,
            operation,
            "the token endpoint returned a body that is not JSON. "
            "Check token_url points at the OAuth 2.0 token endpoint.",
        ) from exc
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidResponseError(
            provider,
            operation,
            "the token response has no access_token. "
            "Check token_url points at the OAuth 2.0 token endpoint.",
        )
    # RFC 6749 sends expires_in as a number, but NHS England sends a string.
    raw = body.get("expires_in")
    try:
        expires_in = float(raw)
    except (TypeError, ValueError):
        expires_in = -1.0
    if not expires_in > 0:
        raise InvalidResponseError(
            provider,
            operation,
            f"the token response has expires_in {raw!r}; expected a positive "
            "number of seconds.",
        )
    return token, expires_in


def oauth_error(response: httpx.Response) -> str:
    """Return ``error: error_description`` from an OAuth 2.0 error body."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "no OAuth error body"
    if not isinstance(body, dict):
        return "no OAuth error body"
    error = body.get("error", "no error code")
    description = body.get("error_description")
    return f"{error}: {description}" if description else str(error)
