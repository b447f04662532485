"""The client TLS policy from build_ssl_context, checked against real servers.

Each test runs a TLS server on 127.0.0.1 and connects with the same
httpx.AsyncClient setup that adapters use.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.tls import build_ssl_context
from carecert.harness.tls_servers import (
    MISMATCHED_HOSTNAME,
    LegacyTLSUnavailable,
    TLSServer,
    describe_tls_failure,
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
