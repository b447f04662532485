"""Template adapter for Brazil's Sistema Único de Saúde (SUS, ConecteSUS).

It validates the CNS (Cartão Nacional de Saúde) number and the CPF, and maps
patients to FHIR R4 with the RNDS CNS and CPF systems, but calls no service:
the provider operations are declared as not implemented. Copy this file to
start a Brazilian adapter, then implement them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from carecert.adapters.identifiers import (
    CNS_SYSTEM,
    CPF_SYSTEM,
    validate_cns,
    validate_cpf,
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

__all__ = ["SUSTemplate"]

_NO_CLIENT = (
    "the SUS template has no API client. Copy the template and implement this "
    "call against the RNDS or ConecteSUS service you are approved for"
)


class SUSTemplate(OperationSupport, HealthcareProvider):
    """Sistema Único de Saúde, Brazil's public health system: a template.

    Patients are identified by their CNS number, validated with its modulus 11
    rule before any use. A CPF identifier in a mapped Patient is checked
    against its two check digits.
    Config keys: none yet.
    """

    # NOTE: the auth methods, MFA kind and hosts are placeholders to review
    # when implementing. The hosts use the reserved .invalid domain so that
    # nothing can reach them.
    info = ProviderInfo(
        id="sus",
        name="Sistema Único de Saúde (template)",
        type=ProviderType.PUBLIC_NATIONAL,
        country="BR",
        regions=("BR",),
        compliance=("LGPD",),
        primary_auth=AuthMethod.X509,
        secondary_auth=AuthMethod.OAUTH2,
        mfa_required=True,
        mfa_kind=MfaKind.APP,
        hosts=(
            ProviderHost(
                "api.sus.invalid", "BR", "placeholder for the RNDS patient-data API"
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

    identifier_system: ClassVar[str] = CNS_SYSTEM

    def validate_patient_identifier(self, cns: str) -> Identifier:
        """Return the patient's CNS number as an identifier, or raise
        InvalidIdentifierError."""
        return Identifier(system=CNS_SYSTEM, value=validate_cns(cns))

    def patient_from_fhir(self, resource: Any) -> Patient:
        """Map a FHIR R4 Patient to the canonical Patient, checking each CNS and CPF."""
        return fhir_patient.patient_from_fhir(
            resource,
            national_system=CNS_SYSTEM,
            validate=validate_cns,
            also_validate={CPF_SYSTEM: validate_cpf},
        )

    def patient_to_fhir(self, patient: Patient) -> dict[str, Any]:
        """Map a canonical Patient to a FHIR R4 Patient, checking each CNS and CPF."""
        return fhir_patient.patient_to_fhir(
            patient,
            national_system=CNS_SYSTEM,
            validate=validate_cns,
            also_validate={CPF_SYSTEM: validate_cpf},
        )

    async def get_patient_record(
        self, cns: str, record_types: tuple[str, ...] = ("demographics",)
    ) -> PatientRecord:
        """Read a patient's record: not implemented, see ``operations``."""
        not_implemented(self, "get_patient_record")

    async def book_appointment(
        self,
        cns: str,
        specialty: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Appointment:
        """Book an appointment: not implemented, see ``operations``."""
        not_implemented(self, "book_appointment")
