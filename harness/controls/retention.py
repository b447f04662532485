"""Audit checks: every access is recorded, and records last the required period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from carecert.adapters.compliance.audit import AuditRecord, AuditStore, add_years
from carecert.harness.controls.findings import Finding

__all__ = ["check_accesses_audited", "check_retention"]


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
