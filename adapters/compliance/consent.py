"""Consent records and the registry that adapters check before sending data."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from carecert.adapters.errors import ConsentRequiredError
from carecert.adapters.models import Identifier

__all__ = [
    "DEFAULT_ACCEPTED_BASES",
    "ConsentBasis",
    "ConsentRecord",
    "ConsentRegistry",
]


class ConsentBasis(StrEnum):
    """Legal basis of a consent; regions differ in which bases they accept."""

    EXPLICIT = "explicit"
    WRITTEN = "written"
    IMPLIED = "implied"
    OPT_OUT = "opt-out"
    LEGAL_BASIS = "legal-basis"
    """Processing rests on a statutory basis other than consent, such as LGPD
    Art. 11, II; the record's ``evidence_reference`` names that basis."""


DEFAULT_ACCEPTED_BASES = frozenset({ConsentBasis.EXPLICIT, ConsentBasis.WRITTEN})


@dataclass(frozen=True)
class ConsentRecord:
    """One patient's consent for one purpose of processing."""

    patient: Identifier
    purpose: str
    basis: ConsentBasis
    granted_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    evidence_reference: str | None = None
    bundled_with: tuple[str, ...] = ()
    """Other purposes the patient consented to in the same undivided request.
    A granular consent model rejects such a record."""

    def __post_init__(self) -> None:
        for name in ("granted_at", "expires_at", "withdrawn_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(
                    f"ConsentRecord.{name} must be timezone-aware, got {value!r}"
                )

    def is_active(self, at: datetime) -> bool:
        """Tell whether the consent covers processing at instant ``at``."""
        if at < self.granted_at:
            return False
        if self.withdrawn_at is not None and at >= self.withdrawn_at:
            return False
        return self.expires_at is None or at < self.expires_at


class ConsentRegistry:
    """Consent records, looked up by patient identifier and purpose.

    ``accepted_bases`` is what ``check`` accepts; UK and EU law need explicit
    consent for health data, so that is the default. ComplianceGuard applies
    the consent model of the provider's regions instead (see consent_policy),
    and narrows it to ``accepted_bases`` only where the caller passed them.
    """

    def __init__(
        self,
        records: list[ConsentRecord] | None = None,
        *,
        accepted_bases: frozenset[ConsentBasis] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._records: list[ConsentRecord] = list(records or [])
        self.restricts_bases = accepted_bases is not None
        """True if the caller chose ``accepted_bases`` rather than the default."""
        self.accepted_bases = (
            accepted_bases if accepted_bases is not None else DEFAULT_ACCEPTED_BASES
        )

    def grant(self, record: ConsentRecord) -> None:
        """Add a consent record."""
        with self._lock:
            self._records.append(record)

    def records_for(self, patient: Identifier) -> list[ConsentRecord]:
        """Return every record of ``patient``, withdrawn and expired ones included."""
        with self._lock:
            return [r for r in self._records if r.patient == patient]

    def record_opt_out(
        self,
        patient: Identifier,
        purpose: str,
        at: datetime | None = None,
        *,
        evidence_reference: str | None = None,
    ) -> ConsentRecord:
        """Record that ``patient`` opted out of ``purpose`` and return the record.

        Under an opt-out model consent is presumed until the patient opts
        out, so the opt-out is stored as an opt-out consent withdrawn at the
        moment it was recorded. Active records for the purpose are withdrawn
        too.
        """
        at = _aware(at, "record_opt_out")
        record = ConsentRecord(
            patient=patient,
            purpose=purpose,
            basis=ConsentBasis.OPT_OUT,
            granted_at=at,
            withdrawn_at=at,
            evidence_reference=evidence_reference,
        )
        self.withdraw(patient, purpose, at)
        with self._lock:
            self._records.append(record)
        return record

    def withdraw(
        self, patient: Identifier, purpose: str, at: datetime | None = None
    ) -> int:
        """Withdraw every active consent of ``patient`` for ``purpose``.

        Returns how many records were withdrawn.
        """
        at = _aware(at, "withdraw")
        withdrawn = 0
        with self._lock:
            for index, record in enumerate(self._records):
                if (
                    record.patient == patient
                    and record.purpose == purpose
                    and record.is_active(at)
                ):
                    self._records[index] = replace(record, withdrawn_at=at)
                    withdrawn += 1
        return withdrawn

    def check(
        self, patient: Identifier, purpose: str, at: datetime | None = None
    ) -> ConsentRecord:
        """Return the active consent for ``patient`` and ``purpose`` or raise.

        The error states why (none recorded, withdrawn, expired, another purpose
        only, or a basis the region does not accept) but not who the patient is
        beyond the identifier the caller already holds.
        """
        at = _aware(at, "check")
        with self._lock:
            for_patient = [r for r in self._records if r.patient == patient]
        for_purpose = [r for r in for_patient if r.purpose == purpose]
        for record in for_purpose:
            if record.is_active(at) and record.basis in self.accepted_bases:
                return record
        raise ConsentRequiredError(
            _refusal(patient, purpose, at, for_patient, for_purpose, self)
        )


def _aware(at: datetime | None, method: str) -> datetime:
    # Records hold aware datetimes, and comparing a naive one with them raises
    # TypeError or, with no records to compare, passes unnoticed.
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError(
            f"ConsentRegistry.{method}: at must be timezone-aware, got {at!r}"
        )
    return at


def _refusal(
    patient: Identifier,
    purpose: str,
    at: datetime,
    for_patient: list[ConsentRecord],
    for_purpose: list[ConsentRecord],
    registry: ConsentRegistry,
) -> str:
    subject = f"patient {patient.value} ({patient.system}) for purpose {purpose!r}"
    fix = "Record the patient's consent in the consent registry before calling."
    if not for_patient:
        return f"No consent is recorded for {subject}. {fix}"
    if not for_purpose:
        others = ", ".join(sorted({r.purpose for r in for_patient}))
        return (
            f"No consent is recorded for {subject}; consent covers only: {others}. "
            f"{fix}"
        )
    if any(r.withdrawn_at is not None and at >= r.withdrawn_at for r in for_purpose):
        return f"Consent for {subject} was withdrawn. Nothing may be sent."
    if any(r.expires_at is not None and at >= r.expires_at for r in for_purpose):
        return f"Consent for {subject} has expired. {fix}"
    if any(r.basis not in registry.accepted_bases for r in for_purpose):
        accepted = ", ".join(sorted(b.value for b in registry.accepted_bases))
        return (
            f"Consent for {subject} has a basis this region does not accept; "
            f"accepted: {accepted}. {fix}"
        )
    return f"Consent for {subject} is not yet in force at {at.isoformat()}. {fix}"
