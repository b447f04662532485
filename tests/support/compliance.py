"""Consent registries, audit stores and a no-wait sleep for adapter tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    load_catalogue,
)
from carecert.adapters.models import Identifier

CONSENT_GRANTED_AT = datetime(2020, 1, 1, tzinfo=UTC)
"""When every synthetic consent was granted: well before any test runs."""


def direct_care_consent(
    patients: Iterable[Identifier],
    basis: ConsentBasis = ConsentBasis.EXPLICIT,
    evidence_reference: str | None = None,
) -> ConsentRegistry:
    """Return a registry that grants direct-care consent for each patient."""
    registry = ConsentRegistry()
    for patient in patients:
        registry.grant(
            ConsentRecord(
                patient=patient,
                purpose="direct-care",
                basis=basis,
                granted_at=CONSENT_GRANTED_AT,
                evidence_reference=evidence_reference,
            )
        )
    return registry


@contextmanager
def memory_audit_store(region: str) -> Iterator[AuditStore]:
    """Open an in-memory audit store with the catalogue's retention for ``region``."""
    retention = load_catalogue().region(region).audit_retention_years
    store = AuditStore(":memory:", retention_years={region: retention})
    try:
        yield store
    finally:
        store.close()


async def no_sleep(seconds: float) -> None:
    """Replace asyncio.sleep between retries, so that tests never wait."""
