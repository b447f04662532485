"""Idempotency: which requests are sent again, and the NHS X-Request-ID."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.errors import ProviderError
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.mock import InProcessTransport
from carecert.adapters.models import Appointment, AppointmentStatus, Identifier
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.fhir import ODS_SYSTEM
from carecert.adapters.nhs.mapping import appointment_to_fhir
from carecert.adapters.nhs.simulator import SimulatorState, create_app
from carecert.adapters.resilience import (
    DEFAULT_IDEMPOTENCY_HEADER,
    Retrier,
    RetryPolicy,
    is_replay_safe,
    new_idempotency_key,
)

from .conftest import NHS_API_KEY, PATIENT_NHS_NUMBER, PRACTICE_CODE, RecordedSleep

# Which requests are replay-safe


@pytest.mark.parametrize(
    ("method", "headers", "header_name", "expected"),
    [
        ("GET", {}, None, True),
        ("put", {}, None, True),
        ("DELETE", {}, None, True),
        ("POST", {}, None, False),
        ("PATCH", {}, None, False),
        ("POST", {"Idempotency-Key": "k-1"}, None, False),
        ("POST", {"Idempotency-Key": "k-1"}, "Idempotency-Key", True),
        ("POST", {"idempotency-key": "k-1"}, "Idempotency-Key", True),
        ("POST", {"Idempotency-Key": " "}, "Idempotency-Key", False),
        ("POST", {"X-Request-ID": "r-1"}, "Idempotency-Key", False),
        ("POST", {"X-Request-ID": "r-1"}, "X-Request-ID", True),
    ],
)
def test_replay_safety(
    method: str, headers: dict[str, str], header_name: str | None, expected: bool
) -> None:
    assert is_replay_safe(method, headers, header_name) is expected


def test_new_keys_are_unique_uuids() -> None:
    keys = {new_idempotency_key() for _ in range(100)}

    assert len(keys) == 100
    assert all(str(uuid.UUID(key)) == key for key in keys)
    assert DEFAULT_IDEMPOTENCY_HEADER == "Idempotency-Key"


# Requests that are not replay-safe

CLAIM = httpx.Request("POST", "https://insurer.test/claims")


async def send_unsafe(
    outcomes: list[httpx.Response | type[httpx.TransportError]],
    sleep: RecordedSleep,
) -> tuple[int, httpx.Response | Exception]:
    calls = 0

    async def attempt() -> httpx.Response:
        nonlocal calls
        outcome = outcomes[min(calls, len(outcomes) - 1)]
        calls += 1
        if isinstance(outcome, httpx.Response):
            return outcome
        raise outcome("failed")

    retrier = Retrier("p", RetryPolicy(attempts=4), sleep=sleep)
    try:
        result: httpx.Response | Exception = await retrier.send(
            "submit_claim", attempt, replay_safe=False
        )
    except ProviderError as exc:
        result = exc
    return calls, result


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, request=CLAIM),
        httpx.Response(502, request=CLAIM),
        httpx.Response(503, request=CLAIM),
        httpx.Response(504, request=CLAIM),
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.ReadError,
        httpx.RemoteProtocolError,
    ],
    ids=["429", "502", "503", "504", "read-timeout", "write", "read", "protocol"],
)
async def test_unsafe_not_resent_after_delivery(
    failure: httpx.Response | type[httpx.TransportError],
    recorded_sleep: RecordedSleep,
) -> None:
    calls, result = await send_unsafe([failure, httpx.Response(201)], recorded_sleep)

    assert calls == 1
    assert recorded_sleep.waits == []
    assert isinstance(result, Exception)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout]
)
async def test_unsafe_resent_when_never_sent(
    failure: type[httpx.TransportError], recorded_sleep: RecordedSleep
) -> None:
    calls, result = await send_unsafe([failure, httpx.Response(201)], recorded_sleep)

    assert calls == 2
    assert isinstance(result, httpx.Response)
    assert result.status_code == 201


# The NHS adapter and simulator


class LoseFirstResponse(httpx.AsyncBaseTransport):
    """Deliver every request, but replace the first booking's response with 503."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.request_ids: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.request_ids.append(request.headers["X-Request-ID"])
            if len(self.request_ids) == 1:
                await response.aread()
                return httpx.Response(503, request=request)
        return response


@pytest.fixture
def simulator() -> Starlette:
    return create_app(api_key=NHS_API_KEY)


@pytest.mark.asyncio
async def test_booking_retry_reuses_request_id(
    simulator: Starlette,
    nhs_config: Callable[..., dict[str, Any]],
    recorded_sleep: RecordedSleep,
) -> None:
    transport = LoseFirstResponse(InProcessTransport(app=simulator))
    state: SimulatorState = simulator.state.simulator

    async with NHSInterface(nhs_config(simulator, transport=transport)) as nhs:
        booked = await nhs.book_gp_appointment(
            PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine"
        )

    assert len(transport.request_ids) == 2
    assert transport.request_ids[0] == transport.request_ids[1]
    assert len(recorded_sleep.waits) == 1
    assert list(state.appointments) == [booked.id]
    assert state.appointments_by_request_id == {transport.request_ids[0]: booked.id}


@pytest.mark.asyncio
async def test_each_booking_gets_new_request_id(
    simulator: Starlette, nhs_config: Callable[..., dict[str, Any]]
) -> None:
    state: SimulatorState = simulator.state.simulator

    async with NHSInterface(nhs_config(simulator)) as nhs:
        first = await nhs.book_gp_appointment(
            PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine"
        )
        second = await nhs.book_gp_appointment(
            PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine"
        )

    assert first.id != second.id
    assert len(state.appointments) == 2
    assert len(state.appointments_by_request_id) == 2


@pytest.mark.asyncio
async def test_resend_with_request_id_returns_original(
    simulator: Starlette, nhs_config: Callable[..., dict[str, Any]]
) -> None:
    state: SimulatorState = simulator.state.simulator
    request_id = str(uuid.uuid4())

    async with NHSInterface(nhs_config(simulator)) as nhs:
        first = await nhs.book_gp_appointment(
            PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine", request_id=request_id
        )
        again = await nhs.book_gp_appointment(
            PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine", request_id=request_id
        )

    assert again == first
    assert len(state.appointments) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "request_id", ["", "not-a-uuid", "0f8fad5bd9cb469fa16570867728950e"]
)
async def test_invalid_request_id_rejected(
    simulator: Starlette,
    nhs_config: Callable[..., dict[str, Any]],
    request_id: str,
) -> None:
    state: SimulatorState = simulator.state.simulator

    async with NHSInterface(nhs_config(simulator)) as nhs:
        with pytest.raises(ValueError, match="is not a UUID"):
            await nhs.book_gp_appointment(
                PATIENT_NHS_NUMBER, PRACTICE_CODE, "routine", request_id=request_id
            )

    assert state.appointments == {}


@pytest.mark.asyncio
async def test_simulator_deduplicates_on_request_id(simulator: Starlette) -> None:
    state: SimulatorState = simulator.state.simulator
    body = appointment_to_fhir(
        Appointment(
            patient=Identifier(system=NHS_NUMBER_SYSTEM, value=PATIENT_NHS_NUMBER),
            location=Identifier(system=ODS_SYSTEM, value=PRACTICE_CODE),
            appointment_type="routine",
            status=AppointmentStatus.PROPOSED,
        )
    )
    request_id = str(uuid.uuid4())
    headers = {"apikey": NHS_API_KEY, "X-Request-ID": request_id}
    url = "https://sim.test/gp-connect/FHIR/R4/Appointment"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator)) as c:
        first = await c.post(url, json=body, headers=headers)
        second = await c.post(url, json=body, headers=headers)
        other = await c.post(
            url, json=body, headers={**headers, "X-Request-ID": str(uuid.uuid4())}
        )

    assert first.status_code == 201, first.text
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]
    assert len(state.appointments) == 2
