"""The NASH PKI certificate that authenticates the organisation over mutual TLS.

Services Australia issues the certificate as a PKCS#12 file (``.p12`` or
``.pfx``) protected by a password. The adapter also takes a PEM certificate
with its PEM key. Python's ssl module loads client keys only from files, so
the decrypted key is written, for the moment of loading, to a private
temporary folder that is removed straight after.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from carecert.adapters.errors import ConfigurationError

__all__ = [
    "PASSWORD_ENV",
    "PKCS12_SUFFIXES",
    "ClientCredential",
    "load_client_credential",
    "pem_files",
]

PKCS12_SUFFIXES = (".p12", ".pfx")
PASSWORD_ENV = "MEDICARE_PKI_PASSWORD"
"""Environment variable read when ``pki_certificate_password`` is not set."""


@dataclass(frozen=True)
class ClientCredential:
    """A client certificate chain and its private key, as PEM bytes in memory."""

    certificate: x509.Certificate
    chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)


def load_client_credential(
    provider_id: str, config: Mapping[str, Any], *, now: datetime | None = None
) -> ClientCredential:
    """Load ``pki_certificate`` (PKCS#12, or PEM with ``pki_key``).

    Keys: ``pki_certificate`` (a path) and ``pki_certificate_password`` (the
    PKCS#12 password, or ``$MEDICARE_PKI_PASSWORD``). A PEM certificate
    takes ``pki_key``, its PEM key, which may be left out when the
    certificate file contains the key, and ``pki_key_password``. Raises
    ConfigurationError for a missing file, a wrong password, a key that does
    not match the certificate, or a certificate outside its validity period.
    """
    configured = config.get("pki_certificate")
    if not configured:
        raise ConfigurationError(
            f"{provider_id}: config key 'pki_certificate' is missing. Set it to the "
            "NASH PKI certificate file (.p12) that Services Australia issued."
        )
    path = Path(str(configured)).expanduser()
    data = _read(provider_id, "pki_certificate", path)
    if path.suffix.lower() in PKCS12_SUFFIXES:
        key, certificate, chain = _from_pkcs12(provider_id, config, path, data)
    else:
        key, certificate, chain = _from_pem(provider_id, config, path, data)
    _check_pair(provider_id, path, key, certificate)
    _check_validity(provider_id, path, certificate, now or datetime.now(UTC))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain_pem = b"".join(
        member.public_bytes(serialization.Encoding.PEM)
        for member in (certificate, *chain)
    )
    return ClientCredential(certificate, chain_pem, key_pem)


@contextmanager
def pem_files(credential: ClientCredential) -> Iterator[dict[str, str]]:
    """Write the credential to private files and yield the TLS config keys.

    Yields ``client_cert`` and ``client_key`` paths. The folder is readable
    by this user only and is deleted when the block ends, so load the TLS
    context inside the block.
    """
    folder = Path(tempfile.mkdtemp(prefix="carecert-pki-"))
    try:
        certificate = folder / "certificate.pem"
        key = folder / "key.pem"
        for target, content in (
            (certificate, credential.chain_pem),
            (key, credential.key_pem),
        ):
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
        yield {"client_cert": str(certificate), "client_key": str(key)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read(provider_id: str, key: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"{provider_id}: cannot read {key} {path}: {exc.strerror}. "
            "Check the path and its permissions."
        ) from exc


def _password(provider_id: str, config: Mapping[str, Any], key: str) -> bytes | None:
    value = config.get(key)
    if value in (None, "") and key == "pki_certificate_password":
        value = os.environ.get(PASSWORD_ENV) or None
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise ConfigurationError(
        f"{provider_id}: {key} must be a string, got {type(value).__name__}."
    )


def _from_pkcs12(
    provider_id: str, config: Mapping[str, Any], path: Path, data: bytes
) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    password = _password(provider_id, config, "pki_certificate_password")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise ConfigurationError(
            f"{provider_id}: cannot open PKCS#12 file {path}: the password is wrong "
            "or the file is not PKCS#12. Set pki_certificate_password (or "
            f"${PASSWORD_ENV}) to the password issued with the certificate."
        ) from exc
    if key is None or certificate is None:
        raise ConfigurationError(
            f"{provider_id}: PKCS#12 file {path} contains no private key and "
            "certificate pair. Export the certificate together with its key."
        )
    return key, certificate, list(chain)


def _from_pem(
    provider_id: str, config: Mapping[str, Any], path: Path, data: bytes
) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigurationError(
            f"{provider_id}: pki_certificate {path} is neither PKCS#12 (.p12, .pfx) "
            "nor a PEM certificate."
        ) from exc
    key_path = (
        Path(str(config["pki_key"])).expanduser() if config.get("pki_key") else path
    )
    key_data = data if key_path == path else _read(provider_id, "pki_key", key_path)
    if b"PRIVATE KEY-----" not in key_data:
        raise ConfigurationError(
            f"{provider_id}: config key 'pki_key' is missing and {path} contains no "
            "private key. Set pki_key to the PEM key of the certificate."
        )
    try:
        key = serialization.load_pem_private_key(
            key_data, _password(provider_id, config, "pki_key_password")
        )
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{provider_id}: cannot load the private key in {key_path}: the "
            "pki_key_password is wrong or missing, or the file is not a PEM key."
        ) from exc
    return key, certificates[0], certificates[1:]


def _check_pair(
    provider_id: str, path: Path, key: Any, certificate: x509.Certificate
) -> None:
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != (
        certificate.public_key().public_bytes(encoding, public)
    ):
        raise ConfigurationError(
            f"{provider_id}: the private key does not belong to the certificate in "
            f"{path}. Give the key that was issued with this certificate."
        )


def _check_validity(
    provider_id: str, path: Path, certificate: x509.Certificate, now: datetime
) -> None:
    start = certificate.not_valid_before_utc
    end = certificate.not_valid_after_utc
    if not start <= now <= end:
        raise ConfigurationError(
            f"{provider_id}: the certificate in {path} is valid from "
            f"{start.isoformat()} to {end.isoformat()}, not now. Renew it with "
            "Services Australia."
        )
