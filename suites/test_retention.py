"""Retention controls: each access is audited, and records last the region's period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import ConsentRequiredError
from carecert.harness.controls.consent import check_consent_audited, rejection_case
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.retention import (
    check_accesses_audited,
    check_deletion_after_period,
    check_rejection_audited,
    check_retention,
    describe_rejection_audit,
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
        f"found: {provider_id} audit records written during the "
        f"{_traffic(carecert_state)} (operation outcome x count): {found}. "
        f"Required: a success record for patient {patient.value} for each "
        f"operation exercised ({', '.join(operations)})"
    )


@pytest.mark.control(check="audit-every-access")
async def test_refused_access_is_audited(
    provider_id,
    carecert_state,
    carecert_control,
    carecert_rules,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    store = AuditStore(
        tmp_path / "audit.sqlite3",
        retention_years=_retention_by_region(carecert_state),
    )
    # A withdrawn consent is rejected under every consent model, including
    # the implied and opt-out ones that allow an access without a record.
    policy, rule = carecert_rules.consent_policy()
    rejected = rejection_case("withdrawn", policy, harness.consent_for(patient))
    assert not isinstance(rejected, str), rejected
    provider = provider_factory(
        provider_id,
        audit_store=store,
        consent_registry=rejected.registry,
        transport=RecordingTransport(),
    )

    before = store.records(provider=provider_id)
    with pytest.raises(ConsentRequiredError) as rejection:
        await harness.read_patient(provider, patient)
    after = store.records(provider=provider_id)

    findings = check_rejection_audited(
        provider_id, patient.value, rejection.value, before, after
    )
    assert not findings, control_failure(carecert_control, findings)
    evidence.decide(rule)
    evidence.note(describe_rejection_audit(provider_id, rejection.value, before, after))


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
    findings += check_deletion_after_period(store, record)
    assert not findings, control_failure(carecert_rules.control, findings)
    kept = max(store.retention_years(code) for code in regions)
    evidence.decide(rule)
    evidence.note(
        f"found: {provider_id} audit store keeps {', '.join(regions)} records "
        f"{kept} years, so record {record.id} written {recorded_at.isoformat()} "
        f"has retain_until {record.retain_until.isoformat()}; deleting it one "
        "second earlier raised RetentionViolationError, and the purge at "
        "retain_until removed it and wrote an audit.purge record. "
        f"Required: {required} years ({rule})"
    )
