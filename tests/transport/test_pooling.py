"""Connection pools and timeouts from provider config, and closing clients."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.simulator import create_app, run_server
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
from carecert.adapters.transport import (
    DEFAULT_KEEPALIVE_EXPIRY,
    DEFAULT_MAX_KEEPALIVE,
    DEFAULT_POOL_SIZE,
    build_async_client,
    build_limits,
    build_timeout,
)

from .conftest import NHS_API_KEY

INFO = ProviderInfo(
    id="pool-test",
    name="Pool test provider",
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

# Limits and timeouts


def test_default_limits() -> None:
    limits = build_limits(INFO, {})

    assert limits.max_connections == DEFAULT_POOL_SIZE
    assert limits.max_keepalive_connections == DEFAULT_MAX_KEEPALIVE
    assert limits.keepalive_expiry == DEFAULT_KEEPALIVE_EXPIRY


def test_configured_limits() -> None:
    limits = build_limits(
        INFO, {"pool_size": 4, "max_keepalive": 2, "keepalive_expiry": "1.5"}
    )

    assert limits.max_connections == 4
    assert limits.max_keepalive_connections == 2
    assert limits.keepalive_expiry == 1.5


def test_small_pool_lowers_keepalive_default() -> None:
    limits = build_limits(INFO, {"pool_size": 3})

    assert limits.max_keepalive_connections == 3


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"pool_size": 0}, "pool_size 0 is invalid"),
        ({"pool_size": "20"}, "pool_size '20' is invalid"),
        ({"pool_size": 2.5}, "pool_size 2.5 is invalid"),
        ({"max_keepalive": -1}, "max_keepalive -1 is invalid"),
        ({"pool_size": 2, "max_keepalive": 3}, "max_keepalive 3 is larger"),
        ({"keepalive_expiry": "never"}, "keepalive_expiry 'never' is invalid"),
        ({"pool_timeout": 0}, "pool_timeout 0 is invalid"),
    ],
)
def test_invalid_pool_config(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        build_async_client(INFO, config)


def test_timeouts_from_config() -> None:
    timeout = build_timeout(
        INFO,
        {
            "timeout": 20,
            "connect_timeout": 3,
            "read_timeout": 15,
            "write_timeout": 5,
            "pool_timeout": 2,
        },
    )

    assert timeout.connect == 3
    assert timeout.read == 15
    assert timeout.write == 5
    assert timeout.pool == 2


def test_timeouts_default_to_timeout() -> None:
    timeout = build_timeout(INFO, {"timeout": 12})

    assert timeout.read == 12
    assert timeout.write == 12
    assert timeout.pool == 12


# Pool behaviour over a socket


class Gate:
    """An app whose requests wait until released, counting those in flight.

    The app runs on the server thread's event loop, so the release is a
    threading.Event that the handler polls, for at most five seconds.
    """

    def __init__(self) -> None:
        self.release = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self.app = Starlette(routes=[Route("/wait", self.wait)])

    async def wait(self, request: Request) -> PlainTextResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        deadline = time.monotonic() + 5
        try:
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        finally:
            self.in_flight -= 1
        return PlainTextResponse("ok")


@pytest.mark.asyncio
async def test_pool_size_caps_connections() -> None:
    gate = Gate()

    with run_server(gate.app) as base:
        async with build_async_client(INFO, {"pool_size": 2}, base_url=base) as client:
            requests = [asyncio.create_task(client.get("/wait")) for _ in range(6)]
            await asyncio.sleep(0.3)
            in_flight = gate.max_in_flight
            gate.release.set()
            responses = await asyncio.gather(*requests)

    assert in_flight == 2
    assert gate.max_in_flight == 2
    assert [r.status_code for r in responses] == [200] * 6


@pytest.mark.asyncio
async def test_pool_timeout_when_pool_full() -> None:
    gate = Gate()

    with run_server(gate.app) as base:
        async with build_async_client(
            INFO, {"pool_size": 1, "pool_timeout": 0.1}, base_url=base
        ) as client:
            first = asyncio.create_task(client.get("/wait"))
            await asyncio.sleep(0.2)
            with pytest.raises(httpx.PoolTimeout):
                await client.get("/wait")
            gate.release.set()
            assert (await first).status_code == 200


# One client per provider, closed by async with


@pytest.fixture
def simulator() -> Starlette:
    return create_app(api_key=NHS_API_KEY)


@pytest.mark.asyncio
async def test_one_client_per_provider(
    simulator: Starlette, nhs_config: Callable[..., dict[str, Any]]
) -> None:
    nhs = NHSInterface(nhs_config(simulator))
    other = NHSInterface(nhs_config(simulator))

    async with nhs, other:
        assert nhs._http() is nhs._http()
        assert nhs._http() is not other._http()


@pytest.mark.asyncio
async def test_async_with_closes_client(
    simulator: Starlette, nhs_config: Callable[..., dict[str, Any]]
) -> None:
    async with NHSInterface(nhs_config(simulator)) as nhs:
        client = nhs._http()
        await nhs.get_patient_record("9000000009", "demographics")

    assert client.is_closed


@pytest.mark.asyncio
async def test_closing_twice_is_safe(
    simulator: Starlette, nhs_config: Callable[..., dict[str, Any]]
) -> None:
    nhs = NHSInterface(nhs_config(simulator))
    async with nhs:
        pass

    await nhs.aclose()
    await nhs.aclose()


@pytest.mark.asyncio
async def test_no_resource_warning_over_socket(
    nhs_config: Callable[..., dict[str, Any]],
) -> None:
    simulator = create_app(api_key=NHS_API_KEY)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with run_server(simulator) as base:
            config = nhs_config(
                simulator,
                base_url=f"{base}/personal-demographics/FHIR/R4",
                pool_size=2,
            )
            del config["transport"]
            async with NHSInterface(config) as nhs:
                await nhs.get_patient_record("9000000009", "demographics")
        gc.collect()

    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
