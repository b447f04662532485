"""TLS policy for every provider connection.

One function builds the ssl.SSLContext that all adapter clients use, so the
floor (TLS 1.2), certificate-chain and hostname checks cannot be skipped by one
adapter. Certificate pinning (config ``certificate_pins``) is checked by
PinningBackend, an httpcore network backend, because Python's ssl module has
no verify callback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from carecert.adapters.errors import ConfigurationError, ProviderUnavailableError
from carecert.adapters.provider import ProviderInfo

__all__ = [
    "PIN_MISMATCH",
    "TLS_VERSIONS",
    "PinningBackend",
    "build_ssl_context",
    "certificate_pins",
    "spki_pin_sha256",
]

PIN_MISMATCH = "did not match certificate_pins"
"""Text in the error for a server key that matches none of the pins."""

TLS_VERSIONS = {
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def build_ssl_context(info: ProviderInfo, config: Mapping[str, Any]) -> ssl.SSLContext:
    """Build the client TLS context for ``info`` from its config.

    Config keys: ``ca_bundle`` (PEM file of trusted roots; the system store by
    default), ``tls_min_version`` (``TLSv1.2`` or ``TLSv1.3``; never lower than
    the provider declares), ``client_cert`` and ``client_key`` (PEM files for
    mutual TLS).
    """
    wanted = str(config.get("tls_min_version") or info.tls_min_version)
    if wanted not in TLS_VERSIONS:
        raise ConfigurationError(
            f"{info.id}: tls_min_version {wanted!r} is not allowed. "
            f"Use one of {', '.join(TLS_VERSIONS)}; versions below TLS 1.2 are refused."
        )
    floor = max(TLS_VERSIONS[wanted], TLS_VERSIONS[info.tls_min_version])

    cafile = config.get("ca_bundle")
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    context.minimum_version = floor
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED

    client_cert = config.get("client_cert")
    if client_cert:
        client_key = config.get("client_key")
        try:
            context.load_cert_chain(
                str(client_cert), str(client_key) if client_key else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"{info.id}: cannot load client certificate {client_cert!s}: {exc}. "
                "Check that client_cert and client_key point to matching PEM files."
            ) from exc
    return context


def certificate_pins(info: ProviderInfo, config: Mapping[str, Any]) -> frozenset[str]:
    """Return the configured ``certificate_pins``, checked, or an empty set.

    Each pin is the base64 SHA-256 hash of a SubjectPublicKeyInfo, the
    ``pin-sha256`` format of HPKP (RFC 7469).
    """
    configured = config.get("certificate_pins")
    if configured is None:
        return frozenset()
    if isinstance(configured, str) or not isinstance(configured, Iterable):
        raise ConfigurationError(
            f"{info.id}: certificate_pins must be a list of base64 SHA-256 SPKI "
            f"hashes, got {type(configured).__name__}."
        )
    pins = frozenset(configured)
    if not pins:
        raise ConfigurationError(
            f"{info.id}: certificate_pins is an empty list, which would reject "
            "every server. Give at least one pin-sha256 value, or remove the key."
        )
    for pin in pins:
        if not _is_sha256_pin(pin):
            raise ConfigurationError(
                f"{info.id}: certificate pin {pin!r} is invalid. Give the base64 "
                "SHA-256 hash of the server's SubjectPublicKeyInfo (44 characters, "
                "as printed by: openssl x509 -pubkey -noout | openssl pkey -pubin "
                "-outform der | openssl dgst -sha256 -binary | base64)."
            )
    return pins


def spki_pin_sha256(certificate_der: bytes) -> str:
    """Return the base64 SHA-256 hash of a DER certificate's SubjectPublicKeyInfo."""
    certificate = x509.load_der_x509_certificate(certificate_der)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


class PinningBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that checks the server key against pins.

    The check runs after each TLS handshake and again before every write, so
    no request byte reaches a server whose key matches none of ``pins``, on a
    new or a reused connection. A connection without TLS is rejected too.
    NOTE: only the leaf certificate's key is compared, because Python 3.11's
    ssl module exposes no verified chain, so pin the server's own key and a
    backup key that the provider can switch to.
    """

    def __init__(
        self,
        provider: str,
        pins: frozenset[str],
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.provider = provider
        self.pins = pins
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host, port, timeout, local_address, socket_options
        )
        return _PinnedStream(stream, self, f"{host}:{port}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return _PinnedStream(stream, self, path)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)

    def rejection(self, address: str, found: str) -> ProviderUnavailableError:
        """Build the error for a server at ``address`` whose key pin is ``found``."""
        return ProviderUnavailableError(
            self.provider,
            "TLS connection",
            f"the certificate of {address} {PIN_MISMATCH}: its "
            f"pin-sha256 is {found}, expected one of {', '.join(sorted(self.pins))}. "
            "No request was sent. If the provider has rotated its key, add the "
            "new pin-sha256 to certificate_pins. Otherwise treat the connection "
            "as intercepted and keep the pins.",
        )


class _PinnedStream(httpcore.AsyncNetworkStream):
    def __init__(
        self, stream: httpcore.AsyncNetworkStream, backend: PinningBackend, address: str
    ) -> None:
        self._stream = stream
        self._backend = backend
        self._address = address
        self._verified_der: bytes | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._check_pin()
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        pinned = _PinnedStream(tls, self._backend, self._address)
        await pinned._check_pin()
        return pinned

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

    async def _check_pin(self) -> None:
        ssl_object = self._stream.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        if der is not None and der == self._verified_der:
            return
        found = "none (no TLS certificate)" if der is None else spki_pin_sha256(der)
        if found not in self._backend.pins:
            await self._stream.aclose()
            raise self._backend.rejection(self._address, found)
        self._verified_der = der


def _is_sha256_pin(pin: object) -> bool:
    if not isinstance(pin, str):
        return False
    try:
        return len(base64.b64decode(pin, validate=True)) == hashlib.sha256().digest_size
    except binascii.Error:
        return False
