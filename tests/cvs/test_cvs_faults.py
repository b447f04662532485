"""Bookings under injected faults: retried with one key, applied once."""

from __future__ import annotations

import pytest

from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.simulator import create_app
from carecert.adapters.cvs.synthetic import SAMPLE_DOB, SAMPLE_RX_NUMBER
from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.mock.faults import FaultInjector, FaultKind, FaultPhase
from carecert.adapters.mock.transport import InProcessTransport

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS, lost_responses
from .conftest import CLIENT_ID, CLIENT_SECRET
from .test_cvs_interface import SAMPLE_INFO

BOOKING_PATH = "/v2/immunizations/appointments"


@pytest.mark.asyncio
async def test_booking_under_faults_is_applied_once(cvs_config: Config) -> None:
    injector = FaultInjector(rate=0.0, kinds=RETRYABLE_FAULTS, seed=7)
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=injector)
    config = cvs_config(transport=InProcessTransport(app=app), retry_attempts=10)
    bookings = 12
    async with CVSInterface(config) as cvs:
        # The token is fetched before faults start, because token requests
        # are not retried.
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        injector.rate = 0.4
        booked = [
            await cvs.schedule_vaccination(SAMPLE_INFO, "influenza")
            for _ in range(bookings)
        ]

    simulator = app.state.simulator
    applied_then_lost = lost_responses(injector, BOOKING_PATH)
    assert applied_then_lost, "the seed injected no fault after a booking"
    assert len(simulator.appointments) == bookings
    assert len({appointment.id for appointment in booked}) == bookings
    assert simulator.booking_requests > bookings


@pytest.mark.asyncio
async def test_lookup_is_retried_after_lost_response(cvs_config: Config) -> None:
    injector = FaultInjector(
        rate=0.0, kinds=[FaultKind.RESET], phases=[FaultPhase.AFTER], seed=3
    )
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=injector)
    config = cvs_config(transport=InProcessTransport(app=app), retry_attempts=3)
    async with CVSInterface(config) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        injector.rate = 1.0
        with pytest.raises(ProviderUnavailableError):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)

    # The lookup is read-only, so a response lost after the server handled it
    # is sent again up to the attempt limit.
    assert app.state.simulator.lookup_requests == 1 + 3


@pytest.mark.asyncio
async def test_booking_not_applied_twice_after_lost_response(
    cvs_config: Config,
) -> None:
    injector = FaultInjector(
        rate=0.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=injector)
    config = cvs_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with CVSInterface(config) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        injector.rate = 1.0
        with pytest.raises(ProviderUnavailableError):
            await cvs.schedule_vaccination(
                SAMPLE_INFO, "COVID-19", idempotency_key="lost-once"
            )
        injector.rate = 0.0
        booked = await cvs.schedule_vaccination(
            SAMPLE_INFO, "COVID-19", idempotency_key="lost-once"
        )

    simulator = app.state.simulator
    assert simulator.booking_requests == 3
    assert list(simulator.appointments) == [booked.id]
