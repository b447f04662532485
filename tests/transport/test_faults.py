"""FaultInjector and InProcessTransport: each fault kind, phases and seeds."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from carecert.adapters.mock import (
    FaultInjector,
    FaultKind,
    FaultMiddleware,
    FaultPhase,
    InProcessTransport,
)
from carecert.adapters.nhs.simulator import run_server

from .conftest import RecordedSleep

BODY = {"resourceType": "Appointment", "id": "1", "status": "booked"}


def counting_app(injector: FaultInjector) -> Starlette:
    """An app that counts the requests it applies, behind the injector."""

    async def book(request: Request) -> JSONResponse:
        request.app.state.applied += 1
        return JSONResponse(BODY, status_code=201)

    app = Starlette(routes=[Route("/book", book, methods=["POST"])])
    app.state.applied = 0
    app.add_middleware(FaultMiddleware, injector=injector)
    return app


async def post(app: Starlette) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=InProcessTransport(app=app), base_url="http://mock.test"
    ) as client:
        return await client.post("/book")


# Each kind


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (FaultKind.INTERNAL_ERROR, 500),
        (FaultKind.BAD_GATEWAY, 502),
        (FaultKind.UNAVAILABLE, 503),
        (FaultKind.GATEWAY_TIMEOUT, 504),
    ],
)
@pytest.mark.parametrize("phase", list(FaultPhase))
async def test_status_fault(kind: FaultKind, status: int, phase: FaultPhase) -> None:
    app = counting_app(FaultInjector(1.0, [kind], phases=[phase]))

    response = await post(app)

    assert response.status_code == status
    assert response.json()["error"] == "injected_fault"
    assert app.state.applied == (1 if phase is FaultPhase.AFTER else 0)


@pytest.mark.asyncio
async def test_rate_limit_sends_retry_after() -> None:
    app = counting_app(FaultInjector(1.0, ["429"], retry_after="9"))

    response = await post(app)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "9"
    assert app.state.applied == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "phase", "error", "applied"),
    [
        (FaultKind.CONNECT_ERROR, FaultPhase.BEFORE, httpx.ConnectError, 0),
        (FaultKind.RESET, FaultPhase.BEFORE, httpx.ReadError, 0),
        (FaultKind.RESET, FaultPhase.AFTER, httpx.ReadError, 1),
        (FaultKind.TIMEOUT, FaultPhase.BEFORE, httpx.ReadTimeout, 0),
        (FaultKind.TIMEOUT, FaultPhase.AFTER, httpx.ReadTimeout, 1),
        (FaultKind.TRUNCATED, FaultPhase.AFTER, httpx.RemoteProtocolError, 1),
    ],
)
async def test_connection_fault(
    kind: FaultKind,
    phase: FaultPhase,
    error: type[httpx.TransportError],
    applied: int,
) -> None:
    app = counting_app(FaultInjector(1.0, [kind], phases=[phase]))

    with pytest.raises(error):
        await post(app)

    assert app.state.applied == applied


@pytest.mark.asyncio
async def test_invalid_json_body() -> None:
    app = counting_app(FaultInjector(1.0, ["invalid_json"]))

    response = await post(app)

    assert response.status_code == 201
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert app.state.applied == 1


@pytest.mark.asyncio
async def test_slow_body_arrives_whole(recorded_sleep: RecordedSleep) -> None:
    injector = FaultInjector(
        1.0, ["slow_body"], slow_chunk_seconds=0.25, sleep=recorded_sleep
    )
    app = counting_app(injector)

    response = await post(app)

    assert response.json() == BODY
    assert recorded_sleep.waits == [0.25] * 4


@pytest.mark.asyncio
async def test_timeout_hangs_first(recorded_sleep: RecordedSleep) -> None:
    injector = FaultInjector(1.0, ["timeout"], hang_seconds=3.0, sleep=recorded_sleep)

    with pytest.raises(httpx.ReadTimeout):
        await post(counting_app(injector))

    assert recorded_sleep.waits == [3.0]


# Rates, seeds and records


def draws(injector: FaultInjector, count: int) -> list[tuple[str, str] | None]:
    faults = [injector.choose("POST", "/book") for _ in range(count)]
    return [None if f is None else (f.kind.value, f.phase.value) for f in faults]


def test_same_seed_same_faults() -> None:
    first = draws(FaultInjector(0.3, seed=11), 500)
    second = draws(FaultInjector(0.3, seed=11), 500)
    other = draws(FaultInjector(0.3, seed=12), 500)

    assert first == second
    assert first != other


def test_rate_is_respected() -> None:
    injector = FaultInjector(0.2, seed=3)

    faults = [f for f in draws(injector, 5_000) if f is not None]

    assert 0.17 < len(faults) / 5_000 < 0.23
    assert len(injector.injected) == len(faults)
    assert injector.requests == 5_000


def test_zero_rate_never_faults() -> None:
    assert draws(FaultInjector(0.0, seed=1), 1_000) == [None] * 1_000


def test_phases_follow_kind() -> None:
    injector = FaultInjector(1.0, seed=5)

    draws(injector, 2_000)

    seen = {(f.kind, f.phase) for f in injector.injected}
    assert (FaultKind.RATE_LIMITED, FaultPhase.AFTER) not in seen
    assert (FaultKind.CONNECT_ERROR, FaultPhase.AFTER) not in seen
    assert (FaultKind.TRUNCATED, FaultPhase.BEFORE) not in seen
    assert (FaultKind.UNAVAILABLE, FaultPhase.BEFORE) in seen
    assert (FaultKind.UNAVAILABLE, FaultPhase.AFTER) in seen
    assert {f.kind for f in injector.injected} == set(FaultKind)


def test_records_request_number_and_path() -> None:
    injector = FaultInjector(1.0, ["503"], seed=1)

    injector.choose("GET", "/a")
    injector.choose("POST", "/b")

    assert [(f.request_number, f.method, f.path) for f in injector.injected] == [
        (0, "GET", "/a"),
        (1, "POST", "/b"),
    ]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"rate": 1.5}, "fault rate 1.5 is invalid"),
        ({"rate": -0.1}, "fault rate -0.1 is invalid"),
        ({"rate": 0.1, "kinds": ["418"]}, "Unknown fault kind '418'. Known kinds: 429"),
        ({"rate": 0.1, "kinds": []}, "kinds is empty"),
        (
            {"rate": 0.1, "kinds": ["truncated"], "phases": ["before"]},
            "fault kind 'truncated' cannot happen in phases",
        ),
    ],
)
def test_invalid_arguments(arguments: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        FaultInjector(**arguments)  # type: ignore[arg-type]


# Over a socket


@pytest.mark.asyncio
async def test_reset_over_socket_closes_connection() -> None:
    app = counting_app(FaultInjector(1.0, ["reset"], phases=["before"]))

    with run_server(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post("/book")

    assert app.state.applied == 0


@pytest.mark.asyncio
async def test_status_over_socket() -> None:
    app = counting_app(FaultInjector(1.0, ["503"], phases=["after"]))

    with run_server(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            response = await client.post("/book")

    assert response.status_code == 503
    assert app.state.applied == 1
