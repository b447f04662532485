"""Signed-JWT client authentication for NHS England's API platform.

The application-restricted pattern is OAuth 2.0 client credentials with a
private-key JWT client assertion (RFC 7523). The client signs a short-lived
JWT with the application's RSA key and posts it to the token endpoint. It
sends the returned access token as a Bearer token until shortly before the
token expires.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
)
from carecert.adapters.nhs.responses import raise_for_status, transport_error

__all__ = [
    "ASSERTION_LIFETIME",
    "CLIENT_ASSERTION_TYPE",
    "SIGNING_ALGORITHM",
    "ClientAssertionAuth",
    "load_private_key",
]

log = logging.getLogger("carecert.nhs")

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SIGNING_ALGORITHM = "RS512"
ASSERTION_LIFETIME = 300
"""Seconds a client assertion is valid; NHS England allows at most five minutes."""

REFRESH_MARGIN = 30.0
"""Seconds before expiry at which a cached access token is replaced."""

_OPERATION = "token request"


def load_private_key(
    provider_id: str, path: str | Path, password: str | None = None
) -> RSAKey:
    """Load a PEM RSA private key; errors name the file, never its content."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"{provider_id}: cannot read private_key_path {str(path)!r}: "
            f"{exc.strerror}. Point it at the PEM RSA key registered with NHS England."
        ) from exc
    try:
        key = RSAKey.import_key(pem, password=password)
    except (JoseError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{provider_id}: private_key_path {str(path)!r} is not a PEM RSA "
            "private key, or its password is wrong. Generate one with "
            "`openssl genrsa -out key.pem 4096`."
        ) from exc
    if not key.is_private:
        raise ConfigurationError(
            f"{provider_id}: private_key_path {str(path)!r} contains a public key, "
            "but the client assertion must be signed with the private key."
        )
    return key


class ClientAssertionAuth:
    """Fetch and cache access tokens with a signed client assertion.

    The API key is the JWT issuer and subject, ``key_id`` names the public key
    registered with NHS England, and ``token_url`` is the audience. One token
    is fetched at a time, and it is reused until ``REFRESH_MARGIN`` seconds
    before ``expires_in`` runs out.
    """

    def __init__(
        self,
        *,
        provider_id: str,
        api_key: str,
        private_key: RSAKey,
        key_id: str,
        token_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider_id = provider_id
        self.token_url = token_url
        self.key_id = key_id
        self._api_key = api_key
        self._private_key = private_key
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def client_assertion(self) -> str:
        """Sign a new client assertion with a fresh ``jti``."""
        now = int(self._clock())
        header = {"alg": SIGNING_ALGORITHM, "typ": "JWT", "kid": self.key_id}
        claims = {
            "iss": self._api_key,
            "sub": self._api_key,
            "aud": self.token_url,
            "jti": str(uuid.uuid4()),
            "exp": now + ASSERTION_LIFETIME,
        }
        # joserfc treats RS512 as not recommended, so it must be allowed by name.
        return jwt.encode(
            header, claims, self._private_key, algorithms=[SIGNING_ALGORITHM]
        )

    async def access_token(self, client: httpx.AsyncClient) -> str:
        """Return a valid access token, fetching one if none is cached."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                await self._fetch(client)
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Drop the cached token, so the next call fetches a new one."""
        self._token = None
        self._expires_at = 0.0

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        try:
            response = await client.post(
                self.token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise transport_error(self.provider_id, _OPERATION, exc) from exc
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                self.provider_id,
                _OPERATION,
                f"the token endpoint rejected the client assertion with HTTP "
                f"{response.status_code} ({_oauth_error(response)}). Check api_key, "
                "key_id and that the public key registered for the app matches "
                "private_key_path.",
            )
        raise_for_status(self.provider_id, _OPERATION, response)
        token, expires_in = _token_from(self.provider_id, response)
        self._token = token
        self._expires_at = self._clock() + max(expires_in - REFRESH_MARGIN, 0.0)
        log.info(
            "%s: fetched access token, valid for %.0f s", self.provider_id, expires_in
        )

    def __repr__(self) -> str:
        # Leaves out the API key, the private key and the token.
        return (
            f"<ClientAssertionAuth provider={self.provider_id!r} "
            f"token_url={self.token_url!r} kid={self.key_id!r}>"
        )


def _token_from(provider_id: str, response: httpx.Response) -> tuple[str, float]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidResponseError(
            provider_id,
            _OPERATION,
            "the token endpoint returned a body that is not JSON. "
            "Check token_url points at the OAuth 2.0 token endpoint.",
        ) from exc
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidResponseError(
            provider_id,
            _OPERATION,
            "the token response has no access_token. "
            "Check token_url points at the OAuth 2.0 token endpoint.",
        )
    # NHS England sends expires_in as a string of digits, RFC 6749 as a number.
    raw = body.get("expires_in")
    try:
        expires_in = float(raw)
    except (TypeError, ValueError):
        expires_in = -1.0
    if not expires_in > 0:
        raise InvalidResponseError(
            provider_id,
            _OPERATION,
            f"the token response has expires_in {raw!r}; expected a positive "
            "number of seconds.",
        )
    return token, expires_in


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "no OAuth error body"
    if not isinstance(body, dict):
        return "no OAuth error body"
    error = body.get("error", "no error code")
    description = body.get("error_description")
    return f"{error}: {description}" if description else str(error)
