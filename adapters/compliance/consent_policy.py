"""Regional consent models: which consent lets patient data leave, per region.

Each catalogue region names a consent model. ComplianceGuard builds a
ConsentPolicy from the models of every region a provider is in (member states
bring their parent region's model too) and calls it before anything is sent.
Every model must allow the access, and the strictest model decides which
basis is recorded in the audit record, so a provider in two regions meets the
stricter one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from carecert.adapters.compliance.catalogue import Catalogue, load_catalogue
from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.errors import ConfigurationError, ConsentRequiredError
from carecert.adapters.models import Identifier

__all__ = [
    "BASES_BY_MODEL",
    "ConsentDecision",
    "ConsentPolicy",
    "RegionConsentModel",
]

_RECORDED = frozenset({ConsentBasis.EXPLICIT, ConsentBasis.WRITTEN})

BASES_BY_MODEL: dict[str, frozenset[ConsentBasis]] = {
    "explicit": _RECORDED,
    "granular": _RECORDED,
    "opt-in": _RECORDED,
    "written": frozenset({ConsentBasis.WRITTEN}),
    "explicit-or-legal-basis": _RECORDED | {ConsentBasis.LEGAL_BASIS},
    "implied": frozenset(ConsentBasis),
    "opt-out": frozenset(ConsentBasis),
}
"""Bases of a recorded consent that each model accepts."""

# Higher is stricter. An implied model limited to some purposes ranks between
# the unlimited implied model and the models that need a record.
_STRICTNESS = {
    "written": 70,
    "granular": 60,
    "explicit": 50,
    "opt-in": 50,
    "explicit-or-legal-basis": 40,
    "implied": 20,
    "opt-out": 10,
}

# Requirement of each model before data may leave, for rejection messages.
_REQUIREMENT = {
    "explicit": "an explicit or written consent recorded for this purpose",
    "opt-in": "a recorded opt-in (explicit or written consent) for this purpose",
    "granular": (
        "an explicit or written consent recorded for this purpose on its own, "
        "not bundled with other purposes"
    ),
    "written": (
        "a written consent for this purpose whose evidence_reference points to "
        "the signed document"
    ),
    "explicit-or-legal-basis": (
        "an explicit or written consent for this purpose, or a legal-basis record "
        "whose evidence_reference names the statutory basis"
    ),
    "implied": "no withdrawal of consent for this purpose",
    "opt-out": "no recorded opt-out for this purpose",
}


@dataclass(frozen=True)
class ConsentDecision:
    """The consent an access goes ahead on, and the rule that admitted it.

    ``record`` is None where the region presumes consent (implied or opt-out
    model) and no record exists. ``basis`` then names the presumption that applied.
    """

    patient: Identifier
    purpose: str
    basis: ConsentBasis
    record: ConsentRecord | None
    region: str
    model: str
    rule: str

    @property
    def presumed(self) -> bool:
        """True if no record was needed because the region presumes consent."""
        return self.record is None

    def audit_detail(self) -> str:
        """Return the text stored in the audit record's detail column."""
        if self.record is None:
            source = "presumed, no consent record"
        else:
            source = f"record granted {self.record.granted_at.isoformat()}"
        return f"consent basis {self.basis.value} ({source}); {self.rule}"


@dataclass(frozen=True)
class _Rejection:
    model: RegionConsentModel
    reason: str


@dataclass(frozen=True)
class RegionConsentModel:
    """One region's consent model, with the purposes an implied model covers."""

    region: str
    model: str
    implied_purposes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.model not in _STRICTNESS:
            raise ConfigurationError(
                f"Region {self.region}: consent model {self.model!r} is unknown. "
                f"Use one of {', '.join(sorted(_STRICTNESS))}."
            )

    @property
    def strictness(self) -> int:
        """Rank used to pick the stricter model; higher is stricter."""
        rank = _STRICTNESS[self.model]
        if self.model == "implied" and self.implied_purposes is not None:
            rank += 10
        return rank

    def describe(self) -> str:
        """Name the model for evidence and messages, e.g. "DE written consent"."""
        text = f"{self.region} {self.model} consent"
        if self.implied_purposes is not None:
            text += f" (only for {', '.join(sorted(self.implied_purposes))})"
        return text

    def evaluate(
        self,
        patient: Identifier,
        purpose: str,
        records: Sequence[ConsentRecord],
        at: datetime,
        narrowed_to: frozenset[ConsentBasis] | None = None,
    ) -> ConsentDecision | _Rejection:
        """Decide one access under this model alone.

        ``records`` are the patient's records. ``narrowed_to``, when given,
        further limits the bases accepted, as a registry's own accepted_bases
        do.
        """
        accepted = BASES_BY_MODEL[self.model]
        if narrowed_to is not None:
            accepted = accepted & narrowed_to
        for_purpose = [r for r in records if r.purpose == purpose]
        usable = [r for r in for_purpose if self._usable(r, at, accepted)]
        if usable:
            record = max(usable, key=lambda r: r.granted_at)
            rule = f"{self.describe()}: {record.basis.value} consent record"
            return self._decision(patient, purpose, record.basis, record, rule)
        if self.model in ("implied", "opt-out"):
            return self._presume(patient, purpose, for_purpose, at, narrowed_to)
        return _Rejection(
            self,
            _explain(self, patient, purpose, records, for_purpose, at, accepted),
        )

    def _usable(
        self, record: ConsentRecord, at: datetime, accepted: frozenset[ConsentBasis]
    ) -> bool:
        if not record.is_active(at) or record.basis not in accepted:
            return False
        if self.model == "granular" and record.bundled_with:
            return False
        needs_evidence = self.model == "written" or (
            record.basis is ConsentBasis.LEGAL_BASIS
        )
        return not (needs_evidence and not (record.evidence_reference or "").strip())

    def _presume(
        self,
        patient: Identifier,
        purpose: str,
        for_purpose: list[ConsentRecord],
        at: datetime,
        narrowed_to: frozenset[ConsentBasis] | None,
    ) -> ConsentDecision | _Rejection:
        subject = _subject(patient, purpose)
        withdrawn = [r for r in for_purpose if _withdrawn_by(r, at)]
        if withdrawn:
            when = max(r.withdrawn_at for r in withdrawn if r.withdrawn_at is not None)
            verb = "opted out of" if self.model == "opt-out" else "withdrew consent to"
            return _Rejection(
                self,
                f"The patient {verb} processing for {subject} at {when.isoformat()}; "
                f"{self.describe()} requires {_REQUIREMENT[self.model]}. "
                "Nothing may be sent.",
            )
        if self.implied_purposes is not None and purpose not in self.implied_purposes:
            covered = ", ".join(sorted(self.implied_purposes))
            return _Rejection(
                self,
                f"No consent is recorded for {subject}, and {self.describe()} is "
                f"presumed only for {covered}. Record the patient's explicit "
                "consent or authorization for this purpose before calling.",
            )
        presumed = (
            ConsentBasis.IMPLIED if self.model == "implied" else ConsentBasis.OPT_OUT
        )
        if narrowed_to is not None and presumed not in narrowed_to:
            accepted = ", ".join(sorted(b.value for b in narrowed_to))
            return _Rejection(
                self,
                f"No consent is recorded for {subject}. {self.describe()} would "
                f"presume {presumed.value} consent, but the consent registry accepts "
                f"only: {accepted}. Record the patient's consent before calling.",
            )
        if self.model == "implied":
            rule = f"{self.describe()}: implied consent, no record needed"
        else:
            rule = f"{self.describe()}: no opt-out recorded, so consent is presumed"
        return self._decision(patient, purpose, presumed, None, rule)

    def _decision(
        self,
        patient: Identifier,
        purpose: str,
        basis: ConsentBasis,
        record: ConsentRecord | None,
        rule: str,
    ) -> ConsentDecision:
        return ConsentDecision(
            patient=patient,
            purpose=purpose,
            basis=basis,
            record=record,
            region=self.region,
            model=self.model,
            rule=rule,
        )


@dataclass(frozen=True)
class ConsentPolicy:
    """The consent models of every region whose law applies to one provider."""

    models: tuple[RegionConsentModel, ...]

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigurationError(
                "ConsentPolicy needs the consent model of at least one region."
            )

    @classmethod
    def for_regions(
        cls, regions: Iterable[str], catalogue: Catalogue | None = None
    ) -> ConsentPolicy:
        """Build the policy for ``regions`` and their parent regions.

        An unknown region code raises ConfigurationError naming the valid ones,
        because its consent model cannot be known.
        """
        catalogue = catalogue if catalogue is not None else load_catalogue()
        codes: list[str] = []
        for code in regions:
            region = catalogue.region(code)
            while region is not None and region.code not in codes:
                codes.append(region.code)
                region = catalogue.region(region.parent) if region.parent else None
        models = tuple(
            RegionConsentModel(
                code,
                catalogue.regions[code].consent,
                catalogue.regions[code].consent_implied_purposes,
            )
            for code in codes
        )
        return cls(models)

    def strictest(self) -> RegionConsentModel:
        """Return the strictest model; the first listed wins a tie."""
        return max(self.models, key=lambda m: m.strictness)

    def describe(self) -> str:
        """Name the deciding model and the models it is stricter than."""
        decisive = self.strictest()
        others = [m for m in self.models if m is not decisive]
        text = decisive.describe()
        looser = [m.describe() for m in others if m.strictness < decisive.strictness]
        same = [m.describe() for m in others if m.strictness >= decisive.strictness]
        if looser:
            text += f" (stricter than {', '.join(looser)})"
        if same:
            text += f" (as strict as {', '.join(same)})"
        return text

    def decide(
        self,
        registry: ConsentRegistry,
        patient: Identifier,
        purpose: str,
        at: datetime | None = None,
    ) -> ConsentDecision:
        """Return the consent this access goes ahead on, or raise.

        Raises ConsentRequiredError with the strictest rejecting region's reason
        if any region's model rejects. The error names the patient identifier
        the caller already holds, and nothing more about the patient.
        """
        if at is None:
            at = datetime.now(UTC)
        elif at.tzinfo is None:
            raise ValueError(f"ConsentPolicy.decide: at must be timezone-aware: {at!r}")
        records = registry.records_for(patient)
        narrowed_to = registry.accepted_bases if registry.restricts_bases else None
        ranked = sorted(self.models, key=lambda m: m.strictness, reverse=True)
        outcomes = [
            model.evaluate(patient, purpose, records, at, narrowed_to)
            for model in ranked
        ]
        rejections = [o for o in outcomes if isinstance(o, _Rejection)]
        if rejections:
            rejection = rejections[0]
            reason = rejection.reason
            if len(self.models) > 1:
                reason += f" Applied: {self.describe()}; every model must allow it."
            raise ConsentRequiredError(reason)
        # No rejection, so every outcome is a decision, the strictest first.
        decision = next(o for o in outcomes if isinstance(o, ConsentDecision))
        if len(self.models) == 1:
            return decision
        return dataclasses.replace(
            decision, rule=f"{decision.rule}; decided by {self.describe()}"
        )


def _withdrawn_by(record: ConsentRecord, at: datetime) -> bool:
    return record.withdrawn_at is not None and at >= record.withdrawn_at


def _subject(patient: Identifier, purpose: str) -> str:
    return f"patient {patient.value} ({patient.system}) for purpose {purpose!r}"


def _explain(
    model: RegionConsentModel,
    patient: Identifier,
    purpose: str,
    records: Sequence[ConsentRecord],
    for_purpose: list[ConsentRecord],
    at: datetime,
    accepted: frozenset[ConsentBasis],
) -> str:
    """Say why no record satisfies ``model``, most basic reason first."""
    subject = _subject(patient, purpose)
    needs = f"{model.describe()} requires {_REQUIREMENT[model.model]}"
    fix = "Record the patient's consent in the consent registry before calling."

    if not records:
        return f"No consent is recorded for {subject}; {needs}. {fix}"
    if not for_purpose:
        others = ", ".join(sorted({r.purpose for r in records}))
        return (
            f"No consent is recorded for {subject}; consent covers only: {others}. "
            f"{needs}. {fix}"
        )
    if all(_withdrawn_by(r, at) for r in for_purpose):
        return f"Consent for {subject} was withdrawn; {needs}. Nothing may be sent."

    active = [r for r in for_purpose if r.is_active(at)]
    if not active:
        if any(r.expires_at is not None and at >= r.expires_at for r in for_purpose):
            return f"Consent for {subject} has expired; {needs}. {fix}"
        return f"Consent for {subject} is not yet in force at {at.isoformat()}. {fix}"
    if all(r.basis not in accepted for r in active):
        found = ", ".join(sorted({r.basis.value for r in active}))
        allowed = ", ".join(sorted(b.value for b in accepted)) or "none"
        return (
            f"Consent for {subject} has basis {found}, which this region does not "
            f"accept (accepted: {allowed}); {needs}. {fix}"
        )

    if model.model == "granular":
        bundled = sorted({p for r in active for p in r.bundled_with})
        return (
            f"Consent for {subject} was given in one request bundled with "
            f"{', '.join(bundled)}; {needs}. Ask for consent to this purpose "
            "separately."
        )
    return (
        f"Consent for {subject} has no evidence_reference to the written or "
        f"statutory basis; {needs}. Store the reference with the record."
    )
