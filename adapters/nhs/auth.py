"""Signed-JWT client authentication for NHS England's API platform.

The application-restricted pattern is OAuth 2.0 client credentials with a
private-key JWT client assertion (RFC 7523). The client signs a short-lived
JWT with the application's RSA key and posts it to the token endpoint. It
sends the returned access token as a Bearer token until shortly before the
token expires. The shared classes in carecert.adapters.auth do the work; this
module fixes NHS England's choices: RS512, and the API key as client id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from joserfc.jwk import RSAKey

from carecert.adapters.auth import (
    CLIENT_ASSERTION_TYPE,
    REFRESH_MARGIN,
    JWTAssertionSigner,
    OAuth2TokenSource,
    TokenEndpointAuth,
)
from carecert.adapters.auth import load_private_key as load_signing_key
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "ASSERTION_LIFETIME",
    "CLIENT_ASSERTION_TYPE",
    "REFRESH_MARGIN",
    "SIGNING_ALGORITHM",
    "ClientAssertionAuth",
    "load_private_key",
]

SIGNING_ALGORITHM = "RS512"
ASSERTION_LIFETIME = 300
"""Seconds a client assertion is valid. NHS England allows at most five minutes."""

_CHECK = (
    "Check api_key, key_id and that the public key registered for the app "
    "matches private_key_path."
)


def load_private_key(
    provider_id: str, path: str | Path, password: str | None = None
) -> RSAKey:
    """Load the PEM RSA private key registered with NHS England."""
    key = load_signing_key(provider_id, path, password, algorithm=SIGNING_ALGORITHM)
    if not isinstance(key, RSAKey):  # pragma: no cover - RS512 loads RSA keys only
        raise ConfigurationError(
            f"{provider_id}: private_key_path {str(path)!r} is not an RSA key."
        )
    return key


class ClientAssertionAuth(OAuth2TokenSource):
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
        self.key_id = key_id
        self.signer = JWTAssertionSigner(
            provider_id=provider_id,
            client_id=api_key,
            private_key=private_key,
            key_id=key_id,
            algorithm=SIGNING_ALGORITHM,
            lifetime=ASSERTION_LIFETIME,
            clock=clock,
        )
        super().__init__(
            provider_id=provider_id,
            token_url=token_url,
            client_auth=TokenEndpointAuth.private_key_jwt(self.signer),
            refresh_margin=REFRESH_MARGIN,
            check=_CHECK,
            clock=clock,
        )

    def client_assertion(self) -> str:
        """Sign a new client assertion for ``token_url`` with a fresh ``jti``."""
        return self.signer.sign(self.token_url)

    def __repr__(self) -> str:
        # Leaves out the API key, the private key and the token.
        return (
            f"<ClientAssertionAuth provider={self.provider_id!r} "
            f"token_url={self.token_url!r} kid={self.key_id!r}>"
        )
