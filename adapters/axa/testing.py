"""Test hooks that let carecert's suites run against the AXA adapter.

The suites use ``AXAProvider.carecert_harness()`` to get this harness: the
adapter config, the simulator to record from, and one call of each
patient-data operation.

AXA's partner API has no patient read. The patient data it returns is a
member's cover, so ``read_patient`` runs verify_coverage and returns a
PatientRecord whose Patient has only the policy number as identifier and
no record sections. It carries no demographics because AXA returns none.
"""

from __future__ import annotations

from typing import Any

from carecert.adapters.axa.codes import POLICY_SYSTEM
from carecert.adapters.axa.endpoints import API_PATH
from carecert.adapters.axa.interface import AXAProvider
from carecert.adapters.axa.simulator import create_app
from carecert.adapters.axa.synthetic import (
    SAMPLE_COUNTRY,
    SAMPLE_PARTNER,
    SAMPLE_POLICY,
    SAMPLE_PROVIDER,
    SAMPLE_TREATMENT,
)
from carecert.adapters.compliance import UserSession
from carecert.adapters.models import Identifier, Patient, PatientRecord
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["SAMPLE_CLAIM", "SAMPLE_CLAIM_KEY", "AXAHarness"]

SAMPLE_CLAIM: dict[str, Any] = {
    "amount": "150.00",
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["I10", "E11.9"],
    "treatment_code": SAMPLE_TREATMENT,
    "provider_id": SAMPLE_PROVIDER,
}
"""The claim exercise_all submits. Its fixed values and key keep the recorded
request the same on every run."""

SAMPLE_CLAIM_KEY = "6f1c2a52-0d7e-4a51-9f3b-4c1d2e8a7b10"


class AXAHarness(ProviderHarness):
    """Harness for AXAProvider: API key plus a partner JWT, TOTP second factor."""

    info = AXAProvider.info
    sample_patient = Identifier(system=POLICY_SYSTEM, value=SAMPLE_POLICY)

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        return {
            "api_key": keys.api_key,
            "partner_code": SAMPLE_PARTNER,
            "private_key_path": str(keys.private_key_path),
            "key_id": keys.key_id,
            "region": "EMEA",
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        return create_app(
            api_key=keys.api_key,
            partner_code=SAMPLE_PARTNER,
            public_key=keys.public_key_pem,
            key_id=keys.key_id,
        )

    def point_at(self, base_url: str) -> dict[str, Any]:
        return {"api_base": base_url.rstrip("/") + API_PATH}

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, AXAProvider)
        coverage = await provider.verify_coverage(
            patient.value,
            SAMPLE_TREATMENT,
            SAMPLE_PROVIDER,
            SAMPLE_COUNTRY,
            session=session,
        )
        member = Patient(identifiers=(coverage.beneficiary,))
        return PatientRecord(patient=member, sections=())

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, AXAProvider)
        await provider.verify_coverage(
            patient.value, SAMPLE_TREATMENT, SAMPLE_PROVIDER, SAMPLE_COUNTRY
        )
        await provider.submit_claim(
            patient.value, SAMPLE_CLAIM, idempotency_key=SAMPLE_CLAIM_KEY
        )
        return ["verify_coverage", "submit_claim"]
