"""Servicio Andaluz de Salud adapter: patient, appointments, e-prescriptions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from carecert.adapters.auth import OAuth2BearerAuth
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.errors import (
    ConfigurationError,
    InvalidResponseError,
    ResourceNotFoundError,
)
from carecert.adapters.identifiers import validate_nuhsa, validate_spanish_id
from carecert.adapters.models import Appointment, Identifier, Patient, Prescription
from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience.idempotency import new_idempotency_key
from carecert.adapters.sas.auth import build_token_source, tls_config
from carecert.adapters.sas.booking import appointment_request, centre_identifier
from carecert.adapters.sas.codes import (
    CENTRE_CODE,
    DNI_SYSTEM,
    NIE_SYSTEM,
    NUHSA_SYSTEM,
    REGIONAL_CODES,
)
from carecert.adapters.sas.endpoints import (
    API_HOST,
    CITAS_HOST,
    RECETAS_HOST,
    resolve_endpoints,
)
from carecert.adapters.sas.mapping import (
    appointment_from_fhir,
    appointment_to_fhir,
    patient_from_fhir,
)
from carecert.adapters.sas.prescriptions import prescriptions_from_bundle
from carecert.adapters.sas.responses import parse_json, raise_for_status
from carecert.adapters.transport import build_async_client

if TYPE_CHECKING:
    from carecert.harness.providers import ProviderHarness

__all__ = ["IDEMPOTENCY_HEADER", "SASInterface"]

log = logging.getLogger("carecert.sas")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header whose value the appointment service de-duplicates bookings on."""


class SASInterface(HttpProvider):
    """The Servicio Andaluz de Salud (Andalusia, Spain) through its FHIR R4 APIs.

    Config keys:

    * ``client_id``, with ``client_secret`` (or ``$SAS_CLIENT_SECRET``) or
      with ``private_key_path`` and ``key_id`` for private_key_jwt.
    * ``certificado_digital`` and ``clave_certificado``: the client
      certificate and key PEM files for mutual TLS.
    * ``centro_salud_id``: the default centre for bookings (CS_SEVILLA_001).
    * ``provincia``: a code of REGIONAL_CODES.
    * URL overrides: ``api_base``, ``token_url`` and ``api_endpoints``
      (``citas``, ``recetas``).
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.
    """

    info = ProviderInfo(
        id="sas",
        name="Servicio Andaluz de Salud",
        type=ProviderType.PUBLIC_REGIONAL,
        country="ES",
        regions=("ES",),
        compliance=("GDPR", "LOPDGDD"),
        primary_auth=AuthMethod.OAUTH2,
        secondary_auth=AuthMethod.X509,
        mfa_required=False,
        mfa_kind=None,
        hosts=(
            ProviderHost(API_HOST, "ES", "patient API and OAuth 2.0 token endpoint"),
            ProviderHost(CITAS_HOST, "ES", "appointment booking (cita previa)"),
            ProviderHost(RECETAS_HOST, "ES", "e-prescriptions (receta electrónica)"),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.sas",
    )
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.endpoints = resolve_endpoints(self.info.id, config)
        self.centre = _centre(config.get("centro_salud_id"))
        self.province = _province(config.get("provincia"))
        secret = self._setting("client_secret", "SAS_CLIENT_SECRET", required=False)
        self._client_config = tls_config(self.info, {**config, "client_secret": secret})
        self.tokens = build_token_source(
            self.info, self._client_config, self.endpoints.token_url
        )
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.sas.testing import SASHarness

        return SASHarness()

    async def get_patient(
        self,
        nuhsa: str,
        *,
        dni: str | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> Patient:
        """Read a patient's demographics by NUHSA.

        With ``dni`` (a DNI or NIE) the returned record must carry that
        document number too, or ResourceNotFoundError is raised. Both numbers
        are validated, and the compliance guard consulted, before anything is
        sent.
        """
        number = validate_nuhsa(nuhsa)
        document = None if dni is None else validate_spanish_id(dni)
        patient = Identifier(system=NUHSA_SYSTEM, value=number)
        operation = "get_patient"
        with self.guard.audited(
            patient=patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation, "GET", self.endpoints.patient_url(number)
            )
            body = parse_json(self.info.id, operation, response)
            record = self._map(operation, "Patient", patient_from_fhir, body)
            if record.identifier_value(NUHSA_SYSTEM) != number:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the Patient returned for {number} does not carry that NUHSA. "
                    "Do not use it; report this to SAS.",
                )
            if document is not None and document not in _documents(record):
                raise ResourceNotFoundError(
                    self.info.id,
                    operation,
                    f"the patient {number} has no matching DNI or NIE. Check "
                    "that both numbers belong to the same person.",
                )
            return record

    async def book_appointment(
        self,
        nuhsa: str,
        specialty: str,
        center_preference: str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """Book an appointment in ``specialty`` and return it as created.

        ``center_preference`` is a centre code (CS_SEVILLA_001) or name
        ("Hospital Virgen del Rocío"), and defaults to ``centro_salud_id``.
        Without ``start`` the service picks the time. The request carries an
        Idempotency-Key, new by default and the same on every retry. To resend
        a booking whose outcome is unknown, pass the key of the first call:
        the service then returns the appointment it made instead of a second.
        """
        number = validate_nuhsa(nuhsa)
        location = centre_identifier(center_preference or self.centre)
        request = appointment_request(number, specialty, location, start, end)
        key = idempotency_key or new_idempotency_key()
        if not key.strip():
            raise ValueError("idempotency_key is blank. Pass None for a new key.")
        operation = "book_appointment"
        with self.guard.audited(
            patient=request.patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.appointment_url(),
                body=appointment_to_fhir(request),
                headers={IDEMPOTENCY_HEADER: key},
            )
            if response.status_code != 201:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 201 Created, got {response.status_code}. "
                    "Check that api_endpoints.citas points at the booking API.",
                )
            body = parse_json(self.info.id, operation, response)
            booked = self._map(operation, "Appointment", appointment_from_fhir, body)
            if booked.patient != request.patient:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the created Appointment names another patient than {number}. "
                    "Do not use it; report this to SAS.",
                )
            return booked

    async def get_prescriptions(
        self,
        nuhsa: str,
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> list[Prescription]:
        """Return the patient's e-prescriptions (MedicationRequest search)."""
        number = validate_nuhsa(nuhsa)
        patient = Identifier(system=NUHSA_SYSTEM, value=number)
        operation = "get_prescriptions"
        with self.guard.audited(
            patient=patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "GET",
                self.endpoints.prescription_search_url(),
                params={"patient.identifier": f"{NUHSA_SYSTEM}|{number}"},
            )
            body = parse_json(self.info.id, operation, response)
            return self._map(
                operation,
                "MedicationRequest search Bundle",
                partial(prescriptions_from_bundle, patient=patient),
                body,
            )

    # Requests

    def _build_client(self) -> httpx.AsyncClient:
        return build_async_client(self.info, self._client_config)

    def _build_auth(self, client: httpx.AsyncClient) -> OAuth2BearerAuth:
        return OAuth2BearerAuth(self.tokens, client)

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)


def _documents(patient: Patient) -> set[str]:
    return {
        identifier.value
        for identifier in patient.identifiers
        if identifier.system in (DNI_SYSTEM, NIE_SYSTEM)
    }


def _centre(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not CENTRE_CODE.fullmatch(value):
        raise ConfigurationError(
            f"sas: centro_salud_id {value!r} is invalid. Give the SAS centre "
            "code in capitals, digits and underscores, e.g. CS_SEVILLA_001."
        )
    return value


def _province(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in REGIONAL_CODES:
        raise ConfigurationError(
            f"sas: provincia {value!r} is invalid. Use one of "
            f"{', '.join(REGIONAL_CODES)}."
        )
    return str(value)
