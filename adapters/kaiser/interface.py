"""Kaiser Permanente adapter: health record sections and appointment booking."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
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
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.identifiers import validate_npi
from carecert.adapters.kaiser.auth import build_token_source
from carecert.adapters.kaiser.booking import (
    KaiserAppointment,
    appointment_from_fhir,
    appointment_request,
    appointment_to_fhir,
    if_none_exist,
)
from carecert.adapters.kaiser.codes import FACILITY, MRN_SYSTEM, SECTIONS
from carecert.adapters.kaiser.conditions import condition_from_fhir
from carecert.adapters.kaiser.endpoints import API_HOST, IDP_HOST, resolve_endpoints
from carecert.adapters.kaiser.immunizations import immunization_from_fhir
from carecert.adapters.kaiser.medication_requests import medication_request_from_fhir
from carecert.adapters.kaiser.mrn import validate_kaiser_mrn
from carecert.adapters.kaiser.patients import patient_from_fhir
from carecert.adapters.kaiser.responses import parse_json, raise_for_status
from carecert.adapters.kaiser.search import (
    DEFAULT_MAX_PAGES,
    SearchPage,
    check_next_url,
    read_search_page,
)
from carecert.adapters.models import Identifier, Patient, PatientRecord, RecordType
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

__all__ = ["IDEMPOTENCY_HEADER", "KaiserInterface"]

log = logging.getLogger("carecert.kaiser")

IDEMPOTENCY_HEADER = "If-None-Exist"
"""FHIR conditional-create header on which the server de-duplicates bookings."""

_SECTION_RECORD_TYPES = {
    "problems": RecordType.CONDITIONS,
    "medications": RecordType.MEDICATIONS,
    "immunizations": RecordType.IMMUNIZATIONS,
}
_MAPPERS: dict[str, Callable[[Any], Any]] = {
    "Condition": condition_from_fhir,
    "MedicationRequest": medication_request_from_fhir,
    "Immunization": immunization_from_fhir,
}
# Problem-list entries only, as US Core's problems profile searches them.
_EXTRA_QUERY = {"Condition": {"category": "problem-list-item"}}


class KaiserInterface(HttpProvider):
    """Kaiser Permanente through its FHIR R4 (US Core) API.

    Config keys:

    * ``client_id``: the OAuth 2.0 client id Kaiser issued.
    * ``saml_certificate``: the PEM file of the SAML signing certificate,
      containing its private key too unless ``saml_private_key`` names the
      key file. ``saml_key_password``, ``saml_issuer`` and ``saml_subject``
      are optional.
    * ``api_base``: the API origin or FHIR base URL; ``token_url`` overrides
      the token endpoint.
    * ``facility_id``: the region or facility code that bookings go to
      (NCAL).
    * ``max_search_pages``: pages read per search before giving up (50).
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.
    """

    info = ProviderInfo(
        id="kaiser",
        name="Kaiser Permanente",
        type=ProviderType.PRIVATE_PROVIDER,
        country="US",
        regions=("US",),
        compliance=("HIPAA", "HITECH"),
        primary_auth=AuthMethod.SAML2,
        secondary_auth=AuthMethod.OAUTH2,
        mfa_required=True,
        mfa_kind=MfaKind.APP,
        hosts=(
            ProviderHost(API_HOST, "US", "FHIR R4 API (US Core)"),
            ProviderHost(
                IDP_HOST, "US", "identity provider and OAuth 2.0 token endpoint"
            ),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.kaiser",
    )
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.endpoints = resolve_endpoints(self.info.id, config)
        self.facility = _facility(config.get("facility_id"))
        self.max_pages = _max_pages(config.get("max_search_pages"))
        self.tokens = build_token_source(self.info.id, config, self.endpoints.token_url)
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.kaiser.testing import KaiserHarness

        return KaiserHarness()

    async def get_health_record(
        self,
        mrn: str,
        sections: Iterable[str] | None = None,
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> PatientRecord:
        """Read the patient found by ``mrn`` and the requested record sections.

        ``sections`` are "problems" (Condition), "medications"
        (MedicationRequest) and "immunizations" (Immunization), all three by
        default. They fill the record's ``conditions``,
        ``medication_requests`` and ``immunizations``. Each search is read to
        its last page. The MRN and sections are checked, and the
        compliance guard consulted, before anything is sent.
        """
        number = validate_kaiser_mrn(mrn)
        chosen = _sections(SECTIONS if sections is None else sections)
        patient_identifier = Identifier(system=MRN_SYSTEM, value=number)
        operation = "get_health_record"
        with self.guard.audited(
            patient=patient_identifier,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            patient, patient_id = await self._find_patient(operation, number)
            found: dict[str, tuple[Any, ...]] = {}
            for section in chosen:
                resource_type = SECTIONS[section]
                resources = await self._search(operation, resource_type, patient_id)
                found[section] = tuple(
                    self._map(
                        operation, resource_type, _MAPPERS[resource_type], resource
                    )
                    for resource in resources
                )
            return PatientRecord(
                patient=patient,
                sections=(
                    RecordType.DEMOGRAPHICS,
                    *(_SECTION_RECORD_TYPES[s] for s in chosen),
                ),
                conditions=found.get("problems", ()),
                medication_requests=found.get("medications", ()),
                immunizations=found.get("immunizations", ()),
            )

    async def schedule_appointment(
        self,
        mrn: str,
        department: str,
        provider_npi: str,
        appointment_type: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
        idempotency_key: str | None = None,
    ) -> KaiserAppointment:
        """Book an appointment with a practitioner in a department and return it.

        ``provider_npi`` is checked (Luhn with the 80840 prefix) and the MRN's
        format too, before any request. Without ``start`` the service picks
        the time. The booking carries the identifier ``urn:uuid:<key>`` and is
        sent as a FHIR conditional create on it, so a retry returns the
        appointment made the first time. To resend a booking whose outcome is
        unknown, pass the ``idempotency_key`` of the first call (a UUID).
        """
        number = validate_kaiser_mrn(mrn)
        npi = validate_npi(provider_npi)
        key = _booking_key(idempotency_key)
        request = appointment_request(
            mrn=number,
            department=department,
            npi=npi,
            appointment_type=appointment_type,
            facility=self.facility,
            booking_id=f"urn:uuid:{key}",
            start=start,
            end=end,
        )
        operation = "schedule_appointment"
        with self.guard.audited(
            patient=request.patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            _, patient_id = await self._find_patient(operation, number)
            response = await self._send(
                operation,
                "POST",
                self.endpoints.appointment_url(),
                body=appointment_to_fhir(request, patient_id),
                headers={IDEMPOTENCY_HEADER: if_none_exist(request.booking_id or "")},
            )
            if response.status_code not in (200, 201):
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 201 Created or 200 OK, got "
                    f"{response.status_code}. Check that api_base points at the "
                    "Kaiser FHIR R4 API.",
                )
            body = parse_json(self.info.id, operation, response)
            booked = self._map(operation, "Appointment", appointment_from_fhir, body)
            if (
                booked.patient != request.patient
                or booked.booking_id != request.booking_id
            ):
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    "the returned Appointment names another patient or booking "
                    "than the one requested. Do not use it; report this to Kaiser.",
                )
            return booked

    # Searches

    async def _find_patient(self, operation: str, mrn: str) -> tuple[Patient, str]:
        resources = await self._search(
            operation, "Patient", "", query={"identifier": f"{MRN_SYSTEM}|{mrn}"}
        )
        if not resources:
            raise ResourceNotFoundError(
                self.info.id,
                operation,
                f"no patient has the MRN {mrn}. Check the MRN and facility_id.",
            )
        if len(resources) > 1:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"{len(resources)} patients have the MRN {mrn}. Do not guess; "
                "report this to Kaiser.",
            )
        patient = self._map(operation, "Patient", patient_from_fhir, resources[0])
        if patient.identifier_value(MRN_SYSTEM) != mrn or not patient.id:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"the Patient returned for {mrn} lacks that MRN or an id. Do not "
                "use it; report this to Kaiser.",
            )
        return patient, patient.id

    async def _search(
        self,
        operation: str,
        resource_type: str,
        patient_id: str,
        *,
        query: Mapping[str, str] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Run a search, follow its next links and return every matching resource."""
        params = dict(
            query or {"patient": patient_id, **_EXTRA_QUERY.get(resource_type, {})}
        )
        url = self.endpoints.search_url(resource_type)
        seen: set[str] = set()
        found: list[Mapping[str, Any]] = []
        for page_number in range(1, self.max_pages + 1):
            response = await self._send(operation, "GET", url, params=params)
            body = parse_json(self.info.id, operation, response)
            page: SearchPage = self._map(
                operation,
                f"{resource_type} search page {page_number}",
                partial(
                    read_search_page, resource_type=resource_type, patient_id=patient_id
                ),
                body,
            )
            found.extend(page.resources)
            if page.next_url is None:
                return found
            seen.add(str(response.request.url))
            url = self._next_url(operation, page.next_url, str(response.request.url))
            params = {}
            if url in seen:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the {resource_type} search links page {page_number} to a page "
                    "already read, so its paging loops. Report this to Kaiser.",
                )
        raise InvalidResponseError(
            self.info.id,
            operation,
            f"the {resource_type} search has more than {self.max_pages} pages. "
            "Raise max_search_pages if such long records are expected.",
        )

    def _next_url(self, operation: str, next_url: str, current_url: str) -> str:
        try:
            return check_next_url(next_url, current_url, self.endpoints.fhir_base)
        except MappingError as exc:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"a search page is malformed ({exc}). Check that api_base is "
                "the FHIR base URL the server writes into its links.",
            ) from None

    # Requests

    def _build_auth(self, client: httpx.AsyncClient) -> OAuth2BearerAuth:
        return OAuth2BearerAuth(self.tokens, client)

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)


def _sections(sections: Iterable[str]) -> tuple[str, ...]:
    if isinstance(sections, str):
        raise ValueError(
            f"sections must be a list of section names, got the string {sections!r}. "
            f"Pass e.g. [{sections!r}]."
        )
    chosen: list[str] = []
    for section in sections:
        if section not in SECTIONS:
            raise ValueError(
                f"section {section!r} is unknown. Use any of {', '.join(SECTIONS)}."
            )
        if section not in chosen:
            chosen.append(section)
    return tuple(chosen)


def _booking_key(value: str | None) -> str:
    if value is None:
        return new_idempotency_key()
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(
            f"idempotency_key {value!r} is not a UUID. Pass the key of the first "
            "call, or None for a new key."
        ) from None


def _facility(value: Any) -> str:
    if not isinstance(value, str) or not FACILITY.fullmatch(value):
        raise ConfigurationError(
            f"kaiser: config key 'facility_id' {value!r} is missing or invalid. "
            "Give the Kaiser region or facility code in capitals, e.g. NCAL."
        )
    return value


def _max_pages(value: Any) -> int:
    if value is None:
        return DEFAULT_MAX_PAGES
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= 10_000
    ):
        raise ConfigurationError(
            f"kaiser: max_search_pages {value!r} is invalid. Give a whole number "
            "of pages from 1 to 10000."
        )
    return value
