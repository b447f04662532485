"""OAuth 2.0 token endpoint pieces of the provider simulators.

The simulators issue opaque Bearer tokens (RFC 6750) from a token endpoint
that reads a form-encoded request and returns errors as RFC 6749 section
5.2 describes. A token store maps each issued token to its grant: the
expiry time alone, or the expiry time and the granted scopes.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from enum import Enum
from typing import TypeVar
from urllib.parse import parse_qs, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "BearerRejection",
    "ScopedGrant",
    "basic_client_problem",
    "bearer_token",
    "check_scoped_bearer",
    "issue_scoped_token",
    "issue_token",
    "oauth_error",
    "read_form",
    "token_is_live",
]

ScopedGrant = tuple[float, frozenset[str]]
"""A token's expiry time (in the simulator clock's seconds) and granted scopes."""

_Grant = TypeVar("_Grant")


async def read_form(request: Request) -> dict[str, str]:
    """Read a form-encoded body, keeping the first value of each field."""
    body = (await request.body()).decode(errors="replace")
    return {name: values[0] for name, values in parse_qs(body).items()}


def oauth_error(
    status: int,
    error: str,
    description: str,
    *,
    logger: logging.Logger,
    response_type: Callable[..., Response] = JSONResponse,
) -> Response:
    """Log a rejected token request and return its OAuth error response.

    ``response_type`` renders the body: JSONResponse writes compact JSON, and
    json_response the spaced layout that some simulators send.
    """
    logger.info("token request rejected: HTTP %d %s (%s)", status, error, description)
    return response_type(
        {"error": error, "error_description": description}, status_code=status
    )


def basic_client_problem(
    request: Request,
    client_id: str,
    client_secret: str,
    *,
    missing: str = "authenticate with HTTP Basic",
) -> str | None:
    """Return why the HTTP Basic client credentials are rejected, or None.

    ``missing`` is the message for a request without Basic credentials.
    """
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return missing
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return "the Basic credentials are not valid base64"
    given_id, _, given_secret = decoded.partition(":")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before base64.
    if not (
        secrets.compare_digest(unquote_plus(given_id), client_id)
        and secrets.compare_digest(unquote_plus(given_secret), client_secret)
    ):
        return "unknown client or wrong secret"
    return None


def issue_token(tokens: MutableMapping[str, _Grant], grant: _Grant) -> str:
    """Store a new random access token with ``grant`` and return the token."""
    token = secrets.token_urlsafe(24)
    tokens[token] = grant
    return token


def issue_scoped_token(
    form: Mapping[str, str],
    *,
    scopes: tuple[str, ...],
    tokens: MutableMapping[str, ScopedGrant],
    clock: Callable[[], float],
    lifetime: int,
    logger: logging.Logger,
) -> Response:
    """Issue a token for the scopes the form requests, or reject the request.

    Every requested scope must be one of ``scopes``. The response carries the
    granted scopes sorted, and ``expires_in`` as a number of seconds.
    """
    requested = frozenset(form.get("scope", "").split())
    if not requested or not requested <= set(scopes):
        return oauth_error(
            400, "invalid_scope", f"request some of {scopes}", logger=logger
        )
    token = issue_token(tokens, (clock() + lifetime, requested))
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": " ".join(sorted(requested)),
        }
    )


def bearer_token(request: Request) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" else None


def token_is_live(
    request: Request, tokens: Mapping[str, float], clock: Callable[[], float]
) -> bool:
    """Return whether the request's Bearer token was issued and has not expired."""
    token = bearer_token(request)
    expires_at = tokens.get(token) if token is not None else None
    return expires_at is not None and expires_at > clock()


class BearerRejection(Enum):
    """Reason that a request's Bearer token does not allow the request.

    Each member's name is the error code the simulators send for it.
    """

    INVALID_TOKEN = (401, "login")
    INSUFFICIENT_SCOPE = (403, "forbidden")

    @property
    def status(self) -> int:
        """The HTTP status of the rejection."""
        return self.value[0]

    @property
    def issue_type(self) -> str:
        """The FHIR IssueType code of the rejection."""
        return self.value[1]


def check_scoped_bearer(
    request: Request,
    tokens: Mapping[str, ScopedGrant],
    clock: Callable[[], float],
    scope: str,
) -> BearerRejection | None:
    """Return why the request's Bearer token lacks ``scope``, or None if it has it.

    A missing, unknown or expired token is INVALID_TOKEN.
    """
    token = bearer_token(request)
    granted = tokens.get(token) if token is not None else None
    if granted is None or granted[0] <= clock():
        return BearerRejection.INVALID_TOKEN
    if scope not in granted[1]:
        return BearerRejection.INSUFFICIENT_SCOPE
    return None
