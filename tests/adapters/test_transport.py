"""build_async_client: timeouts, transports and the per-exchange log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
from carecert.adapters.transport import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    build_async_client,
)

INFO = ProviderInfo(
    id="transport-test",
    name="Transport test provider",
    type=ProviderType.MOCK,
    country="GB",
    regions=("UK",),
    compliance=(),
    primary_auth=AuthMethod.API_KEY,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)


def echo(status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, text="body"))


@pytest.mark.asyncio
async def test_one_info_line_per_exchange(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="carecert.http")

    async with build_async_client(INFO, {"transport": echo(404)}) as client:
        await client.get(
            "https://user:pw@example.org:8443/Patient/1?name=secret#frag",
            headers={"Authorization": "Bearer hidden-token"},
        )

    records = [r for r in caplog.records if r.name == "carecert.http"]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO
    assert records[0].getMessage() == (
        "GET https://example.org:8443/Patient/1 -> 404 (provider transport-test)"
    )
    assert "secret" not in caplog.text
    assert "pw" not in caplog.text
    assert "hidden-token" not in caplog.text
    assert "body" not in caplog.text


@pytest.mark.asyncio
async def test_log_arguments_are_lazy(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="carecert.http")

    async with build_async_client(INFO, {"transport": echo()}) as client:
        await client.get("https://example.org/x")

    (record,) = [r for r in caplog.records if r.name == "carecert.http"]
    assert record.msg == "%s %s -> %d (provider %s)"
    assert record.args == ("GET", "https://example.org/x", 200, "transport-test")


def test_default_timeouts() -> None:
    client = build_async_client(INFO, {})

    assert client.timeout.read == DEFAULT_TIMEOUT
    assert client.timeout.connect == DEFAULT_CONNECT_TIMEOUT


def test_configured_timeouts() -> None:
    client = build_async_client(INFO, {"timeout": "2.5", "connect_timeout": 1})

    assert client.timeout.read == 2.5
    assert client.timeout.write == 2.5
    assert client.timeout.pool == 2.5
    assert client.timeout.connect == 1.0


@pytest.mark.parametrize("value", [0, -1, "soon", float("nan")])
def test_bad_timeout_rejected(value: object) -> None:
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        build_async_client(INFO, {"timeout": value})


def test_transport_must_be_async() -> None:
    with pytest.raises(ConfigurationError, match="got str"):
        build_async_client(INFO, {"transport": "asgi"})


@pytest.mark.asyncio
async def test_argument_overrides_config_transport() -> None:
    async with build_async_client(
        INFO, {"transport": echo(500)}, transport=echo(201)
    ) as client:
        response = await client.get("https://example.org/")

    assert response.status_code == 201


def test_tls_settings_checked() -> None:
    with pytest.raises(ConfigurationError, match="TLSv1.1"):
        build_async_client(INFO, {"tls_min_version": "TLSv1.1"})


@pytest.mark.asyncio
async def test_base_url_applied() -> None:
    async with build_async_client(
        INFO, {}, base_url="https://example.org/api/", transport=echo()
    ) as client:
        response = await client.get("items")

    assert str(response.request.url) == "https://example.org/api/items"
