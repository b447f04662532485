"""The mock provider's HTTP server, as a Starlette app with faults and latency."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.mock.faults import FaultInjector, FaultMiddleware
from carecert.adapters.mock.latency import LatencyMiddleware
from carecert.adapters.mock.templates import Booking, ResponseTemplate
from carecert.adapters.resilience import DEFAULT_IDEMPOTENCY_HEADER

__all__ = ["MockState", "SPECIALTIES", "create_mock_app"]

SPECIALTIES = ("cardiology", "dermatology", "general-practice", "paediatrics")

_FIRST_SLOT = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
_SLOT = timedelta(minutes=15)


@dataclass
class MockState:
    """Bookings and request count of one mock server, which tests check."""

    template: ResponseTemplate
    bookings: dict[str, Booking] = field(default_factory=dict)
    bookings_by_key: dict[str, str] = field(default_factory=dict)
    requests: int = 0


def create_mock_app(
    template: ResponseTemplate,
    *,
    faults: FaultInjector | None = None,
    latency: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
) -> Starlette:
    """Build the mock server for ``template``.

    Bookings honour the Idempotency-Key header: a key seen before returns the
    booking it made. ``faults`` and ``latency`` wrap every route, latency
    first, so a delayed request can still fail.
    """
    routes = [
        Route(template.booking_path, _book, methods=["POST"]),
        Route(f"{template.patient_path}/{{patient_id}}", _patient, methods=["GET"]),
        Route("/specialties", _specialties, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.mock = MockState(template=template)
    if faults is not None:
        app.add_middleware(FaultMiddleware, injector=faults)
    if latency is not None:
        extra = {} if sleep is None else {"sleep": sleep}
        app.add_middleware(LatencyMiddleware, sample=latency, **extra)
    return app


async def _book(request: Request) -> Response:
    state: MockState = request.app.state.mock
    state.requests += 1
    key = request.headers.get(DEFAULT_IDEMPOTENCY_HEADER)
    if key and key in state.bookings_by_key:
        booking = state.bookings[state.bookings_by_key[key]]
        return _created(state, booking)
    try:
        body = json.loads(await request.body())
        patient_id, specialty = state.template.read_booking_request(body)
    except (ValueError, KeyError, IndexError, TypeError):
        return JSONResponse(
            {"error": "invalid_request", "detail": "the booking body is invalid"},
            status_code=422,
        )
    number = len(state.bookings) + 1
    start = _FIRST_SLOT + _SLOT * (number - 1)
    booking = Booking(
        id=str(number),
        patient_id=patient_id,
        specialty=specialty,
        start=start,
        end=start + _SLOT,
        created=_FIRST_SLOT - timedelta(days=7),
    )
    state.bookings[booking.id] = booking
    if key:
        state.bookings_by_key[key] = booking.id
    return _created(state, booking)


def _created(state: MockState, booking: Booking) -> Response:
    template = state.template
    return JSONResponse(
        template.booking_response(booking, template.site),
        status_code=201,
        headers={"Location": f"{template.booking_path}/{booking.id}"},
    )


async def _patient(request: Request) -> Response:
    state: MockState = request.app.state.mock
    state.requests += 1
    patient_id = request.path_params["patient_id"]
    return JSONResponse(state.template.patient_response(patient_id))


async def _specialties(request: Request) -> Response:
    state: MockState = request.app.state.mock
    state.requests += 1
    return JSONResponse(list(SPECIALTIES))
