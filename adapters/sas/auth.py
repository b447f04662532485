"""OAuth 2.0 client credentials for SAS, sent over mutual TLS.

SAS registers each integrating provider with a client certificate
(``certificado_digital``) and an OAuth 2.0 client. The token request and
every API request use the certificate. The client authenticates at the token
endpoint with ``client_secret`` (HTTP Basic) or, with ``private_key_path``,
a signed JWT (``private_key_jwt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.auth import (
    ClientCredentialsGrant,
    JWTAssertionSigner,
    OAuth2TokenSource,
    TokenEndpointAuth,
    build_mutual_tls_context,
    load_private_key,
)
from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderInfo

__all__ = ["SCOPES", "build_token_source", "tls_config"]

SCOPES = ("patient:read", "appointment:write", "prescription:read")
"""OAuth 2.0 scopes the adapter requests, one per SAS operation."""


def tls_config(info: ProviderInfo, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``config`` with the SAS certificate keys as the TLS keys.

    ``certificado_digital`` becomes ``client_cert`` and ``clave_certificado``
    (its private key; optional when the certificate PEM contains the key)
    becomes ``client_key``. Raises ConfigurationError if the certificate is
    missing or does not load.
    """
    merged = dict(config)
    certificate = config.get("certificado_digital") or config.get("client_cert")
    if not certificate:
        raise ConfigurationError(
            f"{info.id}: config key 'certificado_digital' is missing. Set it to "
            "the PEM file of the provider certificate that SAS registered."
        )
    merged["client_cert"] = str(certificate)
    key = config.get("clave_certificado") or config.get("client_key")
    if key:
        merged["client_key"] = str(key)
    elif not config.get("client_cert_includes_key"):
        raise ConfigurationError(
            f"{info.id}: config key 'clave_certificado' is missing. Set it to the "
            "PEM private key of certificado_digital, or set "
            "client_cert_includes_key to true if the certificate file contains it."
        )
    # Loads the certificate now, so that a bad path fails at construction.
    build_mutual_tls_context(info, merged)
    return merged


def build_token_source(
    info: ProviderInfo, config: Mapping[str, Any], token_url: str
) -> OAuth2TokenSource:
    """Build the cached token source from ``client_id`` and its credentials.

    Config keys: ``client_id``, then either ``client_secret`` or
    ``private_key_path`` with ``key_id`` and optional ``private_key_password``.
    ``scopes`` replaces SCOPES.
    """
    client_id = config.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise ConfigurationError(
            f"{info.id}: config key 'client_id' is missing. Set it to the OAuth 2.0 "
            "client id that SAS issued when the application was registered."
        )
    if config.get("private_key_path"):
        key_id = config.get("key_id")
        if not isinstance(key_id, str) or not key_id:
            raise ConfigurationError(
                f"{info.id}: config key 'key_id' is missing. Set it to the kid "
                "under which the public key of private_key_path was registered."
            )
        signer = JWTAssertionSigner(
            provider_id=info.id,
            client_id=client_id,
            private_key=load_private_key(
                info.id,
                config["private_key_path"],
                config.get("private_key_password"),
            ),
            key_id=key_id,
        )
        client_auth = TokenEndpointAuth.private_key_jwt(signer)
    elif config.get("client_secret"):
        client_auth = TokenEndpointAuth.client_secret_basic(
            info.id, client_id, str(config["client_secret"])
        )
    else:
        raise ConfigurationError(
            f"{info.id}: neither client_secret nor private_key_path is set. Give "
            "the client secret, or the private key registered for private_key_jwt."
        )
    scopes = config.get("scopes") or SCOPES
    return OAuth2TokenSource(
        provider_id=info.id,
        token_url=token_url,
        client_auth=client_auth,
        grant=ClientCredentialsGrant(scopes),
        check="Check client_id and its client_secret or private_key_path.",
    )
