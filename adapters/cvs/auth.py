"""OAuth 2.0 client credentials plus an API key header for the CVS API.

The client authenticates at the token endpoint with HTTP Basic (RFC 6749
section 2.3.1) and sends the access token as a Bearer token. Every API
request also carries the API key in ``x-api-key``. The key defaults to the
client id, because API gateways that issue one consumer key use it for both.
The config key ``api_key`` (or ``$CVS_API_KEY``) overrides it.
"""

from __future__ import annotations

from typing import Any

from carecert.adapters.auth import (
    ClientCredentialsGrant,
    OAuth2TokenSource,
    TokenEndpointAuth,
)
from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderInfo

__all__ = [
    "API_KEY_HEADER",
    "BEARER_CHECK",
    "SCOPES",
    "build_token_source",
    "checked_api_key",
]

API_KEY_HEADER = "x-api-key"

SCOPES = ("prescription.read", "immunization.write")
"""OAuth 2.0 scopes the adapter requests, one per CVS operation."""

BEARER_CHECK = (
    "Check api_key (sent as x-api-key; client_id by default), and that the "
    "token's scopes cover this operation."
)
"""Advice for an API request rejected twice with HTTP 401."""


def build_token_source(
    info: ProviderInfo, client_id: Any, client_secret: Any, token_url: str
) -> OAuth2TokenSource:
    """Build the cached token source that authenticates with HTTP Basic."""
    if not isinstance(client_id, str) or not client_id:
        raise ConfigurationError(
            f"{info.id}: config key 'client_id' (or $CVS_CLIENT_ID) is missing. "
            "Set it to the OAuth 2.0 client id that CVS issued."
        )
    if not isinstance(client_secret, str) or not client_secret:
        raise ConfigurationError(
            f"{info.id}: config key 'client_secret' (or $CVS_CLIENT_SECRET) is "
            "missing. Set it to the secret issued with client_id."
        )
    return OAuth2TokenSource(
        provider_id=info.id,
        token_url=token_url,
        client_auth=TokenEndpointAuth.client_secret_basic(
            info.id, client_id, client_secret
        ),
        grant=ClientCredentialsGrant(SCOPES),
        check="Check client_id and client_secret.",
    )


def checked_api_key(info: ProviderInfo, value: Any) -> str:
    """Return the API key, or raise ConfigurationError for an unusable one."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ConfigurationError(
            f"{info.id}: config key 'api_key' is empty or not printable text. "
            "Set it to the API key CVS issued, or leave it out to send client_id."
        )
    return value
