"""Test hooks that let carecert's suites run against the CVS adapter.

The suites use ``CVSInterface.carecert_harness()`` to get this harness: the
adapter config, the simulator to record from, and one call of each
patient-data operation.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from carecert.adapters.compliance import UserSession
from carecert.adapters.cvs.codes import PATIENT_ID_SYSTEM
from carecert.adapters.cvs.endpoints import API_PATH, TOKEN_PATH
from carecert.adapters.cvs.interface import CVSInterface
from carecert.adapters.cvs.simulator import create_app
from carecert.adapters.cvs.synthetic import (
    SAMPLE_DOB,
    SAMPLE_PATIENT_ID,
    SAMPLE_RX_NUMBER,
    SAMPLE_STORE,
)
from carecert.adapters.models import (
    Coding,
    Identifier,
    MedicationStatement,
    Patient,
    PatientRecord,
    RecordType,
)
from carecert.adapters.models.pharmacy import PrescriptionStatus
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["SAMPLE_PATIENT_INFO", "CVSHarness", "client_secret_for", "record_from"]

# Fixed values keep the recorded booking request the same on every run.
SAMPLE_SLOT_START = datetime(2030, 1, 7, 14, 0, tzinfo=UTC)
SAMPLE_SLOT_END = datetime(2030, 1, 7, 14, 15, tzinfo=UTC)
SAMPLE_IDEMPOTENCY_KEY = "carecert-cvs-sample-booking-1"

SAMPLE_PATIENT_INFO = {
    "first_name": "Marisol",
    "last_name": "Okafor-Lindqvist",
    "dob": SAMPLE_DOB.isoformat(),
    "patient_id": SAMPLE_PATIENT_ID,
}


def client_secret_for(keys: HarnessKeys) -> str:
    """Return the synthetic client secret that goes with this session's keys."""
    return hashlib.sha256(f"{keys.api_key}:client-secret".encode()).hexdigest()


def record_from(status: PrescriptionStatus, patient: Identifier) -> PatientRecord:
    """Return the patient record that one prescription status of ``patient`` shows."""
    medication = status.medication or Coding(code=status.medication_text or "unknown")
    statement = MedicationStatement(
        id=status.rx_number,
        medication=medication.model_copy(update={"display": status.medication_text}),
        status="active",
        effective_start=status.last_fill_date,
    )
    return PatientRecord(
        patient=Patient(identifiers=(patient,), birth_date=SAMPLE_DOB),
        sections=(RecordType.MEDICATIONS,),
        medications=(statement,),
    )


class CVSHarness(ProviderHarness):
    """Harness for CVSInterface, with a synthetic client id and secret."""

    info = CVSInterface.info
    sample_patient = Identifier(system=PATIENT_ID_SYSTEM, value=SAMPLE_PATIENT_ID)

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        return {
            "client_id": keys.api_key,
            "client_secret": client_secret_for(keys),
            "store_number": SAMPLE_STORE,
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        return create_app(client_id=keys.api_key, client_secret=client_secret_for(keys))

    def point_at(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {"api_base": base + API_PATH, "token_url": base + TOKEN_PATH}

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, CVSInterface)
        status = await provider.check_prescription(
            SAMPLE_RX_NUMBER, SAMPLE_DOB, patient_id=patient.value, session=session
        )
        return record_from(status, patient)

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, CVSInterface)
        await provider.check_prescription(
            SAMPLE_RX_NUMBER, SAMPLE_DOB, patient_id=patient.value
        )
        await provider.schedule_vaccination(
            {**SAMPLE_PATIENT_INFO, "patient_id": patient.value},
            "COVID-19",
            SAMPLE_STORE,
            start=SAMPLE_SLOT_START,
            end=SAMPLE_SLOT_END,
            idempotency_key=SAMPLE_IDEMPOTENCY_KEY,
        )
        return ["check_prescription", "schedule_vaccination"]
