"""Test hooks that let carecert's suites run against the SAS adapter.

The suites use ``SASInterface.carecert_harness()`` to get this harness: the
adapter config, the simulator to record from, and one call of each
patient-data operation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carecert.adapters.compliance import UserSession
from carecert.adapters.models import Identifier, PatientRecord, RecordType
from carecert.adapters.provider import HealthcareProvider
from carecert.adapters.sas.codes import NUHSA_SYSTEM
from carecert.adapters.sas.endpoints import API_PATH, TOKEN_PATH
from carecert.adapters.sas.interface import SASInterface
from carecert.adapters.sas.simulator import create_app
from carecert.adapters.sas.synthetic import SAMPLE_CENTRE, SAMPLE_NUHSA
from carecert.harness.provider_keys import write_self_signed
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["SASHarness", "write_client_certificate"]

# A fixed slot keeps the recorded booking request identical on every run.
SAMPLE_SLOT_START = datetime(2030, 1, 7, 8, 30, tzinfo=UTC)
SAMPLE_SLOT_END = datetime(2030, 1, 7, 8, 50, tzinfo=UTC)

CLIENT_CERTIFICATE_NAME = "sas-provider-certificate.pem"


class SASHarness(ProviderHarness):
    """Harness for SASInterface, with private_key_jwt client authentication."""

    info = SASInterface.info
    sample_patient = Identifier(system=NUHSA_SYSTEM, value=SAMPLE_NUHSA)

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        certificate = write_client_certificate(keys.private_key_path)
        return {
            "client_id": keys.api_key,
            "private_key_path": str(keys.private_key_path),
            "key_id": keys.key_id,
            "certificado_digital": str(certificate),
            "clave_certificado": str(keys.private_key_path),
            "centro_salud_id": SAMPLE_CENTRE,
            "provincia": "SE",
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        return create_app(
            client_id=keys.api_key, public_key=keys.public_key_pem, key_id=keys.key_id
        )

    def point_at(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {
            "api_base": base + API_PATH,
            "token_url": base + TOKEN_PATH,
            "api_endpoints": {"citas": base, "recetas": base},
        }

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, SASInterface)
        demographics = await provider.get_patient(patient.value, session=session)
        return PatientRecord(patient=demographics, sections=(RecordType.DEMOGRAPHICS,))

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, SASInterface)
        await provider.get_patient(patient.value)
        await provider.book_appointment(
            patient.value,
            "cardiologia",
            "Hospital Virgen del Rocío",
            start=SAMPLE_SLOT_START,
            end=SAMPLE_SLOT_END,
        )
        await provider.get_prescriptions(patient.value)
        return ["get_patient", "book_appointment", "get_prescriptions"]


def write_client_certificate(private_key_path: Path) -> Path:
    """Write a self-signed client certificate for the RSA key at ``private_key_path``.

    The certificate goes beside the key and is reused while it exists. It
    replaces the provider certificate that SAS issues. Only the in-process
    simulator accepts it, because that simulator checks no client certificate.
    """
    return write_self_signed(
        private_key_path, CLIENT_CERTIFICATE_NAME, "carecert synthetic SAS client"
    )
