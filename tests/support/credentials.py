"""Keys and certificates that tests generate into temporary files.

Nothing here is ever committed: each helper writes fresh material into a
directory the test owns.
"""

from __future__ import annotations

from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.harness.providers import HarnessKeys


def new_rsa_key() -> rsa.RSAPrivateKey:
    """Generate a 2048-bit RSA key for a test to sign with."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_private_key(key: rsa.RSAPrivateKey, path: Path) -> Path:
    """Write ``key`` to ``path`` as unencrypted PKCS#8 PEM and return the path."""
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def public_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """Return the public half of ``key`` as SubjectPublicKeyInfo PEM."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_new_rsa_key(directory: Path, name: str = "private.pem") -> Path:
    """Write a new RSA key into ``directory`` and return the file's path."""
    return write_private_key(new_rsa_key(), directory / name)


def write_issued_cert(
    issued: trustme.LeafCert, certificate: Path, key: Path
) -> tuple[Path, Path]:
    """Write a trustme leaf certificate and its key as PEM files."""
    issued.cert_chain_pems[0].write_to_path(str(certificate))
    issued.private_key_pem.write_to_path(str(key))
    return certificate, key


def write_untrusted_client_cert(common_name: str, directory: Path) -> tuple[Path, Path]:
    """Write a client certificate from a CA that no simulator trusts."""
    return write_issued_cert(
        trustme.CA().issue_cert(common_name),
        directory / "cert.pem",
        directory / "key.pem",
    )


def rsa_harness_keys(
    key: rsa.RSAPrivateKey, directory: Path, api_key: str
) -> HarnessKeys:
    """Return the HarnessKeys a suite would pass, for an RSA-signing adapter."""
    return HarnessKeys(
        private_key_path=write_private_key(key, directory / "private.pem"),
        public_key_pem=public_key_pem(key),
        key_id="harness-key",
        api_key=api_key,
    )
