"""Real TLS servers on 127.0.0.1 for testing the client TLS policy.

``serve_tls`` runs a small HTTPS server in a background thread with the protocol
versions and certificate you choose, and records every handshake it completes
or fails. The compliance suites use it to show that a provider client rejects a
server below TLS 1.2, an untrusted certificate and a certificate for another
host, and that it accepts a correct TLS 1.2 or 1.3 server.
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import trustme

__all__ = [
    "Handler",
    "HandshakeLog",
    "HTTPRequest",
    "HTTPResponse",
    "LegacyTLSUnavailable",
    "MISMATCHED_HOSTNAME",
    "TLSServer",
    "describe_tls_failure",
    "probe_tls_version",
    "respond_ok",
    "serve_legacy_tls",
    "serve_tls",
    "tls_authority",
]

# A name under the reserved .invalid top-level domain (RFC 2606), so a
# certificate issued for it never matches the host the client connects to.
MISMATCHED_HOSTNAME = "wrong-host.invalid"

logger = logging.getLogger(__name__)

_SOCKET_TIMEOUT_S = 5.0
# Longer request bodies are cut to this size, because tests send small ones.
_MAX_BODY_BYTES = 1024 * 1024
_PROTOCOL_REASONS = frozenset(
    {
        "UNSUPPORTED_PROTOCOL",
        "NO_PROTOCOLS_AVAILABLE",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "WRONG_SSL_VERSION",
        "VERSION_TOO_LOW",
    }
)


class LegacyTLSUnavailable(RuntimeError):
    """This Python and OpenSSL build cannot run a server below TLS 1.2."""


@dataclass(frozen=True)
class HTTPRequest:
    """One HTTP/1.1 request as the test server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    tls_version: str


@dataclass(frozen=True)
class HTTPResponse:
    """Response that a handler returns. The server adds the framing headers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


Handler = Callable[[HTTPRequest], HTTPResponse]


def respond_ok(request: HTTPRequest) -> HTTPResponse:
    """Return 200 with a JSON body naming the negotiated TLS version."""
    body = {"status": "ok", "path": request.path, "tls_version": request.tls_version}
    return HTTPResponse(200, json.dumps(body).encode())


class HandshakeLog:
    """Thread-safe record of the handshakes one test server completed or failed."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.versions: list[str] = []
        self.errors: list[str] = []

    def add(self, *, version: str | None = None, error: str | None = None) -> None:
        with self._changed:
            if version is not None:
                self.versions.append(version)
            if error is not None:
                self.errors.append(error)
            self._changed.notify_all()

    def wait(self, count: int, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self.versions) + len(self.errors) >= count, timeout_s
            )


@dataclass(frozen=True)
class TLSServer:
    """Running test server, with its address and the handshakes it recorded.

    ``ca`` is the authority clients should trust. ``issuer`` signed the
    server certificate, and differs from ``ca`` for an untrusted server.
    """

    url: str
    hostname: str
    port: int
    ca: trustme.CA
    issuer: trustme.CA
    certificate_names: tuple[str, ...]
    log: HandshakeLog = field(repr=False, compare=False)

    @property
    def versions(self) -> list[str]:
        """Protocol versions of completed handshakes, e.g. ``["TLSv1.3"]``."""
        return list(self.log.versions)

    @property
    def handshake_errors(self) -> list[str]:
        """Server-side errors of failed handshakes, as ``"Type: message"``."""
        return list(self.log.errors)

    def write_ca_bundle(self, directory: Path) -> Path:
        """Write the trusted CA certificate as PEM, for a client's ``ca_bundle``."""
        path = directory / "ca-bundle.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def wait_for_handshakes(self, count: int, timeout_s: float = 5.0) -> bool:
        """Wait until ``count`` handshakes have succeeded or failed in total.

        The client can see a failure before the server thread records its side,
        so tests wait here before reading ``handshake_errors``. Returns False on
        timeout.
        """
        return self.log.wait(count, timeout_s)


def tls_authority() -> trustme.CA:
    """Return a new throwaway certificate authority for one test."""
    return trustme.CA()


@contextmanager
def serve_tls(
    *,
    ca: trustme.CA,
    max_version: ssl.TLSVersion | None = None,
    min_version: ssl.TLSVersion | None = None,
    trusted: bool = True,
    hostname: str = "127.0.0.1",
    certificate_names: tuple[str, ...] | None = None,
    handler: Handler = respond_ok,
) -> Iterator[TLSServer]:
    """Run an HTTPS server on 127.0.0.1 on a free port until the block exits.

    ``hostname`` goes into the URL and must resolve to 127.0.0.1. The
    certificate is issued for ``certificate_names`` (default: ``hostname``), so
    pass ``(MISMATCHED_HOSTNAME,)`` for a hostname mismatch. With
    ``trusted=False`` a second CA, which the client does not trust, signs the
    certificate. A version bound below TLS 1.2 also lowers the OpenSSL security
    level to 0, which OpenSSL 3.0 needs to offer TLS 1.0 and 1.1.
    """
    if min_version is not None and max_version is not None:
        if min_version > max_version:
            raise ValueError(
                f"min_version {min_version.name} is above max_version "
                f"{max_version.name}. Pass a min_version at or below max_version."
            )
    issuer = ca if trusted else trustme.CA()
    names = certificate_names or (hostname,)
    context = _server_context(issuer.issue_cert(*names), min_version, max_version)
    log = HandshakeLog()
    https = _HTTPSServer(context, log, handler)
    port = https.server_address[1]
    server = TLSServer(
        url=f"https://{hostname}:{port}",
        hostname=hostname,
        port=port,
        ca=ca,
        issuer=issuer,
        certificate_names=names,
        log=log,
    )
    thread = threading.Thread(
        target=https.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"tls-server-{port}",
    )
    thread.start()
    try:
        yield server
    finally:
        https.shutdown()
        https.server_close()
        thread.join()


@contextmanager
def serve_legacy_tls(
    *, ca: trustme.CA, version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_1
) -> Iterator[TLSServer]:
    """Run a server that offers only ``version`` (below TLS 1.2) and prove it.

    A permissive client completes one handshake before the block starts, so
    ``server.versions`` then holds that version. Raises LegacyTLSUnavailable,
    naming the OpenSSL build and the failed step, when no such server can run.
    """
    if version >= ssl.TLSVersion.TLSv1_2:
        raise ValueError(
            f"serve_legacy_tls needs a version below TLSv1_2, got {version.name}. "
            "Use serve_tls for TLS 1.2 and later."
        )
    supported = ssl.HAS_TLSv1 if version == ssl.TLSVersion.TLSv1 else ssl.HAS_TLSv1_1
    if not supported:
        raise LegacyTLSUnavailable(
            f"{ssl.OPENSSL_VERSION} is built without {version.name}, "
            "so no legacy TLS server can run."
        )
    with ExitStack() as stack:
        try:
            server = stack.enter_context(
                serve_tls(ca=ca, min_version=version, max_version=version)
            )
        except (ssl.SSLError, ValueError) as exc:
            raise LegacyTLSUnavailable(
                f"{ssl.OPENSSL_VERSION} cannot configure a server context for "
                f"{version.name}: {exc}"
            ) from exc
        _prove_legacy(server, version)
        yield server


def probe_tls_version(server: TLSServer) -> str:
    """Handshake with ``server`` and return the negotiated version, e.g. "TLSv1.1".

    The permissive client accepts TLS 1.0 and security level 0 so that it can
    show what a legacy server really offers. It trusts the server's issuer and
    checks the hostname.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    server.issuer.configure_trust(context)
    _allow_legacy(context, ssl.TLSVersion.TLSv1, None)
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server.hostname) as tls,
    ):
        version = tls.version()
    if version is None:
        raise ssl.SSLError(f"handshake with {server.url} returned no version")
    return version


def describe_tls_failure(exc: BaseException) -> str:
    """Describe the TLS error in ``exc`` or its causes in one plain sentence.

    httpx raises ConnectError with the ssl error as ``__cause__`` or
    ``__context__``, so this function walks that chain.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                "certificate verification failed: "
                f"{current.verify_message} (OpenSSL verify code {current.verify_code})"
            )
        if isinstance(current, ssl.SSLError):
            reason = current.reason or "unknown reason"
            if reason in _PROTOCOL_REASONS:
                return f"TLS protocol version rejected: {reason} ({current})"
            return f"TLS handshake failed: {reason} ({current})"
        current = current.__cause__ or current.__context__
    return f"no TLS error in the chain: {type(exc).__name__}: {exc}"


def _server_context(
    cert: trustme.LeafCert,
    min_version: ssl.TLSVersion | None,
    max_version: ssl.TLSVersion | None,
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    bounds = [v for v in (min_version, max_version) if v is not None]
    if any(v < ssl.TLSVersion.TLSv1_2 for v in bounds):
        _allow_legacy(context, min_version or ssl.TLSVersion.TLSv1, max_version)
        return context
    if min_version is not None:
        context.minimum_version = min_version
    if max_version is not None:
        context.maximum_version = max_version
    return context


def _allow_legacy(
    context: ssl.SSLContext,
    min_version: ssl.TLSVersion,
    max_version: ssl.TLSVersion | None,
) -> None:
    # At its default security level OpenSSL 3.0 offers no cipher for TLS 1.0 or
    # 1.1 (3.0.19 fails with NO_CIPHERS_AVAILABLE), so this lowers it to 0.
    # Python 3.10+ warns when these versions are set, which is deliberate here.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = min_version
        if max_version is not None:
            context.maximum_version = max_version


def _prove_legacy(server: TLSServer, version: ssl.TLSVersion) -> None:
    expected = {ssl.TLSVersion.TLSv1: "TLSv1", ssl.TLSVersion.TLSv1_1: "TLSv1.1"}
    try:
        negotiated = probe_tls_version(server)
    except OSError as exc:
        server.wait_for_handshakes(1, timeout_s=1.0)
        server_side = "; ".join(server.handshake_errors) or "no server-side error"
        raise LegacyTLSUnavailable(
            f"{ssl.OPENSSL_VERSION}: a permissive client could not complete a "
            f"{version.name} handshake with the test server. Client error: "
            f"{exc}. Server error: {server_side}."
        ) from exc
    # The client can finish before the server thread records its side.
    server.wait_for_handshakes(1)
    if negotiated != expected.get(version):
        raise LegacyTLSUnavailable(
            f"{ssl.OPENSSL_VERSION}: the test server limited to {version.name} "
            f"negotiated {negotiated}, so it does not prove a legacy-only server."
        )


class _HTTPSServer(socketserver.ThreadingTCPServer):
    """A threading TCP server that runs the TLS handshake on each connection.

    It uses blocking sockets because an asyncio server (Python 3.11) closes the
    connection without sending the TLS alert when a handshake fails. The client
    then sees an EOF in place of the protocol_version alert a real server sends.
    """

    allow_reuse_address = False
    daemon_threads = False
    block_on_close = True

    def __init__(
        self, context: ssl.SSLContext, log: HandshakeLog, handler: Handler
    ) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.context = context
        self.log = log
        self.handler = handler
        self.url = f"https://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_SOCKET_TIMEOUT_S)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError as exc:
            self.log.add(error=f"{type(exc).__name__}: {exc}")
            return
        with tls:
            self.log.add(version=tls.version() or "unknown")
            self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("TLS test server %s: request failed", self.url)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPSServer

    def do_GET(self) -> None:
        self._respond()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _respond(self) -> None:
        length = min(int(self.headers.get("Content-Length", "0")), _MAX_BODY_BYTES)
        request = HTTPRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
            tls_version=self.connection.version() or "unknown",
        )
        try:
            response = self.server.handler(request)
        except Exception as exc:
            logger.exception("TLS test server %s: handler failed", self.server.url)
            message = f"test server handler raised {type(exc).__name__}: {exc}"
            response = HTTPResponse(500, message.encode(), "text/plain")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("TLS test server %s: " + format, self.server.url, *args)
