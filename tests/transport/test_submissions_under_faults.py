"""Booking submissions through the NHS adapter with 20% injected faults.

Every submission must end either applied exactly once by the simulator or
reported to the caller as a carecert error: none duplicated, none lost. The
faults come before and after the simulator applies a request, and the retries
never sleep, so the run takes seconds.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.errors import CarecertError
from carecert.adapters.mock import FaultInjector, InProcessTransport
from carecert.adapters.models import Appointment
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.mapping import appointment_from_fhir
from carecert.adapters.nhs.simulator import SimulatorState, create_app

from .conftest import NHS_API_KEY, PATIENT_NHS_NUMBER, PRACTICE_CODE, RecordedSleep

SUBMISSIONS = 2_000
FAULT_RATE = 0.2
SEED = 20261204


@dataclass
class Outcome:
    """What happened to the submissions of one run."""

    submissions: int = 0
    succeeded: int = 0
    reported_failures: int = 0
    reported_but_applied: int = 0
    duplicates: int = 0
    losses: int = 0
    wrong_results: int = 0
    errors: Counter[str] = field(default_factory=Counter)


Results = dict[str, Appointment | CarecertError]


async def submit(
    nhs: NHSInterface, results: Results, request_ids: dict[str, str]
) -> None:
    """Book each appointment type in ``request_ids`` and store the result."""
    for appointment_type, request_id in request_ids.items():
        try:
            results[appointment_type] = await nhs.book_gp_appointment(
                PATIENT_NHS_NUMBER,
                PRACTICE_CODE,
                appointment_type,
                request_id=request_id,
            )
        except CarecertError as exc:
            results[appointment_type] = exc


def check(results: Results, state: SimulatorState) -> Outcome:
    """Compare each submission's result with the simulator's applied records."""
    outcome = Outcome(submissions=len(results))
    applied: dict[str, list[str]] = {}
    for appointment_id, record in state.appointments.items():
        booked = appointment_from_fhir(record["resource"])
        applied.setdefault(booked.appointment_type, []).append(appointment_id)

    for appointment_type, result in results.items():
        ids = applied.get(appointment_type, [])
        if len(ids) > 1:
            outcome.duplicates += 1
        if isinstance(result, CarecertError):
            outcome.reported_failures += 1
            outcome.errors[type(result).__name__] += 1
            if ids:
                outcome.reported_but_applied += 1
        elif not ids:
            outcome.losses += 1
        else:
            outcome.succeeded += 1
            if result.id not in ids:
                outcome.wrong_results += 1
    return outcome


def new_request_ids(count: int) -> dict[str, str]:
    """Return a fresh X-Request-ID for each of ``count`` appointment types."""
    return {f"routine-{number}": str(uuid.uuid4()) for number in range(count)}


def fault_app(rate: float) -> tuple[Starlette, FaultInjector]:
    injector = FaultInjector(rate, seed=SEED)
    return create_app(api_key=NHS_API_KEY, faults=injector), injector


@pytest.mark.asyncio
async def test_no_duplicates_or_losses_under_faults(
    nhs_config: Callable[..., dict[str, Any]],
    recorded_sleep: RecordedSleep,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, injector = fault_app(FAULT_RATE)
    state: SimulatorState = app.state.simulator
    request_ids = new_request_ids(SUBMISSIONS)
    results: Results = {}

    async with NHSInterface(nhs_config(app)) as nhs:
        await submit(nhs, results, request_ids)
        outcome = check(results, state)
        # The caller's recovery: resend each failure with its X-Request-ID.
        failed = {
            appointment_type: request_ids[appointment_type]
            for appointment_type, result in results.items()
            if isinstance(result, CarecertError)
        }
        await submit(nhs, results, failed)
    resent = check(results, state)

    figures = {
        "submissions": outcome.submissions,
        "requests": injector.requests,
        "faults injected": len(injector.injected),
        "retries": len(recorded_sleep.waits),
        "succeeded": outcome.succeeded,
        "reported failures": outcome.reported_failures,
        "reported but applied": outcome.reported_but_applied,
        "duplicates": outcome.duplicates,
        "losses": outcome.losses,
        "failures after one resend": resent.reported_failures,
        "duplicates after resend": resent.duplicates,
    }
    kinds = Counter(f"{f.kind.value}/{f.phase.value}" for f in injector.injected)
    with capsys.disabled():
        print(f"\nfigures: {figures}")
        print(f"faults by kind/phase: {dict(sorted(kinds.items()))}")
        print(f"reported errors: {dict(outcome.errors)}")
    for name, value in figures.items():
        record_property(name, value)

    assert outcome.duplicates == 0
    assert outcome.losses == 0
    assert outcome.wrong_results == 0
    assert outcome.succeeded + outcome.reported_failures == SUBMISSIONS
    assert outcome.reported_failures > 0
    assert outcome.reported_but_applied > 0
    assert len(injector.injected) >= 0.15 * injector.requests
    assert {f.phase.value for f in injector.injected} == {"before", "after"}
    assert len(recorded_sleep.waits) > 0
    assert resent.duplicates == 0
    assert resent.losses == 0
    assert resent.wrong_results == 0
    assert resent.reported_failures < outcome.reported_failures
    assert len(state.appointments) == resent.succeeded + resent.reported_but_applied


@pytest.mark.asyncio
async def test_faults_off_makes_no_retries(
    nhs_config: Callable[..., dict[str, Any]],
    recorded_sleep: RecordedSleep,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="carecert.retry")
    app, injector = fault_app(0.0)
    state: SimulatorState = app.state.simulator
    results: Results = {}

    async with NHSInterface(nhs_config(app)) as nhs:
        await submit(nhs, results, new_request_ids(200))
    outcome = check(results, state)

    assert outcome.succeeded == 200
    assert injector.requests == 200
    assert injector.injected == []
    assert recorded_sleep.waits == []
    assert [r for r in caplog.records if r.name == "carecert.retry"] == []
    assert len(state.appointments) == 200


class FreshRequestIdTransport(httpx.AsyncBaseTransport):
    """Give each attempt a new X-Request-ID, as a client without keys would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["X-Request-ID"] = str(uuid.uuid4())
        return await self.inner.handle_async_request(request)


@pytest.mark.asyncio
async def test_check_detects_duplicates_without_key(
    nhs_config: Callable[..., dict[str, Any]],
) -> None:
    app, _ = fault_app(FAULT_RATE)
    state: SimulatorState = app.state.simulator
    transport = FreshRequestIdTransport(InProcessTransport(app=app))
    results: Results = {}

    async with NHSInterface(nhs_config(app, transport=transport)) as nhs:
        await submit(nhs, results, new_request_ids(300))
    outcome = check(results, state)

    assert outcome.duplicates > 0
