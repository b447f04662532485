"""Test hooks that let carecert's suites run against the GKV adapter.

The suites use ``GKVInterface.carecert_harness()`` to get this harness: the
adapter config, the simulator to record from, and one call of each
patient-data operation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from carecert.adapters.compliance import ConsentBasis, UserSession
from carecert.adapters.gkv.interface import GKVInterface
from carecert.adapters.gkv.simulator import create_app
from carecert.adapters.gkv.synthetic import SAMPLE_KVNR
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import Identifier, PatientRecord, RecordType
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.provider_keys import write_self_signed
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = [
    "SAMPLE_KVDT_DATA",
    "SAMPLE_PRESCRIPTION_DATA",
    "GKVHarness",
    "sample_config",
    "write_client_certificate",
]

SAMPLE_KVDT_DATA = {
    "abrechnungsquartal": "1/2025",
    "leistungen": ["03000", "03001"],
    "diagnosen": ["I10", "E11.9"],
}
SAMPLE_PRESCRIPTION_DATA = {
    "medication": "Metformin 500mg",
    "dosage": "2x täglich",
    "quantity": "100 Stück",
}
# Fixed values keep the recorded requests, and the receipt's key, the same on
# every run.
SAMPLE_SERVICE_DATE = date(2025, 2, 3)
SAMPLE_AUTHORED_ON = date(2025, 2, 3)
SAMPLE_IDEMPOTENCY_KEY = "carecert-gkv-sample-submission-1"

CLIENT_CERTIFICATE_NAME = "gkv-practice-certificate.pem"


def sample_config(client_cert: str, client_key: str) -> dict[str, Any]:
    """Return a complete adapter config for the synthetic practice."""
    return {
        "betriebsnummer": "123456789",
        "kv_bezirk": "17",
        "versicherten_status": ["GKV", "PKV"],
        "api_credentials": {
            "konnektor_url": "https://konnektor.praxis.de",
            "mandant_id": "PRAXIS_001",
        },
        "telematik_id": "3-SMC-B-1234567890",
        "client_cert": client_cert,
        "client_key": client_key,
        "prescriber": {
            "lanr": "838382202",
            "name": {"family": "Topp-Glücklich", "given": ["Hans"]},
            "qualification_text": "Facharzt für Allgemeinmedizin",
        },
        "praxis": {"name": "Synthetische Hausarztpraxis", "phone": "0301234567"},
    }


class GKVHarness(ProviderHarness):
    """Harness for GKVInterface, with a self-signed practice certificate."""

    info = GKVInterface.info
    sample_patient = Identifier(system=KVNR_SYSTEM, value=SAMPLE_KVNR)
    # The DE region accepts only written consent.
    consent_basis = ConsentBasis.WRITTEN
    consent_evidence_reference = "carecert synthetic written consent"

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        certificate = write_client_certificate(keys.private_key_path)
        return sample_config(str(certificate), str(keys.private_key_path))

    def simulator(self, keys: HarnessKeys) -> Any:
        return create_app()

    def point_at(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {
            "api_credentials": {"konnektor_url": base, "mandant_id": "PRAXIS_001"},
            "erp_base": base,
            "kv_base": base,
        }

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, GKVInterface)
        status = await provider.verify_insurance_status(
            patient.value, "ambulant", session=session
        )
        return PatientRecord(
            patient=status.patient, sections=(RecordType.DEMOGRAPHICS,)
        )

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, GKVInterface)
        await provider.verify_insurance_status(patient.value, "ambulant")
        await provider.submit_kvdt_data(
            patient.value,
            SAMPLE_KVDT_DATA,
            service_date=SAMPLE_SERVICE_DATE,
            idempotency_key=SAMPLE_IDEMPOTENCY_KEY,
        )
        await provider.create_prescription(
            patient.value, SAMPLE_PRESCRIPTION_DATA, authored_on=SAMPLE_AUTHORED_ON
        )
        return ["verify_insurance_status", "submit_kvdt_data", "create_prescription"]


def write_client_certificate(private_key_path: Path) -> Path:
    """Write a self-signed practice certificate for the RSA key at ``private_key_path``.

    The certificate goes beside the key and is reused while it exists. It
    replaces the SMC-B certificate of a practice. Only the in-process
    simulator accepts it, because that simulator checks no client certificate.
    """
    return write_self_signed(
        private_key_path, CLIENT_CERTIFICATE_NAME, "carecert synthetic GKV practice"
    )
