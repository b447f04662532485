"""Template adapter for Japan's National Health Insurance (国民健康保険).

It validates the Individual Number (My Number) and maps patients to FHIR R4
with a placeholder My Number system, but calls no service: the provider
operations are declared as not implemented. Copy this file to start a
Japanese adapter, then implement them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from carecert.adapters.identifiers import validate_my_number
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

__all__ = ["MY_NUMBER_SYSTEM", "NHIJapanTemplate"]

# NOTE: a placeholder, because no published FHIR identifier system for the
# My Number is known to this template. The My Number Act limits who may
# collect and store the number, and health insurance eligibility checks
# normally use the My Number card's electronic certificate instead, so review
# both before implementing.
MY_NUMBER_SYSTEM = "urn:carecert:template:jp-my-number"
"""FHIR Identifier.system the template uses for the My Number."""

_NO_CLIENT = (
    "the National Health Insurance template has no API client. Copy the "
    "template and implement this call against the service you are approved for"
)


class NHIJapanTemplate(OperationSupport, HealthcareProvider):
    """National Health Insurance, Japan's municipal health insurer: a template.

    Patients are identified by their Individual Number (My Number), validated
    with its modulus 11 check digit before any use. Config keys: none yet.
    """

    # NOTE: the auth methods, MFA kind and hosts are placeholders to review
    # when implementing. The hosts use the reserved .invalid domain so that
    # nothing can reach them.
    info = ProviderInfo(
        id="nhi-jp",
        name="National Health Insurance, Japan (template)",
        type=ProviderType.STATUTORY_INSURER,
        country="JP",
        regions=("JP",),
        compliance=("APPI",),
        primary_auth=AuthMethod.SMART_CARD,
        secondary_auth=AuthMethod.X509,
        mfa_required=True,
        mfa_kind=MfaKind.SMART_CARD,
        hosts=(
            ProviderHost(
                "api.nhi-jp.invalid", "JP", "placeholder for the eligibility API"
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

    identifier_system: ClassVar[str] = MY_NUMBER_SYSTEM

    def validate_patient_identifier(self, my_number: str) -> Identifier:
        """Return the patient's My Number as an identifier, or raise
        InvalidIdentifierError."""
        return Identifier(system=MY_NUMBER_SYSTEM, value=validate_my_number(my_number))

    def patient_from_fhir(self, resource: Any) -> Patient:
        """Map a FHIR R4 Patient to the canonical Patient, checking each number."""
        return fhir_patient.patient_from_fhir(
            resource, national_system=MY_NUMBER_SYSTEM, validate=validate_my_number
        )

    def patient_to_fhir(self, patient: Patient) -> dict[str, Any]:
        """Map a canonical Patient to a FHIR R4 Patient, checking each number."""
        return fhir_patient.patient_to_fhir(
            patient, national_system=MY_NUMBER_SYSTEM, validate=validate_my_number
        )

    async def get_patient_record(
        self, my_number: str, record_types: tuple[str, ...] = ("demographics",)
    ) -> PatientRecord:
        """Read a patient's record: not implemented, see ``operations``."""
        not_implemented(self, "get_patient_record")

    async def book_appointment(
        self,
        my_number: str,
        specialty: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Appointment:
        """Book an appointment: not implemented, see ``operations``."""
        not_implemented(self, "book_appointment")
