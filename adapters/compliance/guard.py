"""The guard every adapter calls before and after touching patient data."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from carecert.adapters.compliance.audit import AuditStore
from carecert.adapters.compliance.catalogue import load_catalogue
from carecert.adapters.compliance.consent import ConsentBasis, ConsentRegistry
from carecert.adapters.compliance.consent_policy import (
    BASES_BY_MODEL,
    ConsentDecision,
    ConsentPolicy,
)
from carecert.adapters.compliance.mfa import UserSession
from carecert.adapters.errors import (
    ComplianceError,
    ConfigurationError,
    SecondFactorRequiredError,
)
from carecert.adapters.models import Identifier
from carecert.adapters.provider import ProviderInfo

__all__ = [
    "ACCESS_MODES",
    "DEFAULT_AUDIT_PATH",
    "ComplianceGuard",
    "accepted_bases_for",
]

log = logging.getLogger("carecert.compliance")

ACCESS_MODES = ("application-restricted", "user-restricted")
DEFAULT_AUDIT_PATH = Path(".carecert") / "audit.sqlite3"
SECOND_FACTOR_MAX_AGE = timedelta(hours=12)


def accepted_bases_for(regions: tuple[str, ...]) -> frozenset[ConsentBasis]:
    """Return the consent bases every one of ``regions`` accepts (the strictest set).

    These are the bases of a recorded consent. Whether an access needs a
    record at all is the region's consent model, which ConsentPolicy applies.
    """
    catalogue = load_catalogue()
    accepted = set(ConsentBasis)
    for code in regions:
        accepted &= BASES_BY_MODEL[catalogue.region(code).consent]
    return frozenset(accepted)


class ComplianceGuard:
    """Consent, second-factor and audit checks for one provider instance.

    Consent follows the catalogue's consent model for every region in
    ``info.regions`` and their parent regions (``consent_policy``): where a
    model needs a record, nothing is sent until one is recorded. Where it
    presumes consent (implied, opt-out) the access goes ahead without a record
    and the audit record says so.

    Config keys: ``consent_registry`` (a ConsentRegistry; an empty one by
    default), ``audit_store`` (an
    AuditStore or a SQLite path; ``$CARECERT_AUDIT_DB`` or
    ``.carecert/audit.sqlite3`` by default) and ``access_mode``. The key
    ``audit_key`` (32 bytes or their base64 text) makes the store that this
    guard opens encrypt its patient columns with AES-256-GCM.
    """

    def __init__(self, info: ProviderInfo, config: Mapping[str, Any]) -> None:
        self.info = info
        self.access_mode = str(config.get("access_mode") or "application-restricted")
        if self.access_mode not in ACCESS_MODES:
            raise ConfigurationError(
                f"{info.id}: access_mode {self.access_mode!r} is invalid; "
                f"use one of {', '.join(ACCESS_MODES)}."
            )
        registry = config.get("consent_registry")
        if registry is None:
            registry = ConsentRegistry(accepted_bases=accepted_bases_for(info.regions))
        if not isinstance(registry, ConsentRegistry):
            raise ConfigurationError(
                f"{info.id}: consent_registry must be a ConsentRegistry, "
                f"got {type(registry).__name__}."
            )
        self.consent = registry
        self.consent_policy = ConsentPolicy.for_regions(info.regions)
        configured_store = config.get("audit_store")
        # A store the caller passed in is theirs to close; one opened here is ours.
        self._owns_audit = not isinstance(configured_store, AuditStore)
        self.audit = _audit_store(info, configured_store, config.get("audit_key"))

    def close(self) -> None:
        """Close the audit store if this guard opened it."""
        if self._owns_audit:
            self.audit.close()

    def check_access(
        self,
        *,
        patient: Identifier,
        purpose: str,
        operation: str,
        session: UserSession | None = None,
    ) -> ConsentDecision:
        """Return the consent the access goes ahead on, or raise.

        A refusal is audited as denied before it is raised.
        """
        try:
            self._require_second_factor(session, operation)
            return self.consent_policy.decide(self.consent, patient, purpose)
        except ComplianceError as exc:
            self.record_access(
                patient=patient,
                purpose=purpose,
                operation=operation,
                outcome="denied",
                session=session,
                detail=type(exc).__name__,
            )
            log.warning("%s %s denied: %s", self.info.id, operation, type(exc).__name__)
            raise

    @contextmanager
    def audited(
        self,
        *,
        patient: Identifier,
        purpose: str,
        operation: str,
        session: UserSession | None = None,
    ) -> Iterator[None]:
        """Check access, run the block, then audit it as success or failure.

        A refusal raises before the block runs and is audited as denied by
        check_access. Any exception from the block, cancellation included, is
        audited as failure with its type name and raised again. A success
        record's detail names the consent basis and the rule that admitted it.
        """
        decision = self.check_access(
            patient=patient, purpose=purpose, operation=operation, session=session
        )
        try:
            yield
        except BaseException as exc:
            self.record_access(
                patient=patient,
                purpose=purpose,
                operation=operation,
                outcome="failure",
                session=session,
                detail=type(exc).__name__,
            )
            raise
        self.record_access(
            patient=patient,
            purpose=purpose,
            operation=operation,
            outcome="success",
            session=session,
            detail=decision.audit_detail(),
        )

    def record_access(
        self,
        *,
        patient: Identifier,
        purpose: str,
        operation: str,
        outcome: str,
        session: UserSession | None = None,
        detail: str | None = None,
    ) -> None:
        """Write the audit record of one access attempt."""
        self.audit.record(
            regions=self.info.regions,
            provider=self.info.id,
            operation=operation,
            outcome=outcome,
            patient_system=patient.system,
            patient_value=patient.value,
            purpose=purpose,
            actor=session.user_id if session else f"application:{self.info.id}",
            detail=detail,
        )

    def _require_second_factor(
        self, session: UserSession | None, operation: str
    ) -> None:
        if self.access_mode != "user-restricted" or not self.info.mfa_required:
            return
        kind = self.info.mfa_kind
        if session is None:
            raise SecondFactorRequiredError(
                f"{self.info.id} {operation}: user-restricted access needs a "
                "UserSession "
                f"with a verified {kind} second factor; none was given."
            )
        if kind is None or not session.has_verified(
            kind, max_age=SECOND_FACTOR_MAX_AGE
        ):
            raise SecondFactorRequiredError(
                f"{self.info.id} {operation}: user {session.user_id!r} has no "
                f"{kind} second "
                f"factor verified in the last {SECOND_FACTOR_MAX_AGE}. Verify it first."
            )


def _audit_store(info: ProviderInfo, configured: Any, key: Any) -> AuditStore:
    if isinstance(configured, AuditStore):
        if key is not None:
            raise ConfigurationError(
                f"{info.id}: audit_key applies only to a store the guard opens "
                "from a path. Pass the key to your AuditStore(key=...) instead."
            )
        return configured
    retention = {
        code: region.audit_retention_years
        for code, region in load_catalogue().regions.items()
    }
    if configured is None:
        configured = os.environ.get("CARECERT_AUDIT_DB") or DEFAULT_AUDIT_PATH
    if not isinstance(configured, str | Path):
        raise ConfigurationError(
            f"{info.id}: audit_store must be an AuditStore or a SQLite file path, "
            f"got {type(configured).__name__}."
        )
    return AuditStore(configured, retention_years=retention, key=key)
