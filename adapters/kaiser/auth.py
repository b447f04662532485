"""SAML 2.0 bearer assertions exchanged for SMART on FHIR access tokens.

Kaiser's identity provider trusts the SAML signing certificate that the
integrating organisation registered (``saml_certificate``). The adapter signs
a SAML 2.0 assertion with that certificate's key and sends it to the token
endpoint as an RFC 7522 ``saml2-bearer`` grant, with ``client_id`` as a form
field, asking for SMART on FHIR scopes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from carecert.adapters.auth import (
    OAuth2TokenSource,
    Saml2BearerGrant,
    SamlAssertionSigner,
    TokenEndpointAuth,
)
from carecert.adapters.auth.keys import read_pem
from carecert.adapters.errors import ConfigurationError

__all__ = ["SCOPES", "build_token_source", "read_saml_identity"]

SCOPES = (
    "patient/Patient.read",
    "patient/Condition.read",
    "patient/MedicationRequest.read",
    "patient/Immunization.read",
    "user/Appointment.write",
)
"""SMART on FHIR (v1 syntax) scopes the adapter requests, one per resource type."""

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z ]+)-----\r?\n.+?\r?\n-----END \1-----\r?\n?", re.DOTALL
)


def read_saml_identity(
    provider_id: str, config: Mapping[str, Any]
) -> tuple[bytes, bytes]:
    """Return the PEM certificate and PEM private key that sign SAML assertions.

    ``saml_certificate`` names a PEM file with the certificate. The key comes
    from the same file, or from ``saml_private_key`` when that is set.
    """
    path = config.get("saml_certificate")
    if not path:
        raise ConfigurationError(
            f"{provider_id}: config key 'saml_certificate' is missing. Set it to "
            "the PEM file of the SAML signing certificate registered with Kaiser."
        )
    blocks = _pem_blocks(read_pem(provider_id, "saml_certificate", path))
    certificates = [pem for kind, pem in blocks if kind == b"CERTIFICATE"]
    if not certificates:
        raise ConfigurationError(
            f"{provider_id}: saml_certificate {str(path)!r} contains no PEM "
            "certificate. Give the SAML signing certificate registered with Kaiser."
        )
    key_path = config.get("saml_private_key") or path
    setting = (
        "saml_private_key" if config.get("saml_private_key") else "saml_certificate"
    )
    keys = [
        pem
        for kind, pem in _pem_blocks(read_pem(provider_id, setting, key_path))
        if kind.endswith(b"PRIVATE KEY")
    ]
    if not keys:
        raise ConfigurationError(
            f"{provider_id}: {setting} {str(key_path)!r} contains no PEM private "
            "key. Add the certificate's key to the file, or set saml_private_key "
            "to the key's PEM file."
        )
    return certificates[0], keys[0]


def build_token_source(
    provider_id: str, config: Mapping[str, Any], token_url: str
) -> OAuth2TokenSource:
    """Build the cached token source for the SAML 2.0 bearer grant.

    Config keys: ``client_id``, ``saml_certificate`` (with the key, or with
    ``saml_private_key``), optional ``saml_key_password``, ``saml_issuer``
    and ``saml_subject`` (both default to ``client_id``), and ``scopes``,
    which replaces SCOPES.
    """
    client_id = config.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise ConfigurationError(
            f"{provider_id}: config key 'client_id' is missing. Set it to the "
            "OAuth 2.0 client id that Kaiser issued for this application."
        )
    certificate, key = read_saml_identity(provider_id, config)
    password = config.get("saml_key_password")
    signer = SamlAssertionSigner(
        provider_id=provider_id,
        issuer=str(config.get("saml_issuer") or client_id),
        private_key_pem=key,
        certificate_pem=certificate,
        password=password.encode() if isinstance(password, str) else password,
    )
    scopes = config.get("scopes") or SCOPES
    scope = scopes if isinstance(scopes, str) else " ".join(scopes)
    grant = Saml2BearerGrant(
        signer, str(config.get("saml_subject") or client_id), scope=scope
    )
    return OAuth2TokenSource(
        provider_id=provider_id,
        token_url=token_url,
        client_auth=TokenEndpointAuth.public_client(client_id),
        grant=grant,
        check="Check client_id and that saml_certificate is the SAML signing "
        "certificate registered with Kaiser.",
    )


def _pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(match.group(1), match.group(0)) for match in _PEM_BLOCK.finditer(data)]
