"""block_network: only loopback and unix sockets are reachable, and nothing resolves."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecert.harness.errors import NetworkBlockedError
from carecert.harness.network import block_network, is_allowed_host

from .conftest import RunningServer

REAL_HOST = "api.service.nhs.uk"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every name the real resolver is asked for while the guard is on."""
    seen: list[Any] = []
    original = socket.getaddrinfo

    def recording_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(host)
        return original(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    return seen


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        (None, True),
        ("", True),
        (REAL_HOST, False),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("localhost.example.com", False),
    ],
)
def test_is_allowed_host(host: str | None, allowed: bool) -> None:
    assert is_allowed_host(host) is allowed


def test_allow_hosts_extends_the_list() -> None:
    assert is_allowed_host("sim.internal", ["sim.internal"])
    assert not is_allowed_host("sim.internal")


@pytest.mark.asyncio
async def test_async_request_blocked_before_dns(lookups: list[Any]) -> None:
    """httpx to a real host fails fast with NetworkBlockedError and resolves nothing."""
    started = time.monotonic()
    with block_network():
        async with httpx.AsyncClient() as client:
            with pytest.raises(NetworkBlockedError) as caught:
                await client.get(
                    f"https://{REAL_HOST}/personal-demographics/FHIR/R4/Patient/1"
                )
    assert time.monotonic() - started < 2
    assert caught.value.host == REAL_HOST
    assert caught.value.port == 443
    assert lookups == []
    message = str(caught.value)
    assert f"{REAL_HOST}:443" in message
    assert "--record-mode=once" in message
    assert "allow_hosts" in message


def test_sync_request_blocked_before_dns(lookups: list[Any]) -> None:
    with block_network():
        with httpx.Client() as client:
            with pytest.raises(NetworkBlockedError):
                client.get(f"https://{REAL_HOST}/")
    assert lookups == []


def test_raw_socket_connect_to_ip_blocked() -> None:
    """A literal non-loopback address never reaches connect()."""
    with block_network(), socket.socket() as sock:
        with pytest.raises(NetworkBlockedError) as caught:
            sock.connect(("192.0.2.1", 80))
        with pytest.raises(NetworkBlockedError):
            sock.connect_ex(("192.0.2.1", 80))
    assert caught.value.host == "192.0.2.1"
    assert caught.value.port == 80


def test_udp_datagram_blocked() -> None:
    with block_network(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlockedError):
            sock.sendto(b"query", ("192.0.2.53", 53))


def test_name_resolution_blocked() -> None:
    with block_network():
        with pytest.raises(NetworkBlockedError):
            socket.gethostbyname(REAL_HOST)
        with pytest.raises(NetworkBlockedError):
            socket.create_connection((REAL_HOST, 443), timeout=1)


def test_error_is_not_an_oserror() -> None:
    """HTTP clients retry or wrap OSError; the guard's error must pass through."""
    assert not issubclass(NetworkBlockedError, OSError)


@pytest.mark.asyncio
async def test_loopback_server_reachable(live_server: RunningServer) -> None:
    with block_network():
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{live_server.base_url}/FHIR/R4/Patient/9000000009"
            )
    assert response.status_code == 200


def test_localhost_name_reachable(live_server: RunningServer) -> None:
    with block_network():
        with httpx.Client() as client:
            response = client.get(
                f"http://localhost:{live_server.port}/FHIR/R4/Patient/9000000009"
            )
    assert response.status_code == 200


def test_unix_socket_allowed(tmp_path: Path) -> None:
    address = str(tmp_path / "sim.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(address)
        server.listen(1)
        with block_network(), socket.socket(socket.AF_UNIX) as client:
            client.connect(address)


def test_guard_restores_socket_module() -> None:
    before = (socket.getaddrinfo, socket.gethostbyname, socket.socket.connect)
    with block_network():
        assert socket.getaddrinfo is not before[0]
    assert (socket.getaddrinfo, socket.gethostbyname, socket.socket.connect) == before
    assert "connect" not in vars(socket.socket)


def test_guard_restores_after_error() -> None:
    before = socket.getaddrinfo
    with pytest.raises(RuntimeError):
        with block_network():
            raise RuntimeError("test body failed")
    assert socket.getaddrinfo is before
