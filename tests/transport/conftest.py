"""Fixtures for the transport tests: a sleep that records, consent and audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.mock import InProcessTransport
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent, memory_audit_store

NHS_API_KEY = "transport-test-key"
PATIENT_NHS_NUMBER = "9000000009"
PRACTICE_CODE = "Y12345"


class RecordedSleep:
    """An async stand-in for asyncio.sleep that records each wait and returns."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def recorded_sleep() -> RecordedSleep:
    """A sleep function to pass as retry_sleep; its ``waits`` lists each wait."""
    return RecordedSleep()


@pytest.fixture
def nhs_consent() -> ConsentRegistry:
    """Direct-care consent for the one patient the transport tests book for."""
    return direct_care_consent(
        [Identifier(system=NHS_NUMBER_SYSTEM, value=PATIENT_NHS_NUMBER)]
    )


@pytest.fixture
def nhs_audit() -> Iterator[AuditStore]:
    """An in-memory audit store with the catalogue's UK retention period."""
    with memory_audit_store("UK") as store:
        yield store


@pytest.fixture
def nhs_config(
    nhs_consent: ConsentRegistry,
    nhs_audit: AuditStore,
    recorded_sleep: RecordedSleep,
) -> Callable[..., dict[str, Any]]:
    """Build an API-key NHS config that reaches ``app`` in process."""

    def build(app: Starlette, **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "api_key": NHS_API_KEY,
            "environment": "integration",
            "ods_code": "RX1",
            "consent_registry": nhs_consent,
            "audit_store": nhs_audit,
            "transport": InProcessTransport(app=app),
            "retry_sleep": recorded_sleep,
        }
        config.update(overrides)
        return config

    return build
