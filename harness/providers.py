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

from carecert.adapters.compliance import ConsentBasis, ConsentRecord, UserSession
from carecert.adapters.models import Identifier, PatientRecord
from carecert.adapters.provider import HealthcareProvider, ProviderInfo

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
    """Why user-restricted requests carry another token, if they do; the MFA
    control adds it to its evidence."""

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
        """Return an explicit consent for ``patient`` that is in force now."""
        return ConsentRecord(
            patient=patient,
            purpose=purpose,
            basis=ConsentBasis.EXPLICIT,
            granted_at=datetime.now(UTC) - timedelta(days=1),
            evidence_reference="carecert synthetic consent",
        )


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
