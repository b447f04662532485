"""Client authentication at the token endpoint (RFC 6749 section 2.3, RFC 7523).

authlib's ``ClientAuth`` adds the credentials to the token request. This
module chooses the method and keeps the secret out of ``repr()``.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from authlib.oauth2.auth import ClientAuth

from carecert.adapters.auth.jwt_assertion import (
    JWTAssertionSigner,
    PrivateKeyJwtClientAuth,
)
from carecert.adapters.errors import ConfigurationError

__all__ = ["CLIENT_AUTH_METHODS", "TokenEndpointAuth"]

CLIENT_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
)
"""Token endpoint client authentication methods, by their RFC 7591 names."""


class TokenEndpointAuth:
    """A client's credentials and the method that sends them to the token endpoint.

    Build one with ``client_secret_basic``, ``client_secret_post``,
    ``private_key_jwt`` or ``public_client``.
    """

    def __init__(self, method: str, authlib_auth: ClientAuth) -> None:
        self.method = method
        self._authlib_auth = authlib_auth

    @classmethod
    def client_secret_basic(
        cls, provider_id: str, client_id: str, client_secret: str
    ) -> TokenEndpointAuth:
        """Send the client id and secret in an HTTP Basic ``Authorization`` header.

        RFC 6749 section 2.3.1 form-urlencodes both before base64, which
        authlib 1.9 does not do, so a secret with ``:`` or ``%`` in it would
        reach the server altered.
        """
        _require_secret(provider_id, client_secret)
        auth = ClientAuth(
            quote_plus(client_id), quote_plus(client_secret), "client_secret_basic"
        )
        return cls("client_secret_basic", auth)

    @classmethod
    def client_secret_post(
        cls, provider_id: str, client_id: str, client_secret: str
    ) -> TokenEndpointAuth:
        """Send the client id and secret as form fields of the token request."""
        _require_secret(provider_id, client_secret)
        auth = ClientAuth(client_id, client_secret, "client_secret_post")
        return cls("client_secret_post", auth)

    @classmethod
    def private_key_jwt(cls, signer: JWTAssertionSigner) -> TokenEndpointAuth:
        """Send a client assertion JWT signed with the client's private key."""
        # PrivateKeyJwtClientAuth reads the client id from the signer, so
        # authlib's client id and secret fields stay empty.
        auth = ClientAuth(None, None, PrivateKeyJwtClientAuth(signer))
        return cls("private_key_jwt", auth)

    @classmethod
    def public_client(cls, client_id: str) -> TokenEndpointAuth:
        """Send only the client id, for clients without credentials."""
        return cls("none", ClientAuth(client_id, None, "none"))

    def prepare(
        self, url: str, headers: dict[str, str], body: str
    ) -> tuple[str, dict[str, str], str]:
        """Add the credentials to a form-encoded token request."""
        url, headers, body = self._authlib_auth.prepare("POST", url, headers, body)
        return url, headers, body

    def __repr__(self) -> str:
        return f"<TokenEndpointAuth method={self.method!r}>"


def _require_secret(provider_id: str, client_secret: str) -> None:
    if not isinstance(client_secret, str) or not client_secret:
        raise ConfigurationError(
            f"{provider_id}: client_secret is missing or empty. Set it to the "
            "secret the provider issued with the client id."
        )
