"""Template adapter for Italy's Servizio Sanitario Nazionale (CNS, Tessera
Sanitaria).

It validates the codice fiscale and maps patients to FHIR R4 with the HL7
Italia codice fiscale system, but calls no service: the provider operations
are declared as not implemented. Copy this file to start an Italian adapter,
then implement them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from carecert.adapters.identifiers import (
    CODICE_FISCALE_SYSTEM,
    validate_codice_fiscale,
)
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

__all__ = ["SSNTemplate"]

_NO_CLIENT = (
    "the SSN template has no API client. Copy the template and implement this "
    "call against the regional or national service you are approved for"
)


class SSNTemplate(OperationSupport, HealthcareProvider):
    """Servizio Sanitario Nazionale, Italy's national health service: a template.

    Patients are identified by their codice fiscale, validated with its check
    letter before any use. Config keys: none yet.
    """

    # NOTE: the auth methods, MFA kind and hosts are placeholders to review
    # when implementing. The hosts use the reserved .invalid domain so that
    # nothing can reach them.
    info = ProviderInfo(
        id="ssn",
        name="Servizio Sanitario Nazionale (template)",
        type=ProviderType.PUBLIC_NATIONAL,
        country="IT",
        regions=("IT",),
        compliance=("Codice Privacy", "GDPR"),
        primary_auth=AuthMethod.SMART_CARD,
        secondary_auth=AuthMethod.X509,
        mfa_required=True,
        mfa_kind=MfaKind.SMART_CARD,
        hosts=(
            ProviderHost(
                "api.ssn.invalid", "IT", "placeholder for the patient-data API"
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

    identifier_system: ClassVar[str] = CODICE_FISCALE_SYSTEM

    def validate_patient_identifier(self, codice_fiscale: str) -> Identifier:
        """Return the patient's codice fiscale as an identifier, or raise
        InvalidIdentifierError."""
        return Identifier(
            system=CODICE_FISCALE_SYSTEM, value=validate_codice_fiscale(codice_fiscale)
        )

    def patient_from_fhir(self, resource: Any) -> Patient:
        """Map a FHIR R4 Patient to the canonical Patient, checking each code."""
        return fhir_patient.patient_from_fhir(
            resource,
            national_system=CODICE_FISCALE_SYSTEM,
            validate=validate_codice_fiscale,
        )

    def patient_to_fhir(self, patient: Patient) -> dict[str, Any]:
        """Map a canonical Patient to a FHIR R4 Patient, checking each code."""
        return fhir_patient.patient_to_fhir(
            patient,
            national_system=CODICE_FISCALE_SYSTEM,
            validate=validate_codice_fiscale,
        )

    async def get_patient_record(
        self, codice_fiscale: str, record_types: tuple[str, ...] = ("demographics",)
    ) -> PatientRecord:
        """Read a patient's record: not implemented, see ``operations``."""
        not_implemented(self, "get_patient_record")

    async def book_appointment(
        self,
        codice_fiscale: str,
        specialty: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Appointment:
        """Book an appointment: not implemented, see ``operations``."""
        not_implemented(self, "book_appointment")
