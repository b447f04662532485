"""Audit checks: every access is recorded, and records last the required period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from carecert.adapters.compliance.audit import AuditRecord, AuditStore, add_years
from carecert.adapters.errors import RetentionViolationError
from carecert.harness.controls.findings import Finding

__all__ = [
    "check_accesses_audited",
    "check_deletion_after_period",
    "check_rejection_audited",
    "check_retention",
    "describe_rejection_audit",
]


def check_accesses_audited(
    provider: str,
    operations: Iterable[str],
    patient_value: str,
    records: Sequence[AuditRecord],
) -> list[Finding]:
    """Check that each operation has a success record for ``patient_value``."""
    audited = [(r.operation, r.outcome, r.patient_value) for r in records]
    return [
        Finding(
            f"{provider} {operation} on patient {patient_value}",
            f"audit records {audited}",
            f"a record ({operation!r}, 'success', {patient_value!r})",
        )
        for operation in operations
        if (operation, "success", patient_value) not in audited
    ]


def check_retention(
    store: AuditStore,
    regions: tuple[str, ...],
    required_years: int,
    rule: str,
    record: AuditRecord | None = None,
) -> list[Finding]:
    """Check the store's period for ``regions`` against ``required_years``.

    A record with the longest period of its regions is kept as long as the
    longest of them, so that maximum is compared. ``record``, when given, must
    also carry a retention date at least ``required_years`` after it was
    written. ``rule`` is the catalogue rule that set the requirement.
    """
    subject = f"audit store {store.path}"
    required = f"{required_years} years ({rule})"
    findings: list[Finding] = []
    longest_years = max(store.retention_years(code) for code in regions)
    if longest_years < required_years:
        findings.append(
            Finding(
                subject,
                f"{', '.join(regions)} records kept {longest_years} years",
                required,
            )
        )
    if record is not None:
        earliest = add_years(record.recorded_at, required_years)
        if record.retain_until < earliest:
            findings.append(
                Finding(
                    f"{subject} record {record.id}",
                    f"retain_until {record.retain_until.isoformat()}",
                    f"{earliest.isoformat()} or later, {required}",
                )
            )
    return findings


def check_deletion_after_period(
    store: AuditStore, record: AuditRecord
) -> list[Finding]:
    """Check that ``record`` survives until its retain_until, then is purged.

    The store is changed: an early deletion and two purges are attempted, one
    a day before retain_until and one at it. ``record`` must be the store's
    only record, so that the purge at retain_until removes exactly one.
    """
    subject = f"audit store {store.path} record {record.id}"
    until = record.retain_until.isoformat()
    early = record.retain_until - timedelta(seconds=1)
    try:
        store.delete(record.id, at=early)
    except RetentionViolationError:
        pass
    else:
        return [
            Finding(
                subject,
                f"deleted at {early.isoformat()}, one second before its "
                f"retain_until {until}",
                "RetentionViolationError for a deletion before retain_until",
            )
        ]
    findings: list[Finding] = []
    purged_early = store.purge_expired(at=record.retain_until - timedelta(days=1))
    if purged_early:
        findings.append(
            Finding(
                subject,
                f"{purged_early} record(s) purged one day before retain_until {until}",
                "no record purged before its retain_until",
            )
        )
    purged = store.purge_expired(at=record.retain_until)
    if purged != 1:
        findings.append(
            Finding(
                subject,
                f"{purged} record(s) purged at retain_until {until}",
                "1 record purged, because its period has ended",
            )
        )
    remaining = [r.operation for r in store.records()]
    if remaining != ["audit.purge"]:
        findings.append(
            Finding(
                subject,
                f"audit records {remaining} after the purge",
                "only the 'audit.purge' record that the purge wrote",
            )
        )
    return findings


def check_rejection_audited(
    provider: str,
    patient_value: str,
    error: BaseException,
    before: Sequence[AuditRecord],
    after: Sequence[AuditRecord],
) -> list[Finding]:
    """Check that a rejected access added exactly one denied record naming ``error``.

    ``before`` and ``after`` are the provider's audit records read before and
    after the rejected access.
    """
    subject = f"{provider} rejected access to patient {patient_value}"
    required = (
        f"one new record with outcome 'denied', patient {patient_value!r} "
        f"and detail {type(error).__name__!r}"
    )
    known = {record.id for record in before}
    added = [record for record in after if record.id not in known]
    if len(added) != 1:
        found = f"{len(before)} records before and {len(after)} after, " + (
            f"new: {[_summary(r) for r in added]}" if added else "no new record"
        )
        return [Finding(subject, found, required)]
    record = added[0]
    correct = (
        record.outcome == "denied"
        and record.patient_value == patient_value
        and record.detail == type(error).__name__
    )
    if correct:
        return []
    return [Finding(subject, f"new record {_summary(record)}", required)]


def describe_rejection_audit(
    provider: str,
    error: BaseException,
    before: Sequence[AuditRecord],
    after: Sequence[AuditRecord],
) -> str:
    """Describe a rejected access and the audit record written for it, for evidence."""
    known = {record.id for record in before}
    added = [_summary(record) for record in after if record.id not in known]
    return (
        f"found: {provider} rejected the access with {type(error).__name__} "
        f"({error}); {provider} audit records {len(before)} before and "
        f"{len(after)} after, new: {'; '.join(added) or 'none'}. "
        f"Required: one new record with outcome 'denied' whose reason names "
        f"{type(error).__name__}"
    )


def _summary(record: AuditRecord) -> str:
    return (
        f"record {record.id} operation {record.operation!r}, "
        f"outcome {record.outcome!r}, patient {record.patient_value!r}, "
        f"reason {record.detail!r}"
    )
