"""CVS Health adapter: prescription status and vaccination bookings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from carecert.adapters.appointment_times import check_appointment_times
from carecert.adapters.auth import OAuth2BearerAuth
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.cvs.auth import (
    API_KEY_HEADER,
    BEARER_CHECK,
    build_token_source,
    checked_api_key,
)
from carecert.adapters.cvs.codes import NDC_SYSTEM, PATIENT_ID_SYSTEM
from carecert.adapters.cvs.endpoints import API_HOST, resolve_endpoints
from carecert.adapters.cvs.mapping import (
    appointment_from_wire,
    booking_request_to_wire,
    patient_from_wire,
    rx_identifier,
    status_from_wire,
)
from carecert.adapters.cvs.patients import patient_from_info, patient_identity
from carecert.adapters.cvs.responses import parse_json, raise_for_status
from carecert.adapters.cvs.validation import (
    find_vaccine,
    ndc_11,
    parse_birth_date,
    validate_patient_id,
    validate_rx_number,
    validate_store_number,
)
from carecert.adapters.errors import (
    ConfigurationError,
    InvalidIdentifierError,
    InvalidResponseError,
    ResourceNotFoundError,
)
from carecert.adapters.fhir.responses import map_body
from carecert.adapters.identifiers import is_valid_npi
from carecert.adapters.models import Appointment, Coding, Identifier, Patient
from carecert.adapters.models.pharmacy import PrescriptionStatus
from carecert.adapters.provider import (
    AuthMethod,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience.idempotency import new_idempotency_key

if TYPE_CHECKING:
    from carecert.harness.providers import ProviderHarness

__all__ = ["IDEMPOTENCY_HEADER", "CVSInterface"]

log = logging.getLogger("carecert.cvs")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header whose value the booking service de-duplicates bookings on."""

JSON = "application/json"

_T = TypeVar("_T")


class CVSInterface(HttpProvider):
    """CVS Health retail pharmacies (United States) through a JSON REST API.

    Config keys:

    * ``client_id`` and ``client_secret`` (or ``$CVS_CLIENT_ID`` and
      ``$CVS_CLIENT_SECRET``): the OAuth 2.0 client, authenticated with HTTP
      Basic at the token endpoint.
    * ``api_key`` (or ``$CVS_API_KEY``): the key sent in ``x-api-key``;
      the client id by default.
    * ``store_number``: the store whose prescriptions check_prescription
      reads, and the default store for bookings (1 to 5 digits, e.g. 3456).
    * ``api_base`` (``https://api.cvs.com/v2`` by default) and ``token_url``.
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.
      User-restricted access needs a verified email one-time code.
    """

    info = ProviderInfo(
        id="cvs",
        name="CVS Health",
        type=ProviderType.PHARMACY,
        country="US",
        regions=("US",),
        compliance=("HIPAA",),
        primary_auth=AuthMethod.OAUTH2,
        secondary_auth=AuthMethod.API_KEY,
        mfa_required=True,
        mfa_kind=MfaKind.EMAIL,
        hosts=(
            ProviderHost(API_HOST, "US", "pharmacy API and OAuth 2.0 token endpoint"),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.cvs",
    )
    media_type = JSON
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.endpoints = resolve_endpoints(self.info.id, config)
        try:
            self.store_number = validate_store_number(
                config.get("store_number"), argument="config key 'store_number'"
            )
        except InvalidIdentifierError as exc:
            raise ConfigurationError(f"{self.info.id}: {exc}") from None
        client_id = self._setting("client_id", "CVS_CLIENT_ID", required=False)
        secret = self._setting("client_secret", "CVS_CLIENT_SECRET", required=False)
        self.tokens = build_token_source(
            self.info, client_id, secret, self.endpoints.token_url
        )
        api_key = self._setting("api_key", "CVS_API_KEY", required=False)
        self._api_key = checked_api_key(self.info, api_key or client_id)
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.cvs.testing import CVSHarness

        return CVSHarness()

    async def check_prescription(
        self,
        rx_number: str,
        dob: str | date,
        *,
        patient_id: str | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> PrescriptionStatus:
        """Return the status of prescription ``rx_number`` at the configured store.

        ``dob`` (YYYY-MM-DD) is the patient's date of birth, which CVS checks
        as a second factor of identity. A wrong date gives the same HTTP 404
        as an unknown Rx number, so ResourceNotFoundError does not tell which.
        Consent and audit records name the patient by ``patient_id`` (the CVS
        patient id) when given, and by the Rx number otherwise. With
        ``patient_id`` the prescription must belong to that patient, or
        ResourceNotFoundError is raised.
        """
        rx = validate_rx_number(rx_number)
        born = parse_birth_date(dob)
        patient = (
            rx_identifier(rx)
            if patient_id is None
            else Identifier(
                system=PATIENT_ID_SYSTEM, value=validate_patient_id(patient_id)
            )
        )
        operation = "check_prescription"
        with self.guard.audited(
            patient=patient, purpose=purpose, operation=operation, session=session
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.prescription_lookup_url(),
                body={
                    "rxNumber": rx,
                    "dateOfBirth": born.isoformat(),
                    "storeNumber": self.store_number,
                },
                # A lookup changes nothing. It is a POST only to keep the
                # date of birth out of the URL, so a resend is harmless.
                replay_safe=True,
            )
            body = parse_json(self.info.id, operation, response)
            status = self._map(operation, "prescription status", status_from_wire, body)
            status = self._checked_status(operation, status, rx)
            if patient_id is not None and status.patient != patient:
                raise ResourceNotFoundError(
                    self.info.id,
                    operation,
                    f"prescription {rx} does not belong to patient {patient_id}. "
                    "Check that both belong to the same person.",
                )
            return status

    async def schedule_vaccination(
        self,
        patient_info: Mapping[str, Any],
        vaccine_type: str,
        store_number: str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """Book a vaccination at ``store_number`` (the configured store by default).

        ``patient_info`` has ``first_name``, ``last_name`` and ``dob``, and
        optionally ``middle_name``, ``gender``, ``email``, ``phone`` and
        ``patient_id``. ``vaccine_type`` is a name of VACCINES, such as
        ``COVID-19`` or ``influenza``. Without ``start`` and ``end`` the store
        picks the next free slot. The returned Appointment's patient is the
        CVS patient id, which CVS assigns to a patient it did not know.

        The request carries an Idempotency-Key, new by default and the same on
        every retry. To resend a booking whose outcome is unknown, pass the key
        of the first call: the service then returns the appointment it made.
        """
        patient = patient_from_info(patient_info)
        vaccine = find_vaccine(vaccine_type)
        store = validate_store_number(
            self.store_number if store_number is None else store_number
        )
        check_appointment_times(start, end, end_required=True)
        key = idempotency_key or new_idempotency_key()
        if not key.strip():
            raise ValueError("idempotency_key is blank. Pass None for a new key.")
        operation = "schedule_vaccination"
        with self.guard.audited(
            patient=patient_identity(patient),
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.appointments_url(),
                body=booking_request_to_wire(patient, vaccine.name, store, start, end),
                headers={IDEMPOTENCY_HEADER: key},
            )
            if response.status_code != 201:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 201 Created, got {response.status_code}. "
                    "Check that api_base points at the CVS API.",
                )
            body = parse_json(self.info.id, operation, response)
            booked = self._map(operation, "appointment", appointment_from_wire, body)
            booked_patient = self._map(
                operation, "appointment patient", patient_from_wire, body["patient"]
            )
            problem = _booking_mismatch(booked, booked_patient, patient, vaccine.name)
            if problem is None and booked.location.value != store:
                problem = f"names store {booked.location.value}, not {store}"
            if problem is not None:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the booked appointment {problem}. Do not use it, and "
                    "report this to CVS.",
                )
            return booked

    # Responses

    def _checked_status(
        self, operation: str, status: PrescriptionStatus, rx: str
    ) -> PrescriptionStatus:
        """Check the returned status against the request and its identifiers.

        Returns the status with the NDC in its 11-digit form. An Rx or store
        other than the requested one, an NPI that fails its check digit or an
        invalid NDC raises InvalidResponseError.
        """
        problems = []
        if status.rx_number != rx:
            problems.append(f"rxNumber is {status.rx_number}, not {rx}")
        if status.pharmacy.value != self.store_number:
            problems.append(f"store is {status.pharmacy.value}")
        for field, npi in (
            ("prescriber NPI", status.prescriber),
            ("store NPI", status.pharmacy_npi),
        ):
            if npi is not None and not is_valid_npi(npi.value):
                problems.append(f"{field} {npi.value} fails its check digit")
        medication = status.medication
        if medication is not None:
            try:
                medication = Coding(system=NDC_SYSTEM, code=ndc_11(medication.code))
            except ValueError:
                problems.append(f"NDC {medication.code!r} is invalid")
        if problems:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"the status returned for Rx {rx} at store {self.store_number} "
                f"is inconsistent: {'; '.join(problems)}. Report this to CVS.",
            )
        return status.model_copy(update={"medication": medication})

    # Requests

    def _build_auth(self, client: httpx.AsyncClient) -> OAuth2BearerAuth:
        return OAuth2BearerAuth(self.tokens, client, check=BEARER_CHECK)

    def _default_headers(self) -> dict[str, str]:
        return {API_KEY_HEADER: self._api_key}

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)

    def _map(
        self, operation: str, what: str, mapper: Callable[[Any], _T], body: Any
    ) -> _T:
        return map_body(
            self.info.id,
            operation,
            what,
            mapper,
            body,
            value_errors=True,
            advice="Check that api_base points at the CVS API.",
        )


def _booking_mismatch(
    booked: Appointment,
    booked_patient: Patient,
    requested: Patient,
    vaccine: str,
) -> str | None:
    """Return how the booking differs from the request, or None if it matches."""
    if booked.appointment_type != vaccine:
        return f"is for {booked.appointment_type}, not {vaccine}"
    if booked_patient.birth_date != requested.birth_date:
        return "names a patient with another date of birth"
    identity = requested.identifiers[0]
    if identity.system == PATIENT_ID_SYSTEM and booked.patient != identity:
        return f"names patient {booked.patient.value}, not {identity.value}"
    return None
