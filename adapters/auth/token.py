"""Fetch and cache OAuth 2.0 access tokens from a token endpoint.

authlib builds the form body (``prepare_token_request``) and adds the client
credentials. This module adds the cache. A token is reused until shortly
before it expires, and concurrent callers share one token request.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from carecert.adapters.auth.client_auth import TokenEndpointAuth
from carecert.adapters.auth.responses import (
    parse_token_response,
    raise_for_token_status,
)
from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.http_errors import transport_error

TOKEN_SETTINGS = (
    "Check the network, token_url and the TLS settings (ca_bundle, client_cert, "
    "client_key)"
)

__all__ = [
    "REFRESH_MARGIN",
    "TOKEN_OPERATION",
    "ClientCredentialsGrant",
    "Grant",
    "OAuth2TokenSource",
]

log = logging.getLogger("carecert.auth")

REFRESH_MARGIN = 30.0
"""Seconds before expiry at which a cached access token is replaced."""

TOKEN_OPERATION = "token request"

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class Grant(Protocol):
    """An OAuth 2.0 grant: its ``grant_type`` and the other form fields it sends."""

    grant_type: str

    def parameters(self, token_url: str) -> Mapping[str, str]:
        """Return the grant's form fields other than ``grant_type``."""
        ...


class ClientCredentialsGrant:
    """The client credentials grant (RFC 6749 section 4.4), with optional scopes."""

    grant_type = "client_credentials"

    def __init__(self, scope: Sequence[str] | str | None = None) -> None:
        if scope is None or isinstance(scope, str):
            self.scope = scope
        else:
            self.scope = " ".join(scope)

    def parameters(self, token_url: str) -> Mapping[str, str]:
        return {"scope": self.scope} if self.scope else {}

    def __repr__(self) -> str:
        return f"<ClientCredentialsGrant scope={self.scope!r}>"


class OAuth2TokenSource:
    """Access tokens from one token endpoint, cached until shortly before expiry.

    One token request runs at a time. Callers that arrive while it runs wait
    for its token instead of sending their own. A token is replaced
    ``refresh_margin`` seconds before ``expires_in`` runs out, or halfway
    through its lifetime if that is shorter. ``token_requests`` counts the
    token requests sent.
    """

    def __init__(
        self,
        *,
        provider_id: str,
        token_url: str,
        client_auth: TokenEndpointAuth,
        grant: Grant | None = None,
        refresh_margin: float = REFRESH_MARGIN,
        check: str = "Check the client id and its credentials.",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider_id = provider_id
        self.token_url = token_url
        self.client_auth = client_auth
        self.grant: Grant = grant if grant is not None else ClientCredentialsGrant()
        self.refresh_margin = refresh_margin
        self.check = check
        self.token_requests = 0
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    async def access_token(self, client: httpx.AsyncClient) -> str:
        """Return a valid access token, fetching one with ``client`` if needed."""
        token = self._cached()
        if token is not None:
            return token
        async with self._lock:
            # Another caller may have fetched a token while this one waited.
            token = self._cached()
            if token is None:
                token = await self._fetch(client)
            return token

    def invalidate(self, rejected: str | None = None) -> None:
        """Drop the cached token so that the next call fetches a new one.

        With ``rejected`` given, the cache is dropped only if it still contains
        that token, so that many requests rejected with the same token cause
        one token request between them.
        """
        if rejected is not None and rejected != self._token:
            return
        self._token = None
        self._refresh_at = 0.0

    def _cached(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def _fetch(self, client: httpx.AsyncClient) -> str:
        body = prepare_token_request(
            self.grant.grant_type, **self.grant.parameters(self.token_url)
        )
        headers = {"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"}
        url, headers, body = self.client_auth.prepare(self.token_url, headers, body)

        self.token_requests += 1
        try:
            # auth=None keeps a client-wide httpx.Auth, such as the one that
            # called this method, off the token request.
            response = await client.request(
                "POST", url, content=body, headers=headers, auth=None
            )
        except (httpx.HTTPError, ssl.SSLError) as exc:
            error = transport_error(
                self.provider_id, TOKEN_OPERATION, exc, settings_hint=TOKEN_SETTINGS
            )
            # Names the URL, because a default token_url may not be the host
            # the user thinks the adapter talks to.
            detail = str(error).removeprefix(f"{self.provider_id} {TOKEN_OPERATION}: ")
            raise ProviderUnavailableError(
                self.provider_id,
                TOKEN_OPERATION,
                f"POST {self.token_url} failed: {detail}",
            ) from exc

        raise_for_token_status(self.provider_id, TOKEN_OPERATION, response, self.check)
        token, expires_in = parse_token_response(
            self.provider_id, TOKEN_OPERATION, response
        )

        margin = min(self.refresh_margin, expires_in / 2)
        self._token = token
        self._refresh_at = self._clock() + expires_in - margin
        log.info(
            "%s: fetched access token (%s), valid for %.0f s",
            self.provider_id,
            self.client_auth.method,
            expires_in,
        )
        return token

    def __repr__(self) -> str:
        # Leaves out the credentials and the token.
        return (
            f"<OAuth2TokenSource provider={self.provider_id!r} "
            f"token_url={self.token_url!r} grant={self.grant.grant_type!r} "
            f"client_auth={self.client_auth.method!r}>"
        )
