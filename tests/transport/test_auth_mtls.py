"""Mutual TLS against a real TLS server on 127.0.0.1 that requires client certs."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trustme

from carecert.adapters.auth import (
    OAuth2TokenSource,
    TokenEndpointAuth,
    build_mutual_tls_context,
)
from carecert.adapters.errors import ConfigurationError, ProviderUnavailableError
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
from carecert.adapters.transport import build_async_client

CLIENT_NAME = "client.clinic.example.test"

# NOTE: with TLS 1.3 the server rejects the client certificate after the
# client's handshake has finished, and httpx 0.28 then raises the bare
# ssl.SSLError from the first read instead of an httpx.TransportError.
REJECTED = (httpx.TransportError, ssl.SSLError)

INFO = ProviderInfo(
    id="clinic",
    name="Test clinic",
    type=ProviderType.MOCK,
    country="GB",
    regions=("UK",),
    compliance=(),
    primary_auth=AuthMethod.X509,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)


@dataclass
class MutualTLSServer:
    """An HTTPS server that completes a request only for a trusted client cert."""

    url: str
    client_names: list[str] = field(default_factory=list)
    handshake_errors: list[str] = field(default_factory=list)


def _serve(
    listener: socket.socket,
    context: ssl.SSLContext,
    server: MutualTLSServer,
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with connection:
            connection.settimeout(5)
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    _respond(tls, server)
            except (ssl.SSLError, OSError) as exc:
                server.handshake_errors.append(type(exc).__name__)


def _respond(tls: ssl.SSLSocket, server: MutualTLSServer) -> None:
    peer = tls.getpeercert()
    subject = dict(item[0] for item in peer["subject"]) if peer else {}
    server.client_names.append(str(subject.get("commonName", "")))
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = tls.recv(4096)
        if not chunk:
            return
        received += chunk
    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


@contextmanager
def serve_mutual_tls(ca: trustme.CA) -> Iterator[MutualTLSServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    server = MutualTLSServer(url=f"https://127.0.0.1:{port}/")
    stop = threading.Event()
    thread = threading.Thread(
        target=_serve, args=(listener, context, server, stop), name="mtls-server"
    )
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def write_client_cert(issuer: trustme.CA, directory: Path) -> tuple[Path, Path]:
    leaf = issuer.issue_cert(CLIENT_NAME, common_name=CLIENT_NAME)
    cert_path = directory / "client.pem"
    key_path = directory / "client.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert_path))
    leaf.private_key_pem.write_to_path(str(key_path))
    return cert_path, key_path


async def get(server: MutualTLSServer, config: dict[str, str]) -> httpx.Response:
    async with build_async_client(INFO, config) as client:
        return await client.get(server.url)


@pytest.mark.asyncio
async def test_trusted_client_cert_accepted(
    ca: trustme.CA, ca_bundle: Path, tmp_path: Path
) -> None:
    cert, key = write_client_cert(ca, tmp_path)
    config = {
        "ca_bundle": str(ca_bundle),
        "client_cert": str(cert),
        "client_key": str(key),
    }
    build_mutual_tls_context(INFO, config)

    with serve_mutual_tls(ca) as server:
        response = await get(server, config)

    assert response.status_code == 200
    assert response.text == "ok"
    assert server.client_names == [CLIENT_NAME]
    assert server.handshake_errors == []


@pytest.mark.asyncio
async def test_missing_client_cert_rejected(ca: trustme.CA, ca_bundle: Path) -> None:
    with serve_mutual_tls(ca) as server:
        with pytest.raises(REJECTED):
            await get(server, {"ca_bundle": str(ca_bundle)})

    assert server.client_names == []
    assert len(server.handshake_errors) == 1


@pytest.mark.asyncio
async def test_untrusted_client_cert_rejected(
    ca: trustme.CA, ca_bundle: Path, tmp_path: Path
) -> None:
    cert, key = write_client_cert(trustme.CA(), tmp_path)
    config = {
        "ca_bundle": str(ca_bundle),
        "client_cert": str(cert),
        "client_key": str(key),
    }

    with serve_mutual_tls(ca) as server:
        with pytest.raises(REJECTED):
            await get(server, config)

    assert server.client_names == []
    assert len(server.handshake_errors) == 1


@pytest.mark.asyncio
async def test_token_request_without_client_cert(
    ca: trustme.CA, ca_bundle: Path
) -> None:
    with serve_mutual_tls(ca) as server:
        source = OAuth2TokenSource(
            provider_id="clinic",
            token_url=server.url,
            client_auth=TokenEndpointAuth.public_client("clinic-client"),
        )
        async with build_async_client(INFO, {"ca_bundle": str(ca_bundle)}) as client:
            with pytest.raises(ProviderUnavailableError) as raised:
                await source.access_token(client)

    message = str(raised.value)
    assert message.startswith("clinic token request: ")
    assert "TLS" in message
    assert "client_cert" in message
    assert server.client_names == []


def test_client_cert_required(ca_bundle: Path) -> None:
    with pytest.raises(ConfigurationError, match="'client_cert' is missing"):
        build_mutual_tls_context(INFO, {"ca_bundle": str(ca_bundle)})


def test_client_key_required(ca: trustme.CA, ca_bundle: Path, tmp_path: Path) -> None:
    cert, _ = write_client_cert(ca, tmp_path)

    with pytest.raises(ConfigurationError, match="'client_key' is missing"):
        build_mutual_tls_context(
            INFO, {"ca_bundle": str(ca_bundle), "client_cert": str(cert)}
        )


def test_combined_cert_and_key_file(
    ca: trustme.CA, ca_bundle: Path, tmp_path: Path
) -> None:
    cert, key = write_client_cert(ca, tmp_path)
    combined = tmp_path / "combined.pem"
    combined.write_bytes(cert.read_bytes() + key.read_bytes())

    context = build_mutual_tls_context(
        INFO,
        {
            "ca_bundle": str(ca_bundle),
            "client_cert": str(combined),
            "client_cert_includes_key": True,
        },
    )

    assert context.verify_mode == ssl.CERT_REQUIRED


def test_mismatched_key_rejected(
    ca: trustme.CA, ca_bundle: Path, tmp_path: Path
) -> None:
    cert, _ = write_client_cert(ca, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, other_key = write_client_cert(ca, other)
    config = {
        "ca_bundle": str(ca_bundle),
        "client_cert": str(cert),
        "client_key": str(other_key),
    }

    with pytest.raises(ConfigurationError, match="matching PEM files") as raised:
        build_mutual_tls_context(INFO, config)

    assert "PRIVATE KEY" not in str(raised.value)
