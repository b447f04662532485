"""The retention-period control: early deletion is rejected, the purge is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from carecert.adapters.compliance import AuditStore
from carecert.harness.controls.retention import check_deletion_after_period

RECORDED_AT = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)


class _DeletesEarly(AuditStore):
    """A non-compliant store that deletes records whatever their period."""

    def delete(self, record_id: int, *, at: datetime | None = None) -> None:
        super().delete(record_id, at=self.get(record_id).retain_until)


class _PurgesSilently(AuditStore):
    """A non-compliant store whose purge writes no audit record."""

    def purge_expired(
        self, *, at: datetime | None = None, actor: str | None = None
    ) -> int:
        expired = [r for r in self.records() if at and r.retain_until <= at]
        for record in expired:
            self.delete(record.id, at=at)
        return len(expired)


def _store(kind: type[AuditStore]) -> AuditStore:
    store = kind(retention_years={"UK": 7})
    store.record(
        regions=("UK",),
        provider="nhs",
        operation="get_patient_record",
        outcome="success",
        at=RECORDED_AT,
    )
    return store


@pytest.fixture
def compliant() -> Iterator[AuditStore]:
    store = _store(AuditStore)
    yield store
    store.close()


def test_compliant_store_passes(compliant: AuditStore) -> None:
    (record,) = compliant.records()

    assert check_deletion_after_period(compliant, record) == []


def test_early_deletion_fails() -> None:
    store = _store(_DeletesEarly)
    (record,) = store.records()

    findings = check_deletion_after_period(store, record)

    assert len(findings) == 1
    assert "one second before its retain_until" in findings[0].found
    assert "RetentionViolationError" in findings[0].required
    store.close()


def test_unaudited_purge_fails() -> None:
    store = _store(_PurgesSilently)
    (record,) = store.records()

    findings = check_deletion_after_period(store, record)

    assert len(findings) == 1
    assert findings[0].found == "audit records [] after the purge"
    assert "'audit.purge'" in findings[0].required
    store.close()
