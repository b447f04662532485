"""Claims under injected faults: retried with one key, applied once."""

from __future__ import annotations

import pytest

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.simulator import create_app
from carecert.adapters.medicare_au.synthetic import (
    SAMPLE_HPIO,
    SAMPLE_IHI,
    SAMPLE_MEDICARE,
    SAMPLE_PROVIDER_NUMBER,
)
from carecert.adapters.mock.faults import FaultInjector, FaultKind, FaultPhase
from carecert.adapters.mock.transport import InProcessTransport

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS, lost_responses

CLAIM_PATH = "/claiming/fhir/r4/Claim"


@pytest.mark.asyncio
async def test_claims_under_faults_applied_once(medicare_config: Config) -> None:
    injector = FaultInjector(rate=0.4, kinds=RETRYABLE_FAULTS, seed=11)
    app = create_app(hpio=SAMPLE_HPIO, faults=injector)
    config = medicare_config(transport=InProcessTransport(app=app), retry_attempts=10)
    claims = 12
    async with MedicareAustraliaProvider(config) as medicare:
        results = [
            await medicare.submit_bulk_bill_claim(
                SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23"], "2025-01-20"
            )
            for _ in range(claims)
        ]
        record = await medicare.get_my_health_record(SAMPLE_IHI)

    simulator = app.state.simulator
    applied_then_lost = lost_responses(injector, CLAIM_PATH)
    assert applied_then_lost, "the seed injected no fault after a claim"
    assert len(simulator.claims) == claims
    assert len({result.claim_id for result in results}) == claims
    assert simulator.claim_requests > claims
    assert record.patient.names


@pytest.mark.asyncio
async def test_claim_not_paid_twice_after_lost_response(
    medicare_config: Config,
) -> None:
    injector = FaultInjector(
        rate=1.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(hpio=SAMPLE_HPIO, faults=injector)
    config = medicare_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(ProviderUnavailableError):
            await medicare.submit_bulk_bill_claim(
                SAMPLE_PROVIDER_NUMBER,
                SAMPLE_MEDICARE,
                ["36"],
                "2025-01-20",
                idempotency_key="lost-claim",
            )
        injector.rate = 0.0
        result = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER,
            SAMPLE_MEDICARE,
            ["36"],
            "2025-01-20",
            idempotency_key="lost-claim",
        )

    simulator = app.state.simulator
    assert simulator.claim_requests == 3
    assert list(simulator.claims) == [result.claim_id]
