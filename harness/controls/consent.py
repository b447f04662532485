"""Consent checks: the cases each regional model must reject, and the audit trail.

The consent suite and the non-compliance tests build the same cases from a
ConsentPolicy, so a model is always tested against what it should reject.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from carecert.adapters.compliance.audit import AuditRecord
from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.compliance.consent_policy import (
    BASES_BY_MODEL,
    ConsentDecision,
    ConsentPolicy,
)
from carecert.harness.controls.findings import Finding

__all__ = [
    "REJECTION_CASES",
    "RejectionCase",
    "check_consent_audited",
    "check_rejection_reason",
    "rejection_case",
]

OTHER_PURPOSE = "research"
"""A purpose no harness consents to and no implied model presumes."""


@dataclass(frozen=True)
class RejectionCase:
    """Consent records and a purpose that the policy must reject, and why."""

    registry: ConsentRegistry
    purpose: str
    reason: str
    """Text the rejection message must contain."""


# Each builder takes the policy's models, a consent that the policy accepts
# for the harness's patient and the time of the test. It returns the case, or
# a sentence saying why the case does not apply to these models.
_Builder = Callable[[ConsentPolicy, ConsentRecord, datetime], RejectionCase | str]


def _needs_record(policy: ConsentPolicy) -> bool:
    return policy.strictest().model not in ("implied", "opt-out")


def _no_record(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if policy.strictest().model == "opt-out":
        return (
            f"{policy.describe()} presumes consent unless the patient has opted "
            "out, so a missing record is no reason to reject"
        )
    if not _needs_record(policy):
        return f"{policy.describe()} presumes consent when no record exists"
    return RejectionCase(ConsentRegistry(), good.purpose, "No consent is recorded")


def _withdrawn(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    record = dataclasses.replace(good, withdrawn_at=now - timedelta(days=1))
    reason = "was withdrawn" if _needs_record(policy) else "withdrew consent"
    if policy.strictest().model == "opt-out":
        reason = "opted out"
    return RejectionCase(ConsentRegistry([record]), good.purpose, reason)


def _opted_out(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not any(m.model == "opt-out" for m in policy.models):
        return (
            f"{policy.describe()} has no opt-out consent model, so the "
            "withdrawn variant covers a patient's refusal"
        )
    registry = ConsentRegistry()
    registry.record_opt_out(good.patient, good.purpose, now - timedelta(hours=1))
    return RejectionCase(registry, good.purpose, "opted out")


def _expired(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not _needs_record(policy):
        return (
            f"{policy.describe()} presumes consent without a record, so an "
            "expired record is no reason to reject"
        )
    record = dataclasses.replace(good, expires_at=now - timedelta(days=1))
    return RejectionCase(ConsentRegistry([record]), good.purpose, "has expired")


def _other_purpose(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    record = dataclasses.replace(good, purpose=OTHER_PURPOSE)
    strictest = policy.strictest()
    if _needs_record(policy):
        return RejectionCase(ConsentRegistry([record]), good.purpose, "covers only")
    if strictest.model == "implied" and strictest.implied_purposes is not None:
        # The record is for the presumed purpose; access for another purpose
        # is what the model rejects.
        other = dataclasses.replace(good, purpose="direct-care")
        return RejectionCase(ConsentRegistry([other]), OTHER_PURPOSE, "presumed only")
    if strictest.model == "opt-out":
        return (
            f"{policy.describe()} presumes consent for every purpose the patient "
            "has not opted out of"
        )
    return f"{policy.describe()} presumes consent for every purpose"


def _unaccepted_basis(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    rejected = _strongest_rejected(policy)
    if not _needs_record(policy):
        return (
            f"{policy.describe()} presumes consent without a record, so it "
            "rejects no consent basis"
        )
    if rejected is None:
        return f"{policy.describe()} accepts every consent basis"
    record = dataclasses.replace(good, basis=rejected, evidence_reference=None)
    return RejectionCase(ConsentRegistry([record]), good.purpose, "does not accept")


def _bundled(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not any(m.model == "granular" for m in policy.models):
        return (
            f"{policy.describe()} has no granular consent model, so it does not "
            "reject a consent for being bundled with other purposes"
        )
    record = dataclasses.replace(good, bundled_with=(OTHER_PURPOSE, "marketing"))
    return RejectionCase(ConsentRegistry([record]), good.purpose, "bundled with")


def _no_written_evidence(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not any(m.model == "written" for m in policy.models):
        return _no_written_model(policy)
    record = dataclasses.replace(
        good, basis=ConsentBasis.WRITTEN, evidence_reference=None
    )
    return RejectionCase(
        ConsentRegistry([record]), good.purpose, "no evidence_reference"
    )


def _explicit_without_writing(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not any(m.model == "written" for m in policy.models):
        return _no_written_model(policy)
    record = dataclasses.replace(
        good, basis=ConsentBasis.EXPLICIT, evidence_reference="verbal, noted by staff"
    )
    return RejectionCase(ConsentRegistry([record]), good.purpose, "basis explicit")


def _legal_basis_unnamed(
    policy: ConsentPolicy, good: ConsentRecord, now: datetime
) -> RejectionCase | str:
    if not _needs_record(policy):
        return (
            f"{policy.describe()} presumes consent without a record, so it does "
            "not check whether a legal-basis record names its basis"
        )
    if policy.strictest().model != "explicit-or-legal-basis":
        return (
            f"{policy.describe()} does not accept a legal basis in place of "
            "consent, so it rejects a legal-basis record whether or not the "
            "record names its basis"
        )
    record = dataclasses.replace(
        good, basis=ConsentBasis.LEGAL_BASIS, evidence_reference=None
    )
    return RejectionCase(
        ConsentRegistry([record]), good.purpose, "no evidence_reference"
    )


def _no_written_model(policy: ConsentPolicy) -> str:
    return (
        f"{policy.describe()} has no written consent model, so it does not "
        "require written evidence of consent"
    )


REJECTION_CASES: dict[str, _Builder] = {
    "no record": _no_record,
    "withdrawn": _withdrawn,
    "opted out": _opted_out,
    "expired": _expired,
    "other purpose": _other_purpose,
    "unaccepted basis": _unaccepted_basis,
    "bundled purposes": _bundled,
    "written without evidence": _no_written_evidence,
    "explicit without writing": _explicit_without_writing,
    "legal basis unnamed": _legal_basis_unnamed,
}
"""Every rejection case, by name; not every case applies to every policy."""


def rejection_case(
    name: str, policy: ConsentPolicy, good: ConsentRecord, now: datetime | None = None
) -> RejectionCase | str:
    """Build case ``name`` for ``policy``, or return why it does not apply.

    ``good`` is a consent record that ``policy`` accepts; each case changes
    one thing about it.
    """
    return REJECTION_CASES[name](policy, good, now or datetime.now(UTC))


def _strongest_rejected(policy: ConsentPolicy) -> ConsentBasis | None:
    accepted = set(ConsentBasis)
    for model in policy.models:
        accepted &= BASES_BY_MODEL[model.model]
    for basis in (ConsentBasis.EXPLICIT, ConsentBasis.IMPLIED, ConsentBasis.OPT_OUT):
        if basis not in accepted:
            return basis
    return None


def check_rejection_reason(
    subject: str, case: str, error: BaseException | None, reason: str
) -> list[Finding]:
    """Check that the rejection of ``case`` states why, with the text ``reason``."""
    if error is None or reason in str(error):
        return []
    return [
        Finding(
            subject,
            f"a rejection for another reason: {error}",
            f"a rejection for {case} whose message contains {reason!r}",
        )
    ]


def check_consent_audited(
    subject: str,
    records: Sequence[AuditRecord],
    decision: ConsentDecision,
) -> list[Finding]:
    """Check that each success record names the basis ``decision`` admitted.

    A presumed consent must be recorded as presumed, so an auditor can tell
    it from a recorded one.
    """
    expected = decision.audit_detail().split(";", 1)[0]
    successes = [r for r in records if r.outcome == "success"]
    if not successes:
        return [Finding(subject, "no success audit record", f"one with {expected!r}")]
    return [
        Finding(
            f"{subject} audit record {record.id} ({record.operation})",
            f"detail {record.detail!r}",
            f"a detail starting with {expected!r}",
        )
        for record in successes
        if not (record.detail or "").startswith(expected)
    ]
