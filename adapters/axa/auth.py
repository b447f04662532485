"""AXA partner authentication: an API key plus a JWT signed by the partner.

Every request carries the API key in ``x-api-key`` and ``Authorization:
Bearer`` with a new JWT signed by the partner's private key. The JWT's
``iss`` and ``sub`` are the partner code, ``aud`` is the API base URL, and it
carries ``iat``, ``exp`` (JWT_LIFETIME seconds later), a UUID4 ``jti`` and a
``partner_code`` claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecert.adapters.auth import (
    ApiKeyJwtAuth,
    JWTAssertionSigner,
    load_private_key,
)
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "API_KEY_HEADER",
    "JWT_ALGORITHM",
    "JWT_LIFETIME",
    "PartnerJwtSigner",
    "build_auth",
]

API_KEY_HEADER = "x-api-key"

JWT_ALGORITHM = "RS256"

JWT_LIFETIME = 60
"""Seconds a partner JWT is valid. Each request signs a new one, so the
lifetime only has to cover transit and clock skew."""


class PartnerJwtSigner(JWTAssertionSigner):
    """JWT signer whose every JWT also carries the ``partner_code`` claim."""

    def __init__(self, *, partner_code: str, **kwargs: Any) -> None:
        super().__init__(client_id=partner_code, **kwargs)
        self.partner_code = partner_code

    def sign(self, audience: str, claims: Mapping[str, Any] | None = None) -> str:
        """Sign a new JWT for ``audience`` with the partner_code claim."""
        return super().sign(
            audience, {"partner_code": self.partner_code, **(claims or {})}
        )


def build_auth(
    provider_id: str,
    config: Mapping[str, Any],
    *,
    api_key: str,
    partner_code: str,
    audience: str,
) -> ApiKeyJwtAuth:
    """Build the httpx auth from the key config keys.

    Config keys: ``private_key_path`` (PEM RSA key whose public key AXA
    registered for the partner), ``key_id`` (the ``kid`` it was registered
    under) and optional ``private_key_password``.
    """
    path = config.get("private_key_path")
    if not path:
        raise ConfigurationError(
            f"{provider_id}: config key 'private_key_path' is missing. Set it to "
            "the PEM private key whose public key AXA registered for partner "
            f"{partner_code}."
        )
    key_id = config.get("key_id")
    if not isinstance(key_id, str) or not key_id:
        raise ConfigurationError(
            f"{provider_id}: config key 'key_id' is missing. Set it to the kid "
            "under which the public key of private_key_path was registered."
        )
    signer = PartnerJwtSigner(
        provider_id=provider_id,
        partner_code=partner_code,
        private_key=load_private_key(
            provider_id,
            path,
            config.get("private_key_password"),
            algorithm=JWT_ALGORITHM,
        ),
        key_id=key_id,
        algorithm=JWT_ALGORITHM,
        lifetime=JWT_LIFETIME,
    )
    return ApiKeyJwtAuth(
        provider_id, api_key, signer, audience=audience, header_name=API_KEY_HEADER
    )
