"""The client TLS policy from build_ssl_context, checked against real servers.

Each test runs a TLS server on 127.0.0.1 and connects with the same
httpx.AsyncClient setup that adapters use.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from carecert.adapters.errors import ConfigurationError, ProviderUnavailableError
from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.tls import (
    PinningBackend,
    build_ssl_context,
    certificate_pins,
    spki_pin_sha256,
)
from carecert.adapters.transport import build_async_client
from carecert.harness.tls_servers import (
    MISMATCHED_HOSTNAME,
    HTTPRequest,
    HTTPResponse,
    LegacyTLSUnavailable,
    TLSServer,
    describe_tls_failure,
    respond_ok,
    serve_legacy_tls,
    serve_tls,
    tls_authority,
)

INFO = ProviderInfo(
    id="tls-policy-test",
    name="TLS policy test provider",
    type=ProviderType.MOCK,
    country="GB",
    regions=("UK",),
    compliance=("UK GDPR",),
    primary_auth=AuthMethod.API_KEY,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(ProviderHost("127.0.0.1", "GB", "TLS test server"),),
)


@pytest.fixture
def ca() -> trustme.CA:
    return tls_authority()


@pytest.fixture(
    params=[ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1], ids=lambda v: v.name
)
def legacy_server(
    request: pytest.FixtureRequest, ca: trustme.CA
) -> Iterator[TLSServer]:
    try:
        with serve_legacy_tls(ca=ca, version=request.param) as server:
            yield server
    except LegacyTLSUnavailable as exc:
        pytest.skip(str(exc))


async def fetch(server: TLSServer, tmp_path: Path, **config: Any) -> httpx.Response:
    settings: Mapping[str, Any] = {
        "ca_bundle": server.write_ca_bundle(tmp_path),
        **config,
    }
    context = build_ssl_context(INFO, settings)
    async with httpx.AsyncClient(verify=context, timeout=10) as client:
        return await client.get(f"{server.url}/ping")


async def fetch_error(server: TLSServer, tmp_path: Path, **config: Any) -> str:
    with pytest.raises(httpx.ConnectError) as caught:
        await fetch(server, tmp_path, **config)
    return describe_tls_failure(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"max_version": ssl.TLSVersion.TLSv1_2}, "TLSv1.2"),
        ({"min_version": ssl.TLSVersion.TLSv1_3}, "TLSv1.3"),
    ],
    ids=["tls12-only", "tls13-only"],
)
async def test_accepts_tls12_and_tls13(
    ca: trustme.CA, tmp_path: Path, bounds: dict[str, ssl.TLSVersion], expected: str
) -> None:
    with serve_tls(ca=ca, **bounds) as server:
        response = await fetch(server, tmp_path)

    assert response.status_code == 200
    assert response.json()["tls_version"] == expected
    assert server.versions == [expected]


@pytest.mark.asyncio
async def test_accepts_localhost_name(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca, hostname="localhost") as server:
        response = await fetch(server, tmp_path)

    assert server.url.startswith("https://localhost:")
    assert response.status_code == 200


@pytest.mark.asyncio
async def test_rejects_legacy_only_server(
    legacy_server: TLSServer, tmp_path: Path
) -> None:
    # The fixture's permissive probe already negotiated the legacy version,
    # so the server really offers it and our client's failure is the policy.
    probe_version = legacy_server.versions[0]
    assert probe_version in {"TLSv1", "TLSv1.1"}

    failure = await fetch_error(legacy_server, tmp_path)

    assert failure.startswith("TLS protocol version rejected"), failure
    assert legacy_server.wait_for_handshakes(2)
    assert legacy_server.versions == [probe_version]
    assert len(legacy_server.handshake_errors) == 1
    assert "UNSUPPORTED_PROTOCOL" in legacy_server.handshake_errors[0]


@pytest.mark.asyncio
async def test_rejects_untrusted_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca, trusted=False) as server:
        failure = await fetch_error(server, tmp_path)
        assert server.wait_for_handshakes(1)

    assert failure.startswith("certificate verification failed"), failure
    assert "unable to get local issuer certificate" in failure
    assert server.versions == []


@pytest.mark.asyncio
async def test_rejects_hostname_mismatch(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca, certificate_names=(MISMATCHED_HOSTNAME,)) as server:
        failure = await fetch_error(server, tmp_path)
        assert server.wait_for_handshakes(1)

    assert failure.startswith("certificate verification failed"), failure
    assert "mismatch" in failure
    assert server.versions == []


@pytest.mark.asyncio
async def test_rejects_test_ca_without_bundle(ca: trustme.CA, tmp_path: Path) -> None:
    # Without ca_bundle the client trusts only the system store, which does
    # not contain the throwaway test CA.
    with serve_tls(ca=ca) as server:
        failure = await fetch_error(server, tmp_path, ca_bundle=None)

    assert failure.startswith("certificate verification failed"), failure


@pytest.mark.asyncio
async def test_tls13_floor_rejects_tls12(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca, max_version=ssl.TLSVersion.TLSv1_2) as server:
        failure = await fetch_error(server, tmp_path, tls_min_version="TLSv1.3")
        assert server.wait_for_handshakes(1)

    assert failure.startswith("TLS protocol version rejected"), failure
    assert server.versions == []


# Certificate pinning (config certificate_pins), enforced by PinningBackend.


def pinned_info(tls_min_version: str = "TLSv1.2") -> ProviderInfo:
    return dataclasses.replace(INFO, tls_min_version=tls_min_version)


def server_pin(server: TLSServer) -> str:
    # One extra handshake, which tests count in wait_for_handshakes.
    pem = ssl.get_server_certificate(("127.0.0.1", server.port))
    return spki_pin_sha256(ssl.PEM_cert_to_DER_cert(pem))


def recording_server(
    ca: trustme.CA, **options: Any
) -> tuple[list[HTTPRequest], AbstractContextManager[TLSServer]]:
    received: list[HTTPRequest] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        received.append(request)
        return respond_ok(request)

    return received, serve_tls(ca=ca, handler=handler, **options)


async def fetch_pinned(
    server: TLSServer, tmp_path: Path, pins: list[str], info: ProviderInfo = INFO
) -> httpx.Response:
    config = {"ca_bundle": server.write_ca_bundle(tmp_path), "certificate_pins": pins}
    async with build_async_client(info, config) as client:
        return await client.get(f"{server.url}/ping")


@pytest.mark.asyncio
async def test_pin_match_accepted(ca: trustme.CA, tmp_path: Path) -> None:
    received, serving = recording_server(ca)
    with serving as server:
        pin = server_pin(server)
        response = await fetch_pinned(server, tmp_path, [OTHER_PIN, pin])

    assert response.status_code == 200
    assert [request.path for request in received] == ["/ping"]


@pytest.mark.asyncio
async def test_pin_mismatch_sends_nothing(ca: trustme.CA, tmp_path: Path) -> None:
    received, serving = recording_server(ca)
    with serving as server:
        actual = server_pin(server)
        with pytest.raises(ProviderUnavailableError) as refused:
            await fetch_pinned(server, tmp_path, [OTHER_PIN])
        assert server.wait_for_handshakes(2)
        handshakes = list(server.versions)

    message = str(refused.value)
    assert refused.value.provider == INFO.id
    assert f"127.0.0.1:{server.port}" in message
    assert "did not match certificate_pins" in message
    assert actual in message
    assert "add the new pin-sha256 to certificate_pins" in message
    # The handshake completed, so the client reached the server, and then sent
    # no request: the server's request log is empty.
    assert len(handshakes) == 2
    assert received == []


@pytest.mark.asyncio
async def test_pin_checked_per_connection(ca: trustme.CA, tmp_path: Path) -> None:
    # The test server closes each connection after one response, so every
    # request opens a new connection, and each one is checked.
    received, serving = recording_server(ca)
    with serving as server:
        pin = server_pin(server)
        config = {
            "ca_bundle": server.write_ca_bundle(tmp_path),
            "certificate_pins": [pin],
        }
        async with build_async_client(INFO, config) as client:
            first = await client.get(f"{server.url}/one")
            second = await client.get(f"{server.url}/two")
        assert server.wait_for_handshakes(3)

    assert first.status_code == 200
    assert second.status_code == 200
    assert [request.path for request in received] == ["/one", "/two"]


@pytest.mark.asyncio
async def test_pin_rechecked_on_reused_connection() -> None:
    # A reused connection whose certificate changed (as after a TLS 1.2
    # renegotiation) is rejected before the next request is written.
    trusted, other = tls_authority(), tls_authority()
    first = trusted.issue_cert("127.0.0.1")
    pin = spki_pin_sha256(_der(first))
    inner = _FakeTLSStream(_der(first))
    backend = PinningBackend(INFO.id, frozenset({pin}), _FakeBackend(inner))
    plain = await backend.connect_tcp("127.0.0.1", 443)
    stream = await plain.start_tls(ssl.create_default_context())

    await stream.write(b"GET /one HTTP/1.1\r\n\r\n")
    inner.certificate_der = _der(other.issue_cert("127.0.0.1"))
    with pytest.raises(ProviderUnavailableError) as refused:
        await stream.write(b"GET /two HTTP/1.1\r\n\r\n")

    assert inner.written == [b"GET /one HTTP/1.1\r\n\r\n"]
    assert inner.closed
    assert "127.0.0.1:443" in str(refused.value)


@pytest.mark.asyncio
async def test_pin_rejects_plain_http() -> None:
    backend = PinningBackend(INFO.id, frozenset({OTHER_PIN}), _FakeBackend(None))
    stream = await backend.connect_tcp("127.0.0.1", 80)

    with pytest.raises(ProviderUnavailableError) as refused:
        await stream.write(b"GET / HTTP/1.1\r\n\r\n")

    assert "no TLS certificate" in str(refused.value)


@pytest.mark.asyncio
async def test_pinned_tls13_floor_rejects_tls12(ca: trustme.CA, tmp_path: Path) -> None:
    received, serving = recording_server(ca, max_version=ssl.TLSVersion.TLSv1_2)
    with serving as server:
        pin = server_pin(server)
        with pytest.raises(httpx.ConnectError) as refused:
            await fetch_pinned(server, tmp_path, [pin], pinned_info("TLSv1.3"))

    failure = describe_tls_failure(refused.value)
    assert failure.startswith("TLS protocol version rejected"), failure
    assert received == []


@pytest.mark.asyncio
async def test_pinned_tls13_server_accepted(ca: trustme.CA, tmp_path: Path) -> None:
    received, serving = recording_server(ca, min_version=ssl.TLSVersion.TLSv1_3)
    with serving as server:
        pin = server_pin(server)
        response = await fetch_pinned(server, tmp_path, [pin], pinned_info("TLSv1.3"))

    assert response.json()["tls_version"] == "TLSv1.3"
    assert len(received) == 1


@pytest.mark.parametrize(
    "pins",
    [[], "abc", ["not base64!"], [base64.b64encode(b"short").decode()]],
    ids=["empty", "string", "not-base64", "wrong-length"],
)
def test_invalid_pins_rejected(pins: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        certificate_pins(INFO, {"certificate_pins": pins})

    assert INFO.id in str(caught.value)
    assert "certificate_pins" in str(caught.value) or "pin" in str(caught.value)


def test_pins_absent_returns_empty() -> None:
    assert certificate_pins(INFO, {}) == frozenset()


OTHER_PIN = base64.b64encode(hashlib.sha256(b"not a real key").digest()).decode()


def _der(certificate: trustme.LeafCert) -> bytes:
    return ssl.PEM_cert_to_DER_cert(certificate.cert_chain_pems[0].bytes().decode())


class _FakeSSLObject:
    def __init__(self, stream: _FakeTLSStream) -> None:
        self._stream = stream

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self._stream.certificate_der


class _FakeTLSStream(httpcore.AsyncNetworkStream):
    def __init__(self, certificate_der: bytes) -> None:
        self.certificate_der = certificate_der
        self.written: list[bytes] = []
        self.closed = False

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.append(buffer)

    async def aclose(self) -> None:
        self.closed = True

    def get_extra_info(self, info: str) -> Any:
        return _FakeSSLObject(self) if info == "ssl_object" else None


class _FakePlainStream(httpcore.AsyncNetworkStream):
    def __init__(self, tls: _FakeTLSStream | None) -> None:
        self._tls = tls

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        raise AssertionError("a pinned client wrote to a plain TCP stream")

    async def aclose(self) -> None:
        pass

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        assert self._tls is not None
        return self._tls

    def get_extra_info(self, info: str) -> Any:
        return None


class _FakeBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, tls: _FakeTLSStream | None) -> None:
        self._tls = tls

    async def connect_tcp(
        self, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        return _FakePlainStream(self._tls)
