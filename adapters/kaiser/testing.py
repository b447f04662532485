"""Test hooks that let carecert's suites run against the Kaiser adapter.

The suites use ``KaiserInterface.carecert_harness()`` to get this harness:
the adapter config, the simulator to record from, and one call of each
patient-data operation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carecert.adapters.compliance import UserSession
from carecert.adapters.kaiser.auth import read_saml_identity
from carecert.adapters.kaiser.codes import MRN_SYSTEM, SECTIONS
from carecert.adapters.kaiser.endpoints import TOKEN_PATH
from carecert.adapters.kaiser.interface import KaiserInterface
from carecert.adapters.kaiser.simulator import create_app
from carecert.adapters.kaiser.synthetic import (
    SAMPLE_DEPARTMENT,
    SAMPLE_FACILITY,
    SAMPLE_MRN,
    SAMPLE_NPI,
)
from carecert.adapters.models import Identifier, PatientRecord
from carecert.adapters.provider import HealthcareProvider
from carecert.harness.provider_keys import certificate_and_key_pem, write_self_signed
from carecert.harness.providers import HarnessKeys, ProviderHarness

__all__ = ["KaiserHarness", "write_saml_identity"]

SAML_IDENTITY_NAME = "kaiser-saml-signing.pem"

SAMPLE_BOOKING_KEY = "5f0c6a1e-8d2b-4c3e-9a47-2b1d0e6f7a90"
"""A fixed booking key, so that a replayed booking matches the recorded one."""


class KaiserHarness(ProviderHarness):
    """Harness for KaiserInterface, signing SAML assertions with the session key."""

    info = KaiserInterface.info
    sample_patient = Identifier(system=MRN_SYSTEM, value=SAMPLE_MRN)

    def config(self, keys: HarnessKeys) -> dict[str, Any]:
        return {
            "client_id": keys.api_key,
            "saml_certificate": str(write_saml_identity(keys.private_key_path)),
            "facility_id": SAMPLE_FACILITY,
        }

    def simulator(self, keys: HarnessKeys) -> Any:
        path = write_saml_identity(keys.private_key_path)
        certificate, _ = read_saml_identity(self.info.id, {"saml_certificate": path})
        return create_app(client_id=keys.api_key, trusted_certificate=certificate)

    def point_at(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {"api_base": base, "token_url": base + TOKEN_PATH}

    async def read_patient(
        self,
        provider: HealthcareProvider,
        patient: Identifier,
        *,
        session: UserSession | None = None,
    ) -> PatientRecord:
        assert isinstance(provider, KaiserInterface)
        return await provider.get_health_record(
            patient.value, list(SECTIONS), session=session
        )

    async def exercise_all(
        self, provider: HealthcareProvider, patient: Identifier
    ) -> list[str]:
        assert isinstance(provider, KaiserInterface)
        await provider.get_health_record(patient.value, list(SECTIONS))
        await provider.schedule_appointment(
            patient.value,
            SAMPLE_DEPARTMENT,
            SAMPLE_NPI,
            "FOLLOW_UP",
            idempotency_key=SAMPLE_BOOKING_KEY,
        )
        return ["get_health_record", "schedule_appointment"]


def write_saml_identity(private_key_path: Path) -> Path:
    """Write a SAML signing certificate and its key, both PEM, into one file.

    The RSA key at ``private_key_path`` signs a self-signed certificate. The
    file goes beside the key and is reused while it exists. It replaces the
    signing certificate an organisation registers with Kaiser, and only the
    simulator trusts it.
    """
    return write_self_signed(
        private_key_path,
        SAML_IDENTITY_NAME,
        "carecert synthetic Kaiser SAML",
        encode=certificate_and_key_pem,
        mode=0o600,
    )
