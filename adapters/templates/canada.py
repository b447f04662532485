"""Template adapter for Ontario's health insurance plan (OHIP).

It validates the Ontario health number and maps patients to FHIR R4 with the
Ontario health card number system, but calls no service: the provider
operations are declared as not implemented. Copy this file to start a
Canadian adapter, then implement them.

Each province runs its own plan with its own health card number. Quebec's
RAMQ and British Columbia's MSP need their own validators and templates,
because their numbers follow different rules from Ontario's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from carecert.adapters.identifiers import (
    ONTARIO_HEALTH_NUMBER_SYSTEM,
    validate_ontario_health_number,
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

__all__ = ["OHIPTemplate"]

_NO_CLIENT = (
    "the OHIP template has no API client. Copy the template and implement this "
    "call against the provincial service you are approved for"
)


class OHIPTemplate(OperationSupport, HealthcareProvider):
    """Ontario Health Insurance Plan, Ontario's public health insurer: a template.

    Patients are identified by their Ontario health number, validated with its
    Luhn check digit before any use. A version code on the card is kept after
    the 10 digits. Config keys: none yet.
    """

    # NOTE: the auth methods, MFA kind and hosts are placeholders to review
    # when implementing. The hosts use the reserved .invalid domain so that
    # nothing can reach them.
    info = ProviderInfo(
        id="ohip",
        name="Ontario Health Insurance Plan (template)",
        type=ProviderType.PUBLIC_REGIONAL,
        country="CA",
        regions=("CA",),
        compliance=("PIPEDA", "PHIPA"),
        primary_auth=AuthMethod.OAUTH2,
        secondary_auth=AuthMethod.X509,
        mfa_required=True,
        mfa_kind=MfaKind.TOTP,
        hosts=(
            ProviderHost(
                "api.ohip.invalid", "CA", "placeholder for the health card API"
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

    identifier_system: ClassVar[str] = ONTARIO_HEALTH_NUMBER_SYSTEM

    def validate_patient_identifier(self, health_number: str) -> Identifier:
        """Return the patient's Ontario health number as an identifier, or raise
        InvalidIdentifierError."""
        return Identifier(
            system=ONTARIO_HEALTH_NUMBER_SYSTEM,
            value=validate_ontario_health_number(health_number),
        )

    def patient_from_fhir(self, resource: Any) -> Patient:
        """Map a FHIR R4 Patient to the canonical Patient, checking each number."""
        return fhir_patient.patient_from_fhir(
            resource,
            national_system=ONTARIO_HEALTH_NUMBER_SYSTEM,
            validate=validate_ontario_health_number,
        )

    def patient_to_fhir(self, patient: Patient) -> dict[str, Any]:
        """Map a canonical Patient to a FHIR R4 Patient, checking each number."""
        return fhir_patient.patient_to_fhir(
            patient,
            national_system=ONTARIO_HEALTH_NUMBER_SYSTEM,
            validate=validate_ontario_health_number,
        )

    async def get_patient_record(
        self, health_number: str, record_types: tuple[str, ...] = ("demographics",)
    ) -> PatientRecord:
        """Read a patient's record: not implemented, see ``operations``."""
        not_implemented(self, "get_patient_record")

    async def book_appointment(
        self,
        health_number: str,
        specialty: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Appointment:
        """Book an appointment: not implemented, see ``operations``."""
        not_implemented(self, "book_appointment")
