"""Test hooks that let carecert's suites run against the Medicare adapter.

The suites use ``MedicareAustraliaProvider.carecert_harness()`` to get this
harness: the adapter config, the simulator to record from, and one call of
each patient-data operation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey

from carecert.adapters.compliance import UserSession
from carecert.adapters.medicare_au.codes import IHI_SYSTEM
from carecert.adapters.medicare_au.endpoints import (
    CLAIMING_PATH,
    MHR_PATH,
    PRODA_HOST,
    PRODA_TOKEN_PATH,
)
from carecert.adapters.medicare_au.interface import MedicareAustraliaProvider
from carecert.adapters.medicare_au.simulator import ProdaDevice, create_app
from carecert.adapters.medicare_au.synthetic import (
    SAMPLE_HPIO,
    SAMPLE_IHI,
    SAMPLE_MEDICARE,
    SAMPLE_PROVIDER_NUMBER,
)
from carecert.adapters.models import Identifier, PatientRecord
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.provider_keys import write_self_signed
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["MedicareHarness", "write_pkcs12"]

SAMPLE_ITEMS = ("23", "36")
SAMPLE_SERVICE_DATE = "2025-01-20"
# A fixed key keeps the recorded claim request the same on every run.
SAMPLE_CLAIM_KEY = "0b9d2c4e-5f61-4a7b-8c9d-0e1f2a3b4c5d"
PKCS12_NAME = "medicare-nash-pki.p12"
SAMPLE_ORGANISATION_ID = "9900000001"
"""A synthetic PRODA RA number for the harness's device."""
SAMPLE_DEVICE_NAME = "carecert-harness-device"


class MedicareHarness(ProviderHarness):
    """Harness for MedicareAustraliaProvider with a PKCS#12 client certificate.

    The session's RSA key is both the certificate key and the PRODA device
    key, standing in for a device activated outside carecert.
    """

    info = MedicareAustraliaProvider.info
    sample_patient = Identifier(system=IHI_SYSTEM, value=SAMPLE_IHI)

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        password = keys.api_key
        return {
            "provider_number": SAMPLE_PROVIDER_NUMBER,
            "hpi_o": SAMPLE_HPIO,
            "pki_certificate": str(write_pkcs12(keys.private_key_path, password)),
            "pki_certificate_password": password,
            "my_health_record": {"enabled": True, "ihi_search": False},
            "proda": {
                "organisation_id": SAMPLE_ORGANISATION_ID,
                "device_name": SAMPLE_DEVICE_NAME,
                "device_key": str(keys.private_key_path),
                "client_id": keys.api_key,
                "token_url": f"https://{PRODA_HOST}{PRODA_TOKEN_PATH}",
                "key_id": keys.key_id,
            },
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        device = ProdaDevice(
            organisation_id=SAMPLE_ORGANISATION_ID,
            device_name=SAMPLE_DEVICE_NAME,
            public_key=RSAKey.import_key(keys.public_key_pem),
            client_id=keys.api_key,
            key_id=keys.key_id,
        )
        return create_app(hpio=SAMPLE_HPIO, device=device)

    def point_at(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {
            "mhr_base": base + MHR_PATH,
            "claiming_base": base + CLAIMING_PATH,
            "proda": {"token_url": base + PRODA_TOKEN_PATH},
        }

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, MedicareAustraliaProvider)
        return await provider.get_my_health_record(patient.value, session=session)

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, MedicareAustraliaProvider)
        await provider.get_my_health_record(patient.value)
        await provider.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER,
            SAMPLE_MEDICARE,
            list(SAMPLE_ITEMS),
            SAMPLE_SERVICE_DATE,
            patient_ihi=patient.value,
            idempotency_key=SAMPLE_CLAIM_KEY,
        )
        return ["get_my_health_record", "submit_bulk_bill_claim"]


def write_pkcs12(private_key_path: Path, password: str) -> Path:
    """Write a PKCS#12 file with the RSA key at ``private_key_path``.

    The file contains the key and a self-signed certificate, and goes beside the
    key, so each test session makes its own. It replaces the NASH PKI
    certificate that Services Australia issues. Only the in-process
    simulator accepts it, because that simulator checks no client
    certificate.
    """

    def encode(key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"carecert",
            key,
            certificate,
            None,
            serialization.BestAvailableEncryption(password.encode()),
        )

    return write_self_signed(
        private_key_path,
        PKCS12_NAME,
        "carecert synthetic organisation",
        encode=encode,
        extra_subject=[x509.NameAttribute(NameOID.SERIAL_NUMBER, SAMPLE_HPIO)],
    )
