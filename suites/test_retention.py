"""Retention controls: each access is audited, and records last the region's period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import ConsentRequiredError, RetentionViolationError
from carecert.harness.controls.consent import check_consent_audited, rejection_case
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.retention import (
    check_accesses_audited,
    check_retention,
)
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio


def _retention_by_region(carecert_state):
    return {
        code: region.audit_retention_years
        for code, region in carecert_state.catalogue.regions.items()
    }


def _traffic(carecert_state):
    if carecert_state.mock_api:
        return "run against the in-process simulator"
    if carecert_state.replaying:
        return "replay of cassette audited_access"
    return "recording of cassette audited_access"


@pytest.mark.control(check="audit-every-access")
async def test_every_patient_data_access_is_audited(
    provider_id,
    carecert_state,
    carecert_control,
    carecert_rules,
    provider_factory,
    provider_harness,
    provider_cassette,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    store = AuditStore(
        tmp_path / "audit.sqlite3",
        retention_years=_retention_by_region(carecert_state),
    )
    # Where every consent model presumes consent (implied, opt-out), the
    # accesses run without a record, so the audit must show the presumption.
    policy, _rule = carecert_rules.consent_policy()
    presumed = policy.strictest().model in ("implied", "opt-out")
    registry = (
        ConsentRegistry()
        if presumed
        else ConsentRegistry([harness.consent_for(patient)])
    )
    decision = policy.decide(registry, patient, "direct-care")
    provider = provider_factory(
        provider_id, audit_store=store, consent_registry=registry
    )

    with provider_cassette(provider_id, "audited_access"):
        operations = await harness.exercise_all(provider, patient)

    records = store.records(provider=provider_id)
    findings = check_accesses_audited(provider_id, operations, patient.value, records)
    findings += check_consent_audited(provider_id, records, decision)
    assert not findings, control_failure(carecert_control, findings)
    evidence.note(f"consent of each access as audited: {decision.audit_detail()}")
    counts = Counter((r.operation, r.outcome) for r in records)
    found = ", ".join(
        f"{operation} {outcome} x{count}"
        for (operation, outcome), count in sorted(counts.items())
    )
    evidence.note(
        f"{provider_id} audit records written during the {_traffic(carecert_state)} "
        f"(operation outcome x count): {found}"
    )


@pytest.mark.control(check="audit-every-access")
async def test_refused_access_is_audited(
    provider_id,
    carecert_state,
    carecert_rules,
    provider_factory,
    provider_harness,
    tmp_path,
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    store = AuditStore(
        tmp_path / "audit.sqlite3",
        retention_years=_retention_by_region(carecert_state),
    )
    # A withdrawn consent is rejected under every consent model, including
    # the implied and opt-out ones that allow an access without a record.
    policy, _rule = carecert_rules.consent_policy()
    rejected = rejection_case("withdrawn", policy, harness.consent_for(patient))
    assert not isinstance(rejected, str), rejected
    provider = provider_factory(
        provider_id,
        audit_store=store,
        consent_registry=rejected.registry,
        transport=RecordingTransport(),
    )

    with pytest.raises(ConsentRequiredError):
        await harness.read_patient(provider, patient)

    outcomes = [r.outcome for r in store.records(provider=provider_id)]
    assert outcomes == ["denied"], (
        f"expected one 'denied' audit record, found {outcomes}"
    )


@pytest.mark.control(check="retention-period")
async def test_audit_records_kept_for_region_period(
    provider_id, carecert_rules, provider_factory, tmp_path, evidence
):
    required, rule = carecert_rules.retention_years()
    regions = carecert_rules.codes
    provider = provider_factory(
        provider_id, audit_store=str(tmp_path / "audit.sqlite3")
    )
    store = provider.guard.audit
    recorded_at = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)

    record = store.record(
        regions=regions,
        provider=provider_id,
        operation="get_patient_record",
        outcome="success",
        at=recorded_at,
    )

    findings = check_retention(store, regions, required, rule, record)
    assert not findings, control_failure(carecert_rules.control, findings)
    kept = max(store.retention_years(code) for code in regions)
    with pytest.raises(RetentionViolationError):
        store.delete(record.id, at=record.retain_until - timedelta(seconds=1))
    assert store.purge_expired(at=record.retain_until - timedelta(days=1)) == 0
    assert store.purge_expired(at=record.retain_until) == 1
    remaining = store.records()
    assert [r.operation for r in remaining] == ["audit.purge"], (
        "the purge must itself be audited and the expired record gone"
    )
    evidence.decide(rule)
    evidence.note(
        f"{provider_id} audit store keeps {', '.join(regions)} records "
        f"{kept} years; required {required}; early deletion refused, purge audited"
    )
