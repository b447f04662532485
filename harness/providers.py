"""Per-provider test hooks that let the suites run without a real backend.

A provider class opts in by defining ``carecert_harness()``, a classmethod that
returns a ProviderHarness. The suites then run every control of the
provider's regions against it, replaying its cassettes or, with
``--mock-api``, calling its simulator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from carecert.adapters.compliance import (
    AppApprovalVerifier,
    ConsentBasis,
    ConsentRecord,
    DeviceVerifier,
    OneTimeCodeVerifier,
    SmartCardVerifier,
    TotpVerifier,
    UserSession,
)
from carecert.adapters.models import Identifier, PatientRecord
from carecert.adapters.provider import HealthcareProvider, MfaKind, ProviderInfo

__all__ = ["HarnessKeys", "ProviderHarness", "harness_for"]


@dataclass(frozen=True)
class HarnessKeys:
    """Synthetic credentials made for one test session, never written to the repo."""

    private_key_path: Path
    public_key_pem: bytes
    key_id: str
    api_key: str


class ProviderHarness(ABC):
    """Test hooks for one provider: config, simulator and sample operations."""

    info: ProviderInfo
    sample_patient: Identifier
    user_token_note: str | None = None
    """Explanation, added to the MFA control's evidence, of why user-restricted
    requests carry another token, where they do."""
    consent_basis: ConsentBasis = ConsentBasis.EXPLICIT
    """Legal basis of the consent that consent_for returns."""
    consent_evidence_reference: str = "carecert synthetic consent"
    """Evidence reference of the consent that consent_for returns."""

    @abstractmethod
    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        """Return an adapter config that works against the recorded traffic."""

    @abstractmethod
    def simulator(self, keys: HarnessKeys) -> Any:
        """Return the provider's ASGI simulator, trusting ``keys``."""

    @abstractmethod
    def point_at(self, base_url: str) -> dict[str, Any]:
        """Return config overrides that send all adapter traffic to ``base_url``."""

    @abstractmethod
    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        """Read patient data through the adapter's main read operation."""

    @abstractmethod
    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        """Call every patient-data operation once; return the operation names."""

    def consent_for(
        self, patient: Identifier, purpose: str = "direct-care"
    ) -> ConsentRecord:
        """Return a consent for ``patient``, on ``consent_basis``, in force now."""
        return ConsentRecord(
            patient=patient,
            purpose=purpose,
            basis=self.consent_basis,
            granted_at=datetime.now(UTC) - timedelta(days=1),
            evidence_reference=self.consent_evidence_reference,
        )

    def verify_second_factor(self, session: UserSession) -> str:
        """Verify the provider's declared second factor for ``session``.

        The default drives carecert's own verifiers with synthetic factors: a
        one-time code for SMS and email, an RFC 6238 code for TOTP, and a
        signed challenge for a smart card, a registered device or an app.
        Returns a sentence for the evidence report. Override it where a
        provider's factor works differently.
        """
        kind = self.info.mfa_kind
        if kind in (MfaKind.SMS, MfaKind.EMAIL):
            sent: list[str] = []
            codes = OneTimeCodeVerifier(kind, lambda user, code: sent.append(code))
            codes.challenge(session)
            verified = codes.verify(session, sent[-1])
            factor = f"{kind} one-time code"
        elif kind is MfaKind.TOTP:
            secret = pyotp.random_base32()
            totp = TotpVerifier(lambda user: secret)
            verified = totp.verify(session, pyotp.TOTP(secret).now())
            factor = "TOTP code (RFC 6238)"
        elif kind in _POSSESSION_VERIFIERS:
            verifier_class, holder = _POSSESSION_VERIFIERS[kind]
            key = ec.generate_private_key(ec.SECP256R1())
            verifier = verifier_class(lambda user: key.public_key())
            challenge = verifier.challenge(session)
            signature = key.sign(challenge, ec.ECDSA(hashes.SHA256()))
            verified = verifier.verify(session, signature)
            factor = f"{holder} signature over a fresh challenge"
        else:
            raise NotImplementedError(
                f"{self.info.id} declares MFA kind {kind}, which the default "
                "harness cannot verify. Override verify_second_factor() in its "
                "ProviderHarness."
            )
        if not verified:
            raise AssertionError(f"the synthetic {factor} did not verify")
        return f"{factor} verified with carecert's verifier"


_POSSESSION_VERIFIERS: dict[MfaKind, tuple[type[SmartCardVerifier], str]] = {
    MfaKind.SMART_CARD: (SmartCardVerifier, "smart-card"),
    MfaKind.DEVICE: (DeviceVerifier, "registered-device"),
    MfaKind.APP: (AppApprovalVerifier, "authenticator-app"),
}


def harness_for(
    provider_class: type[HealthcareProvider], config: Mapping[str, Any] | None = None
) -> ProviderHarness | None:
    """Return the provider's harness, or None if the class defines none."""
    factory = getattr(provider_class, "carecert_harness", None)
    if factory is None:
        return None
    harness = factory()
    if not isinstance(harness, ProviderHarness):
        raise TypeError(
            f"{provider_class.__name__}.carecert_harness() returned "
            f"{type(harness).__name__}; it must return a ProviderHarness."
        )
    return harness
