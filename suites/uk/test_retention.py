"""UK retention controls: each access is audited, and records last at least 7 years."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.compliance.audit import add_years
from carecert.adapters.errors import ConsentRequiredError, RetentionViolationError
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio


def _traffic(carecert_state):
    if carecert_state.mock_api:
        return "run against the in-process simulator"
    if carecert_state.replaying:
        return "replay of cassette audited_access"
    return "recording of cassette audited_access"


@pytest.mark.control("UK-RET-01")
async def test_every_patient_data_access_is_audited(
    provider_id,
    carecert_state,
    provider_factory,
    provider_harness,
    provider_cassette,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    store = AuditStore(tmp_path / "audit.sqlite3", retention_years={"UK": 7})
    provider = provider_factory(
        provider_id,
        audit_store=store,
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )

    with provider_cassette(provider_id, "audited_access"):
        operations = await harness.exercise_all(provider, patient)

    records = store.records(provider=provider_id)
    audited = [(r.operation, r.outcome, r.patient_value) for r in records]
    for operation in operations:
        assert (operation, "success", patient.value) in audited, (
            f"UK-RET-01 (UK GDPR Art. 5(2), Art. 30): no audit record for "
            f"{provider_id} {operation} on patient {patient.value}; found {audited}"
        )
    counts = Counter((r.operation, r.outcome) for r in records)
    found = ", ".join(
        f"{operation} {outcome} x{count}"
        for (operation, outcome), count in sorted(counts.items())
    )
    evidence.note(
        f"{provider_id} audit records written during the {_traffic(carecert_state)} "
        f"(operation outcome x count): {found}"
    )


@pytest.mark.control("UK-RET-01")
async def test_refused_access_is_audited(
    provider_id, provider_factory, provider_harness, tmp_path
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    store = AuditStore(tmp_path / "audit.sqlite3", retention_years={"UK": 7})
    provider = provider_factory(
        provider_id, audit_store=store, transport=RecordingTransport()
    )

    with pytest.raises(ConsentRequiredError):
        await harness.read_patient(provider, patient)

    outcomes = [r.outcome for r in store.records(provider=provider_id)]
    assert outcomes == ["denied"], (
        f"expected one 'denied' audit record, found {outcomes}"
    )


@pytest.mark.control("UK-RET-02")
async def test_audit_records_kept_for_uk_period(
    provider_id, provider_factory, carecert_state, tmp_path, evidence
):
    required = carecert_state.catalogue.region("UK").audit_retention_years
    provider = provider_factory(
        provider_id, audit_store=str(tmp_path / "audit.sqlite3")
    )
    store = provider.guard.audit
    recorded_at = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)

    record = store.record(
        regions=("UK",),
        provider=provider_id,
        operation="get_patient_record",
        outcome="success",
        at=recorded_at,
    )

    assert store.retention_years("UK") >= required
    assert record.retain_until >= add_years(recorded_at, required)
    with pytest.raises(RetentionViolationError):
        store.delete(record.id, at=record.retain_until - timedelta(seconds=1))
    assert store.purge_expired(at=record.retain_until - timedelta(days=1)) == 0
    assert store.purge_expired(at=record.retain_until) == 1
    remaining = store.records()
    assert [r.operation for r in remaining] == ["audit.purge"], (
        "the purge must itself be audited and the expired record gone"
    )
    evidence.note(
        f"{provider_id} audit store keeps UK records "
        f"{store.retention_years('UK')} years; "
        f"required {required}; early deletion refused, purge audited"
    )
