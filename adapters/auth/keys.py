"""Load the private keys and certificates that carecert signs with.

Errors name the provider and the file, never the file's content.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from carecert.adapters.errors import ConfigurationError

__all__ = [
    "JWS_ALGORITHMS",
    "SigningKey",
    "load_certificate_pem",
    "load_private_key",
    "read_pem",
]

SigningKey = RSAKey | ECKey

JWS_ALGORITHMS: dict[str, type[RSAKey] | type[ECKey]] = {
    "RS256": RSAKey,
    "RS384": RSAKey,
    "RS512": RSAKey,
    "ES256": ECKey,
}
"""JWS algorithms carecert signs client assertions with, and their key type."""

_KEY_ADVICE = {
    RSAKey: ("RSA", "`openssl genrsa -out key.pem 4096`"),
    ECKey: ("EC P-256", "`openssl ecparam -name prime256v1 -genkey -out key.pem`"),
}


def read_pem(provider_id: str, setting: str, path: str | Path) -> bytes:
    """Read a PEM file named by config key ``setting``."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"{provider_id}: cannot read {setting} {str(path)!r}: {exc.strerror}. "
            f"Point {setting} at a readable PEM file."
        ) from exc


def load_private_key(
    provider_id: str,
    path: str | Path,
    password: str | None = None,
    *,
    algorithm: str = "RS256",
    setting: str = "private_key_path",
) -> SigningKey:
    """Load the PEM private key that signs with JWS ``algorithm``."""
    key_type = _key_type(provider_id, algorithm)
    kind, command = _KEY_ADVICE[key_type]
    pem = read_pem(provider_id, setting, path)
    try:
        key = key_type.import_key(pem, password=password)
    except (JoseError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{provider_id}: {setting} {str(path)!r} is not a PEM {kind} private "
            f"key, or its password is wrong. {algorithm} needs an {kind} key; "
            f"generate one with {command}."
        ) from exc
    if not key.is_private:
        raise ConfigurationError(
            f"{provider_id}: {setting} {str(path)!r} contains a public key, "
            "but signing needs the private key."
        )
    if isinstance(key, ECKey) and key.curve_name != "P-256":
        raise ConfigurationError(
            f"{provider_id}: {setting} {str(path)!r} is an EC key on curve "
            f"{key.curve_name}, but ES256 needs curve P-256."
        )
    return key


def load_certificate_pem(provider_id: str, setting: str, path: str | Path) -> bytes:
    """Read a PEM X.509 certificate and check that it parses."""
    pem = read_pem(provider_id, setting, path)
    try:
        x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise ConfigurationError(
            f"{provider_id}: {setting} {str(path)!r} is not a PEM X.509 "
            "certificate. Give the certificate registered with the provider."
        ) from exc
    return pem


def _key_type(provider_id: str, algorithm: str) -> type[RSAKey] | type[ECKey]:
    try:
        return JWS_ALGORITHMS[algorithm]
    except KeyError:
        raise ConfigurationError(
            f"{provider_id}: signing algorithm {algorithm!r} is not supported. "
            f"Use one of {', '.join(JWS_ALGORITHMS)}."
        ) from None
