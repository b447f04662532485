"""Self-signed certificates that provider harnesses make from the session key.

Several adapters need a client certificate, a SAML signing certificate or a
PKCS#12 bundle where the real service would issue one. The harnesses build
each from the session's RSA key (``HarnessKeys.private_key_path``) and write
it beside that key, so every test session gets its own and none reaches the
repository. Only the in-process simulators accept these certificates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "CertificateEncoder",
    "certificate_and_key_pem",
    "certificate_pem",
    "load_rsa_key",
    "self_signed_certificate",
    "write_self_signed",
]

CertificateEncoder = Callable[[rsa.RSAPrivateKey, x509.Certificate], bytes]
"""Turns the key and its certificate into the bytes of the file to write."""

VALIDITY_BEFORE = timedelta(days=1)
"""How far before now a certificate becomes valid, to absorb clock skew."""

VALIDITY_AFTER = timedelta(days=30)
"""How long after now a certificate stays valid, longer than any test session."""


def load_rsa_key(private_key_path: Path) -> rsa.RSAPrivateKey:
    """Read the unencrypted PEM RSA key at ``private_key_path``."""
    key = serialization.load_pem_private_key(private_key_path.read_bytes(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(
            f"{private_key_path} contains a {type(key).__name__}, but the "
            "harness certificates need an RSA key."
        )
    return key


def self_signed_certificate(
    key: rsa.RSAPrivateKey, subject: Sequence[x509.NameAttribute]
) -> x509.Certificate:
    """Sign a certificate for ``key`` whose subject and issuer are ``subject``."""
    name = x509.Name(list(subject))
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - VALIDITY_BEFORE)
        .not_valid_after(now + VALIDITY_AFTER)
        .sign(key, hashes.SHA256())
    )


def certificate_pem(key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bytes:
    """Encode the certificate alone as PEM."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def certificate_and_key_pem(
    key: rsa.RSAPrivateKey, certificate: x509.Certificate
) -> bytes:
    """Encode the certificate and then the unencrypted PKCS#8 key, both PEM."""
    return certificate.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_self_signed(
    private_key_path: Path,
    file_name: str,
    common_name: str,
    *,
    encode: CertificateEncoder = certificate_pem,
    extra_subject: Sequence[x509.NameAttribute] = (),
    mode: int | None = None,
) -> Path:
    """Write a self-signed certificate for the RSA key at ``private_key_path``.

    The file is ``file_name`` beside the key and is reused while it exists.
    ``encode`` chooses what the file contains, ``extra_subject`` follows the
    common name in the subject, and ``mode`` sets the file's permissions, for
    files that contain the private key.
    """
    path = private_key_path.parent / file_name
    if path.exists():
        return path
    key = load_rsa_key(private_key_path)
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), *extra_subject]
    certificate = self_signed_certificate(key, subject)
    path.write_bytes(encode(key, certificate))
    if mode is not None:
        path.chmod(mode)
    return path
