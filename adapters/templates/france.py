"""Template adapter for France's Assurance Maladie (Carte Vitale, SESAM-Vitale).

It validates the NIR and maps patients to FHIR R4 with the INS-NIR system,
but calls no service: the provider operations are declared as not
implemented. Copy this file to start a French adapter, then implement them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from carecert.adapters.identifiers import INS_NIR_SYSTEM, validate_nir
from carecert.adapters.models import Appointment, Identifier, Patient, PatientRecord
from carecert.adapters.operations import OperationSupport, not_implemented
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.templates import fhir_patient

__all__ = ["AmeliTemplate"]

_NO_CLIENT = (
    "the Assurance Maladie template has no API client. Copy the template and "
    "implement this call against the service you are approved for"
)


class AmeliTemplate(OperationSupport, HealthcareProvider):
    """Assurance Maladie, the French statutory health insurer: a template.

    Patients are identified by their NIR (INS-NIR), validated with its
    modulus 97 key before any use. Config keys: none yet.
    """

    # NOTE: the auth methods, MFA kind and hosts are placeholders to review
    # when implementing. The hosts use the reserved .invalid domain so that
    # nothing can reach them.
    info = ProviderInfo(
        id="ameli",
        name="Assurance Maladie (template)",
        type=ProviderType.STATUTORY_INSURER,
        country="FR",
        regions=("FR",),
        compliance=("CNIL", "RGPD"),
        primary_auth=AuthMethod.SMART_CARD,
        secondary_auth=AuthMethod.X509,
        mfa_required=True,
        mfa_kind=MfaKind.SMART_CARD,
        hosts=(
            ProviderHost(
                "api.ameli.invalid", "FR", "placeholder for the patient-data API"
            ),
        ),
    )

    operations: ClassVar[dict[str, str | None]] = {
        "validate_patient_identifier": None,
        "patient_from_fhir": None,
        "patient_to_fhir": None,
        "get_patient_record": _NO_CLIENT,
        "book_appointment": _NO_CLIENT,
    }

    identifier_system: ClassVar[str] = INS_NIR_SYSTEM

    def validate_patient_identifier(self, nir: str) -> Identifier:
        """Return the patient's NIR as an INS-NIR identifier, or raise
        InvalidIdentifierError."""
        return Identifier(system=INS_NIR_SYSTEM, value=validate_nir(nir))

    def patient_from_fhir(self, resource: Any) -> Patient:
        """Map a FHIR R4 Patient to the canonical Patient, checking each NIR."""
        return fhir_patient.patient_from_fhir(
            resource, national_system=INS_NIR_SYSTEM, validate=validate_nir
        )

    def patient_to_fhir(self, patient: Patient) -> dict[str, Any]:
        """Map a canonical Patient to a FHIR R4 Patient, checking each NIR."""
        return fhir_patient.patient_to_fhir(
            patient, national_system=INS_NIR_SYSTEM, validate=validate_nir
        )

    async def get_patient_record(
        self, nir: str, record_types: tuple[str, ...] = ("demographics",)
    ) -> PatientRecord:
        """Read a patient's record: not implemented, see ``operations``."""
        not_implemented(self, "get_patient_record")

    async def book_appointment(
        self,
        nir: str,
        specialty: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Appointment:
        """Book an appointment: not implemented, see ``operations``."""
        not_implemented(self, "book_appointment")
