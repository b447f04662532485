"""PRODA device authentication for the claiming API: the token request only.

Services Australia's business-to-business APIs accept, besides the PKI
certificate, an access token from PRODA (Provider Digital Access). A PRODA
device signs a JWT with its private key and exchanges it at the PRODA token
endpoint under the JWT bearer grant of RFC 7523 section 2.1.

NOTE: device activation is not implemented. A device must first be
registered in the PRODA portal and activated with its one-time activation
code, which registers the device's public key; PRODA also expects the key to
be refreshed before the device expires. There is no public PRODA test
service, so the claim names below (``iss`` the organisation's RA number,
``sub`` the device name, ``token.aud`` the target service) follow carecert's
reading of the public developer documentation and are checked only against
carecert's simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.auth import (
    JWTAssertionSigner,
    OAuth2TokenSource,
    TokenEndpointAuth,
    load_private_key,
)
from carecert.adapters.endpoints import checked_url
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "JWT_BEARER_GRANT",
    "DeviceAssertionGrant",
    "ProdaSettings",
    "build_proda_token_source",
    "read_proda_settings",
]

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

_REQUIRED = ("organisation_id", "device_name", "device_key", "client_id", "token_url")
_OPTIONAL = ("key_id", "audience", "token_audience", "device_key_password")


@dataclass(frozen=True)
class ProdaSettings:
    """The ``proda`` config mapping of an activated PRODA device."""

    organisation_id: str
    device_name: str
    device_key: str
    client_id: str
    token_url: str
    key_id: str
    audience: str
    token_audience: str | None = None
    device_key_password: str | None = None


def read_proda_settings(provider_id: str, value: Any) -> ProdaSettings | None:
    """Read the ``proda`` config mapping, or return None when it is not set.

    Required keys: ``organisation_id`` (the RA number), ``device_name``,
    ``device_key`` (PEM path of the activated device's RSA private key),
    ``client_id`` and ``token_url``. Optional: ``key_id`` (defaults to the
    device name), ``audience`` (defaults to ``token_url``),
    ``token_audience`` (the service the token is for) and
    ``device_key_password``.
    """
    if value in (None, {}):
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{provider_id}: proda must be a mapping with the keys "
            f"{', '.join(_REQUIRED)}, got {type(value).__name__}."
        )
    unknown = sorted(set(value) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ConfigurationError(
            f"{provider_id}: proda has unknown keys {unknown}. Known keys: "
            f"{', '.join(_REQUIRED + _OPTIONAL)}."
        )
    missing = [
        key
        for key in _REQUIRED
        if not isinstance(value.get(key), str) or not value[key]
    ]
    if missing:
        raise ConfigurationError(
            f"{provider_id}: proda is missing {', '.join(missing)}. Take them from "
            "the PRODA device registration of the organisation."
        )
    token_url = checked_url(
        provider_id,
        "proda.token_url",
        value["token_url"],
        example="https://proda.humanservices.gov.au/",
    )
    return ProdaSettings(
        organisation_id=value["organisation_id"],
        device_name=value["device_name"],
        device_key=value["device_key"],
        client_id=value["client_id"],
        token_url=token_url,
        key_id=str(value.get("key_id") or value["device_name"]),
        audience=str(value.get("audience") or token_url),
        token_audience=value.get("token_audience") or None,
        device_key_password=value.get("device_key_password") or None,
    )


class DeviceAssertionGrant:
    """The JWT bearer grant (RFC 7523 section 2.1) with a device-signed JWT."""

    grant_type = JWT_BEARER_GRANT

    def __init__(self, signer: JWTAssertionSigner, settings: ProdaSettings) -> None:
        self.signer = signer
        self.settings = settings

    def parameters(self, token_url: str) -> Mapping[str, str]:
        claims: dict[str, Any] = {"iss": self.settings.organisation_id}
        if self.settings.token_audience is not None:
            claims["token.aud"] = self.settings.token_audience
        return {"assertion": self.signer.sign(self.settings.audience, claims)}

    def __repr__(self) -> str:
        return f"<DeviceAssertionGrant kid={self.settings.key_id!r}>"


def build_proda_token_source(
    provider_id: str, settings: ProdaSettings
) -> OAuth2TokenSource:
    """Build the cached token source that signs with the device key."""
    signer = JWTAssertionSigner(
        provider_id=provider_id,
        # The JWT subject is the device; the issuer claim is overridden with
        # the organisation in DeviceAssertionGrant.
        client_id=settings.device_name,
        private_key=load_private_key(
            provider_id,
            settings.device_key,
            settings.device_key_password,
            setting="proda.device_key",
        ),
        key_id=settings.key_id,
    )
    return OAuth2TokenSource(
        provider_id=provider_id,
        token_url=settings.token_url,
        client_auth=TokenEndpointAuth.public_client(settings.client_id),
        grant=DeviceAssertionGrant(signer, settings),
        check="Check the proda settings and that the device is activated and "
        "not expired in the PRODA portal.",
    )
