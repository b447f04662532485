"""NHS England adapter: PDS demographics, the GP record and GP appointments."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from carecert.adapters.appointment_times import check_appointment_times
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.errors import ConfigurationError, InvalidResponseError
from carecert.adapters.fhir.elements import FHIR_JSON
from carecert.adapters.identifiers import (
    NHS_NUMBER_SYSTEM,
    is_valid_nhs_number,
    validate_nhs_number,
)
from carecert.adapters.models import (
    Appointment,
    AppointmentStatus,
    Identifier,
    Patient,
    PatientRecord,
    RecordType,
)
from carecert.adapters.nhs.auth import ClientAssertionAuth, load_private_key
from carecert.adapters.nhs.endpoints import ENVIRONMENT_HOSTS, resolve_endpoints
from carecert.adapters.nhs.fhir import ODS_SYSTEM
from carecert.adapters.nhs.mapping import (
    appointment_from_fhir,
    appointment_to_fhir,
    patient_from_fhir,
)
from carecert.adapters.nhs.ods import ODS_CODE, validate_practice_code
from carecert.adapters.nhs.record import (
    CLINICAL_SECTIONS,
    ClinicalEntries,
    clinical_entries_from_bundle,
    structured_record_parameters,
)
from carecert.adapters.nhs.responses import (
    parse_json,
    raise_for_status,
)
from carecert.adapters.provider import (
    AuthMethod,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)

if TYPE_CHECKING:
    from carecert.harness.providers import ProviderHarness

__all__ = ["DEFAULT_RECORD_TYPES", "NHSInterface", "parse_record_types"]

log = logging.getLogger("carecert.nhs")

DEFAULT_RECORD_TYPES = ("medications", "allergies", "conditions")

_T = TypeVar("_T")

_HOST_PURPOSE = (
    "PDS FHIR R4 patient retrieval, GP record, GP appointments "
    "and the OAuth 2.0 token endpoint"
)


class NHSInterface(HttpProvider):
    """NHS England through its API platform.

    Config keys: ``api_key`` (or ``$NHS_API_KEY``), ``environment``
    (``sandbox``, ``integration`` or ``production``), ``ods_code`` (sent as
    NHSD-End-User-Organisation-ODS), ``private_key_path`` (or
    ``$NHS_PRIVATE_KEY_PATH``) with ``key_id`` (or ``$NHS_KEY_ID``) and
    optional ``private_key_password``, the URL overrides ``base_url``,
    ``token_url`` and ``spine_endpoint``, and the compliance keys
    ``consent_registry``, ``audit_store`` and ``access_mode``.

    With a private key the adapter sends an OAuth 2.0 Bearer token obtained by
    signed-JWT client authentication. Without one it sends the API key in the
    ``apikey`` header, which is enough for open-access and sandbox APIs only.
    """

    info = ProviderInfo(
        id="nhs",
        name="NHS England (PDS FHIR + GP record)",
        type=ProviderType.PUBLIC_NATIONAL,
        country="GB",
        regions=("UK",),
        compliance=("UK GDPR", "DPA 2018", "NHS DSPT"),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=AuthMethod.OAUTH2,
        mfa_required=True,
        mfa_kind=MfaKind.SMS,
        hosts=tuple(
            ProviderHost(host, "GB", f"{environment}: {_HOST_PURPOSE}")
            for environment, host in ENVIRONMENT_HOSTS.items()
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.nhs",
    )
    # NHS England de-duplicates on X-Request-ID, which every request carries.
    idempotency_header = "X-Request-ID"

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self._api_key = str(self._setting("api_key", "NHS_API_KEY"))
        self.endpoints = resolve_endpoints(self.info.id, config)
        self.ods_code = self._ods_code()
        # NOTE: in user-restricted mode the guard checks the second factor, but
        # requests still carry the application's token. NHS CIS2 token exchange
        # is not implemented, because UserSession carries no ID token.
        self._auth = self._client_assertion_auth()
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.nhs.testing import NHSHarness

        return NHSHarness()

    async def get_patient_record(
        self,
        nhs_number: str,
        record_types: Iterable[str] | str = DEFAULT_RECORD_TYPES,
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
        correlation_id: str | None = None,
    ) -> PatientRecord:
        """Read a patient's demographics from PDS and sections of their GP record.

        ``record_types`` names sections from ``demographics``, ``medications``,
        ``allergies`` and ``conditions``. Demographics are always read. The NHS
        number and the record types are checked, and the compliance guard
        consulted, before anything is sent.
        """
        number = validate_nhs_number(nhs_number)
        sections = parse_record_types(record_types)
        patient = Identifier(system=NHS_NUMBER_SYSTEM, value=number)
        operation = "get_patient_record"
        with self.guard.audited(
            patient=patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            demographics = await self._read_patient(number, operation, correlation_id)
            entries = ClinicalEntries()
            clinical = [s for s in sections if s in CLINICAL_SECTIONS]
            if clinical:
                entries = await self._read_gp_record(
                    number, clinical, operation, correlation_id
                )
            return PatientRecord(
                patient=demographics,
                sections=sections,
                medications=_if(
                    RecordType.MEDICATIONS in sections, entries.medications
                ),
                allergies=_if(RecordType.ALLERGIES in sections, entries.allergies),
                conditions=_if(RecordType.CONDITIONS in sections, entries.conditions),
            )

    async def book_gp_appointment(
        self,
        nhs_number: str,
        practice_code: str,
        appointment_type: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> Appointment:
        """Book an appointment at a GP practice and return it as created.

        With ``start`` (and optionally ``end``) the request names that time and
        has status ``booked``. Without ``start`` it has status ``proposed``, and
        the practice picks the time. ``request_id`` is the X-Request-ID (a
        UUID), new by default. To resend a booking whose outcome is unknown
        after an error, pass the X-Request-ID of the first call: the service
        returns the appointment it made then instead of booking a second.
        """
        if request_id is not None and not _is_uuid(request_id):
            raise ValueError(
                f"request_id {request_id!r} is not a UUID. Pass the X-Request-ID "
                "of an earlier call, or None for a new one."
            )
        number = validate_nhs_number(nhs_number)
        practice = validate_practice_code(practice_code)
        request = _appointment_request(number, practice, appointment_type, start, end)
        patient = request.patient
        operation = "book_gp_appointment"
        with self.guard.audited(
            patient=patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send_with_request_id(
                operation,
                "POST",
                self.endpoints.appointment_url(),
                body=appointment_to_fhir(request),
                correlation_id=correlation_id,
                request_id=request_id,
            )
            return self._created_appointment(operation, response, patient)

    # Requests

    async def _read_patient(
        self, number: str, operation: str, correlation_id: str | None
    ) -> Patient:
        response = await self._send_with_request_id(
            operation,
            "GET",
            self.endpoints.patient_url(number),
            correlation_id=correlation_id,
        )
        body = parse_json(self.info.id, operation, response)
        patient = self._map(operation, "PDS Patient", patient_from_fhir, body)
        returned = patient.identifier_value(NHS_NUMBER_SYSTEM)
        if returned is None or not is_valid_nhs_number(returned):
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"PDS returned a Patient for {number} without a valid NHS number "
                "identifier. Report this to the provider; nothing was mapped.",
            )
        if returned != number:
            # PDS returns the superseding record for a superseded NHS number.
            log.warning(
                "%s %s: PDS returned a record with a different NHS number, "
                "because the requested one is superseded",
                self.info.id,
                operation,
            )
        return patient

    async def _read_gp_record(
        self,
        number: str,
        sections: list[RecordType],
        operation: str,
        correlation_id: str | None,
    ) -> ClinicalEntries:
        response = await self._send_with_request_id(
            operation,
            "POST",
            self.endpoints.structured_record_url(),
            body=structured_record_parameters(number, sections),
            correlation_id=correlation_id,
        )
        body = parse_json(self.info.id, operation, response)
        return self._map(
            operation,
            "GP record Bundle",
            partial(clinical_entries_from_bundle, nhs_number=number),
            body,
        )

    def _created_appointment(
        self, operation: str, response: httpx.Response, patient: Identifier
    ) -> Appointment:
        if response.status_code != 201:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"expected HTTP 201 Created, got {response.status_code}. "
                "Check that spine_endpoint points at the appointment API.",
            )
        location = response.headers.get("Location")
        if not location:
            raise InvalidResponseError(
                self.info.id,
                operation,
                "the 201 response has no Location header, so the appointment "
                "cannot be read back. Report this to the provider.",
            )
        body = parse_json(self.info.id, operation, response)
        booked = self._map(operation, "Appointment", appointment_from_fhir, body)
        if booked.patient != patient:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"the created Appointment names another patient than "
                f"{patient.value}. Do not use it; report this to the provider.",
            )
        if booked.id is None:
            booked = booked.model_copy(update={"id": _id_from_location(location)})
        return booked

    async def _send_with_request_id(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> httpx.Response:
        # One X-Request-ID per logical request, sent unchanged on every retry.
        # NHS England documents it as the value to resend on a retry and
        # de-duplicates on it, so every NHS request is safe to send again.
        request_id = request_id or str(uuid.uuid4())
        content = None if body is None else json.dumps(body).encode()

        async def attempt() -> httpx.Response:
            response = await self._send_once(
                operation, method, url, content, request_id, correlation_id
            )
            if response.status_code == 401 and self._auth is not None:
                log.info(
                    "%s %s: HTTP 401, fetching a new access token and retrying once",
                    self.info.id,
                    operation,
                )
                # Passing the rejected token means that concurrent requests
                # rejected with it cause one token request between them.
                authorization = response.request.headers.get("Authorization", "")
                self._auth.invalidate(authorization.removeprefix("Bearer "))
                response = await self._send_once(
                    operation, method, url, content, request_id, correlation_id
                )
            return response

        return await self._send_with_retries(operation, attempt, replay_safe=True)

    async def _send_once(
        self,
        operation: str,
        method: str,
        url: str,
        content: bytes | None,
        request_id: str,
        correlation_id: str | None,
    ) -> httpx.Response:
        """Send one attempt. httpx errors propagate to the Retrier."""
        client = self._http()
        headers = {"Accept": FHIR_JSON, "X-Request-ID": request_id}
        if correlation_id is not None:
            headers["X-Correlation-ID"] = correlation_id
        if self.ods_code is not None:
            headers["NHSD-End-User-Organisation-ODS"] = self.ods_code
        if content is not None:
            headers["Content-Type"] = FHIR_JSON
            headers["Prefer"] = "return=representation"
        if self._auth is not None:
            token = await self._auth.access_token(client)
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers["apikey"] = self._api_key
        return await client.request(method, url, headers=headers, content=content)

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)

    # Setup

    def _ods_code(self) -> str | None:
        value = self.config.get("ods_code")
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not ODS_CODE.fullmatch(value):
            raise ConfigurationError(
                f"{self.info.id}: ods_code {value!r} is invalid. Give the "
                "organisation's ODS code in capitals and digits, e.g. RX1 or Y12345."
            )
        return value

    def _client_assertion_auth(self) -> ClientAssertionAuth | None:
        key_path = self._setting(
            "private_key_path", "NHS_PRIVATE_KEY_PATH", required=False
        )
        if key_path is None:
            return None
        key_id = str(self._setting("key_id", "NHS_KEY_ID"))
        password = self._setting(
            "private_key_password", "NHS_PRIVATE_KEY_PASSWORD", required=False
        )
        return ClientAssertionAuth(
            provider_id=self.info.id,
            api_key=self._api_key,
            private_key=load_private_key(self.info.id, key_path, password),
            key_id=key_id,
            token_url=self.endpoints.token_url,
        )


def parse_record_types(record_types: Iterable[str] | str) -> tuple[RecordType, ...]:
    """Return the requested record sections in order, without repeats.

    Raises ValueError listing the valid record types for an unknown one.
    """
    valid = ", ".join(t.value for t in RecordType)
    requested = (record_types,) if isinstance(record_types, str) else record_types
    sections: list[RecordType] = []
    for item in requested:
        try:
            section = RecordType(item)
        except ValueError:
            raise ValueError(
                f"Unknown record type {item!r}. Valid record types: {valid}."
            ) from None
        if section not in sections:
            sections.append(section)
    if not sections:
        raise ValueError(f"record_types is empty. Request one or more of: {valid}.")
    return tuple(sections)


def _appointment_request(
    number: str,
    practice: str,
    appointment_type: str,
    start: datetime | None,
    end: datetime | None,
) -> Appointment:
    if not isinstance(appointment_type, str) or not appointment_type.strip():
        raise ValueError(
            f"appointment_type {appointment_type!r} is empty. "
            "Name the kind of appointment, e.g. 'routine'."
        )
    check_appointment_times(start, end, end_required=False)
    return Appointment(
        patient=Identifier(system=NHS_NUMBER_SYSTEM, value=number),
        location=Identifier(system=ODS_SYSTEM, value=practice),
        appointment_type=appointment_type,
        status=(
            AppointmentStatus.BOOKED
            if start is not None
            else AppointmentStatus.PROPOSED
        ),
        start=start,
        end=end,
    )


def _id_from_location(location: str) -> str:
    # FHIR create returns [base]/Appointment/[id]/_history/[vid].
    segments = httpx.URL(location).path.strip("/").split("/")
    if "Appointment" in segments:
        index = segments.index("Appointment")
        if index + 1 < len(segments) and segments[index + 1]:
            return segments[index + 1]
    raise InvalidResponseError(
        NHSInterface.info.id,
        "book_gp_appointment",
        f"the Location header {location!r} names no Appointment id. "
        "Report this to the provider.",
    )


def _if(included: bool, entries: tuple[_T, ...]) -> tuple[_T, ...]:
    return entries if included else ()


def _is_uuid(value: str) -> bool:
    # The 36-character form with hyphens, which is what PDS accepts.
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True
