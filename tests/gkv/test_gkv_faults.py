"""KVDT submissions under injected faults: retried, and billed once each."""

from __future__ import annotations

from datetime import date

import pytest

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.gkv.simulator import create_app
from carecert.adapters.gkv.synthetic import SAMPLE_KVNR
from carecert.adapters.gkv.testing import SAMPLE_KVDT_DATA
from carecert.adapters.mock.faults import (
    FaultInjector,
    FaultKind,
    FaultPhase,
    InjectedFault,
)
from carecert.adapters.mock.transport import InProcessTransport

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS, lost_responses

SERVICE_DATE = date(2025, 2, 3)


@pytest.mark.asyncio
async def test_submissions_under_faults_are_billed_once(gkv_config: Config) -> None:
    injector = FaultInjector(rate=0.4, kinds=RETRYABLE_FAULTS, seed=7)
    app = create_app(faults=injector)
    config = gkv_config(transport=InProcessTransport(app=app), retry_attempts=10)
    submissions = 12
    async with GKVInterface(config) as gkv:
        receipts = [
            await gkv.submit_kvdt_data(
                SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=SERVICE_DATE
            )
            for _ in range(submissions)
        ]

    simulator = app.state.simulator
    applied_then_lost = lost_responses(injector, "/kvdt/submissions")
    assert applied_then_lost, "the seed injected no fault after a submission"
    assert len(simulator.submissions) == submissions
    assert len(simulator.submitted_files) == submissions
    assert len({receipt.submission_id for receipt in receipts}) == submissions
    assert simulator.submission_requests > submissions


@pytest.mark.asyncio
async def test_submission_not_billed_twice_after_lost_response(
    gkv_config: Config,
) -> None:
    injector = FaultInjector(
        rate=1.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(faults=injector)
    config = gkv_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with GKVInterface(config) as gkv:
        with pytest.raises(ProviderUnavailableError):
            await gkv.submit_kvdt_data(
                SAMPLE_KVNR,
                SAMPLE_KVDT_DATA,
                service_date=SERVICE_DATE,
                idempotency_key="verlorene-antwort",
            )
        injector.rate = 0.0
        receipt = await gkv.submit_kvdt_data(
            SAMPLE_KVNR,
            SAMPLE_KVDT_DATA,
            service_date=SERVICE_DATE,
            idempotency_key="verlorene-antwort",
        )

    simulator = app.state.simulator
    assert simulator.submission_requests == 3
    assert list(simulator.submissions) == ["verlorene-antwort"]
    assert receipt.submission_id == "kvdt-000001"


class TaskCreateFaults(FaultInjector):
    """Inject faults into Task/$create requests only."""

    def choose(self, method: str, path: str) -> InjectedFault | None:
        if not path.endswith("/$create"):
            self.requests += 1
            return None
        return super().choose(method, path)


@pytest.mark.asyncio
async def test_task_create_is_not_retried(gkv_config: Config) -> None:
    injector = TaskCreateFaults(
        rate=1.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(faults=injector)
    config = gkv_config(transport=InProcessTransport(app=app), retry_attempts=5)
    async with GKVInterface(config) as gkv:
        with pytest.raises(ProviderUnavailableError):
            await gkv.create_prescription(
                SAMPLE_KVNR, {"medication": "Metformin 500mg", "quantity": "100 Stück"}
            )

    # $create has no idempotency key, so a lost response is not retried: a
    # retry would leave a second draft Task behind.
    assert [fault.path for fault in injector.injected] == ["/Task/$create"]
    assert len(app.state.simulator.tasks) == 1
