"""Bookings under injected faults: retried with one key, applied once."""

from __future__ import annotations

import pytest

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.mock.faults import FaultInjector, FaultKind, FaultPhase
from carecert.adapters.mock.transport import InProcessTransport
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.simulator import create_app
from carecert.adapters.sas.synthetic import SAMPLE_NUHSA

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS, lost_responses
from .conftest import CLIENT_ID, CLIENT_SECRET


@pytest.mark.asyncio
async def test_booking_under_faults_is_applied_once(sas_config: Config) -> None:
    injector = FaultInjector(rate=0.0, kinds=RETRYABLE_FAULTS, seed=7)
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=injector)
    config = sas_config(transport=InProcessTransport(app=app), retry_attempts=10)
    bookings = 12
    async with SASInterface(config) as sas:
        # The token is fetched before faults start, because token requests
        # are not retried.
        await sas.get_patient(SAMPLE_NUHSA)
        injector.rate = 0.4
        booked = [
            await sas.book_appointment(SAMPLE_NUHSA, "cardiologia")
            for _ in range(bookings)
        ]

    simulator = app.state.simulator
    applied_then_lost = lost_responses(injector, "/Appointment")
    assert applied_then_lost, "the seed injected no fault after a booking"
    assert len(simulator.appointments) == bookings
    assert len({appointment.id for appointment in booked}) == bookings
    assert simulator.booking_requests > bookings


@pytest.mark.asyncio
async def test_booking_not_applied_twice_after_lost_response(
    sas_config: Config,
) -> None:
    injector = FaultInjector(
        rate=0.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=injector)
    config = sas_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with SASInterface(config) as sas:
        await sas.get_patient(SAMPLE_NUHSA)
        injector.rate = 1.0
        with pytest.raises(ProviderUnavailableError):
            await sas.book_appointment(
                SAMPLE_NUHSA, "cardiologia", idempotency_key="clave-perdida"
            )
        injector.rate = 0.0
        booked = await sas.book_appointment(
            SAMPLE_NUHSA, "cardiologia", idempotency_key="clave-perdida"
        )

    simulator = app.state.simulator
    assert simulator.booking_requests == 3
    assert list(simulator.appointments) == [booked.id]
