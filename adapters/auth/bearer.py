"""Send OAuth 2.0 access tokens as Bearer tokens (RFC 6750) on httpx requests."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Generator

import httpx

from carecert.adapters.auth.token import OAuth2TokenSource
from carecert.adapters.errors import AuthenticationError, ConfigurationError

__all__ = ["OAuth2BearerAuth"]

log = logging.getLogger("carecert.auth")


class OAuth2BearerAuth(httpx.Auth):
    """httpx auth that adds ``Authorization: Bearer`` from an OAuth2TokenSource.

    ``token_client`` sends the token requests. It may be the client this
    auth is attached to, because token requests are sent without auth. On an
    HTTP 401 the auth drops the token, fetches a new one and sends the
    request once more. A second 401 raises AuthenticationError. Works with
    httpx.AsyncClient only.
    """

    # The body is read up front so that the retry can send it again.
    requires_request_body = True

    def __init__(
        self,
        source: OAuth2TokenSource,
        token_client: httpx.AsyncClient,
        *,
        check: str = "Check that the client is allowed to call this API "
        "and that the token's scopes cover it.",
    ) -> None:
        self.source = source
        self.token_client = token_client
        self.check = check

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise ConfigurationError(
            f"{self.source.provider_id}: OAuth2BearerAuth fetches tokens "
            "asynchronously. Use it with httpx.AsyncClient."
        )
        yield request  # pragma: no cover - makes this function a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.source.access_token(self.token_client)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return

        provider = self.source.provider_id
        operation = f"{request.method} {request.url.path}"
        log.info(
            "%s %s: HTTP 401, fetching a new access token and retrying once",
            provider,
            operation,
        )
        self.source.invalidate(token)
        token = await self.source.access_token(self.token_client)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            raise AuthenticationError(
                provider,
                operation,
                "HTTP 401 again with a newly issued access token. " + self.check,
            )

    def __repr__(self) -> str:
        return f"<OAuth2BearerAuth source={self.source!r}>"
