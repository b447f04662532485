"""Test hooks that let carecert's suites run against the NHS adapter.

The suites use ``NHSInterface.carecert_harness()`` to get this harness: the
config that matches the recorded traffic, the simulator to record from, and
one call of each patient-data operation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carecert.adapters.compliance import UserSession
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import Identifier, PatientRecord
from carecert.adapters.nhs.endpoints import PDS_BASE_PATH
from carecert.adapters.nhs.interface import NHSInterface
from carecert.adapters.nhs.simulator import create_app
from carecert.adapters.nhs.synthetic import SYNTHETIC_PRACTICE
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["NHSHarness"]

# The PDS sandbox's "patient exists" number; the simulator serves a synthetic
# patient under it with every record section filled in.
SAMPLE_NHS_NUMBER = "9000000009"

# A fixed slot keeps the recorded booking request identical on every run.
SAMPLE_SLOT_START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
SAMPLE_SLOT_END = datetime(2030, 1, 7, 9, 15, tzinfo=UTC)


class NHSHarness(ProviderHarness):
    """Harness for NHSInterface, recorded against the integration environment."""

    info = NHSInterface.info
    sample_patient = Identifier(system=NHS_NUMBER_SYSTEM, value=SAMPLE_NHS_NUMBER)
    user_token_note = (
        "The request carries the application-restricted token, because carecert "
        "does not model the NHS CIS2 user token exchange"
    )

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        return {
            "api_key": keys.api_key,
            "private_key_path": str(keys.private_key_path),
            "key_id": keys.key_id,
            "ods_code": SYNTHETIC_PRACTICE.value,
            "environment": "integration",
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        return create_app(
            public_key=keys.public_key_pem, api_key=keys.api_key, key_id=keys.key_id
        )

    def point_at(self, base_url: str) -> dict[str, Any]:
        # The token and GP record endpoints default to the origin of base_url.
        return {"base_url": base_url.rstrip("/") + PDS_BASE_PATH}

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, NHSInterface)
        return await provider.get_patient_record(
            nhs_number=patient.value,
            record_types=["medications", "allergies", "conditions"],
            session=session,
        )

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, NHSInterface)
        await provider.get_patient_record(
            nhs_number=patient.value,
            record_types=["medications", "allergies", "conditions"],
        )
        await provider.book_gp_appointment(
            nhs_number=patient.value,
            practice_code=SYNTHETIC_PRACTICE.value,
            appointment_type="routine",
            start=SAMPLE_SLOT_START,
            end=SAMPLE_SLOT_END,
        )
        return ["get_patient_record", "book_gp_appointment"]
