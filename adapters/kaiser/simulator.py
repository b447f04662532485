"""A Kaiser simulator: SAML bearer token endpoint and a paging FHIR R4 API.

One Starlette app serves both hosts: ``/oauth2/token`` of the identity
provider and, under ``/fhir/R4``, Patient, Condition, MedicationRequest and
Immunization searches and Appointment create. The token endpoint verifies
the signed SAML assertion for real. Searches return ``page_size`` entries
per page with a ``next`` link, and bookings are de-duplicated on the
``If-None-Exist`` identifier (FHIR conditional create).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carecert.adapters.auth import SAML2_BEARER_GRANT_TYPE
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.identifiers import NPI_SYSTEM, is_valid_npi
from carecert.adapters.kaiser.auth import SCOPES
from carecert.adapters.kaiser.booking import (
    BOOKING_ID_SYSTEM,
    KaiserAppointment,
    appointment_from_fhir,
    appointment_to_fhir,
)
from carecert.adapters.kaiser.codes import MRN_SYSTEM, PROBLEM_LIST_ITEM
from carecert.adapters.kaiser.conditions import condition_to_fhir
from carecert.adapters.kaiser.endpoints import FHIR_PATH, TOKEN_PATH
from carecert.adapters.kaiser.immunizations import immunization_to_fhir
from carecert.adapters.kaiser.medication_requests import medication_request_to_fhir
from carecert.adapters.kaiser.mrn import is_valid_kaiser_mrn
from carecert.adapters.kaiser.patients import patient_to_fhir
from carecert.adapters.kaiser.saml_verifier import AssertionRejected, SamlBearerVerifier
from carecert.adapters.kaiser.search import search_page_bundle
from carecert.adapters.kaiser.synthetic import SyntheticPatient, synthetic_patients
from carecert.adapters.mock.assertions import endpoint_url
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.oauth import (
    check_scoped_bearer,
    issue_scoped_token,
    oauth_error,
    read_form,
)
from carecert.adapters.mock.responses import fhir_response, outcome_response
from carecert.adapters.mock.simulator_app import build_simulator_app
from carecert.adapters.models import AppointmentStatus

__all__ = ["SimulatorState", "create_app"]

log = logging.getLogger("carecert.kaiser.simulator")

ISSUE_SYSTEM = "urn:carecert:kaiser:simulator-error"
MAX_PAGE_SIZE = 100
_SLOT = timedelta(minutes=30)
_READ_SCOPES = {
    "Patient": "patient/Patient.read",
    "Condition": "patient/Condition.read",
    "MedicationRequest": "patient/MedicationRequest.read",
    "Immunization": "patient/Immunization.read",
}


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    patients: dict[str, SyntheticPatient]
    client_id: str
    verifier: SamlBearerVerifier
    token_lifetime: int
    page_size: int
    clock: Callable[[], float]
    tokens: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments_by_booking_id: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0
    booking_requests: int = 0
    search_requests: int = 0


def create_app(
    *,
    client_id: str,
    trusted_certificate: bytes,
    issuer: str | None = None,
    patients: Mapping[str, SyntheticPatient] | None = None,
    page_size: int = 2,
    token_lifetime: int = 600,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    The token endpoint accepts SAML assertions signed by the key of
    ``trusted_certificate`` (PEM) and issued by ``issuer`` (default
    ``client_id``). ``patients`` maps FHIR ids to patients and defaults to
    synthetic_patients(). ``token_lifetime`` is in seconds. ``faults`` wraps
    every route in FaultMiddleware with that injector.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size {page_size} is outside 1 to {MAX_PAGE_SIZE}.")
    state = SimulatorState(
        patients=dict(synthetic_patients() if patients is None else patients),
        client_id=client_id,
        verifier=SamlBearerVerifier(
            trusted_certificate_pem=trusted_certificate,
            issuer=issuer or client_id,
            clock=clock,
        ),
        token_lifetime=token_lifetime,
        page_size=page_size,
        clock=clock,
    )
    routes = [Route(TOKEN_PATH, _token, methods=["POST"])]
    routes.extend(
        Route(f"{FHIR_PATH}/{resource_type}", _search, methods=["GET"])
        for resource_type in _READ_SCOPES
    )
    routes.append(Route(f"{FHIR_PATH}/Appointment", _book, methods=["POST"]))
    return build_simulator_app(routes, state, faults)


# Token endpoint


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.token_requests += 1
    form = await read_form(request)
    if form.get("grant_type") != SAML2_BEARER_GRANT_TYPE:
        return _oauth_error(400, "unsupported_grant_type", "use saml2-bearer")
    if form.get("client_id") != state.client_id:
        return _oauth_error(401, "invalid_client", "unknown client_id")
    try:
        state.verifier.verify(form.get("assertion", ""), endpoint_url(request))
    except AssertionRejected as exc:
        return _oauth_error(400, "invalid_grant", str(exc))
    return issue_scoped_token(
        form,
        scopes=SCOPES,
        tokens=state.tokens,
        clock=state.clock,
        lifetime=state.token_lifetime,
        logger=log,
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    return oauth_error(status, error, description, logger=log)


# FHIR searches


async def _search(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    resource_type = request.url.path.rsplit("/", 1)[-1]
    rejection = _rejection(state, request, _READ_SCOPES[resource_type])
    if rejection is not None:
        return rejection
    state.search_requests += 1
    query = request.query_params
    try:
        offset = int(query.get("_offset", "0"))
        page_size = int(query.get("_count", str(state.page_size)))
    except ValueError:
        return _outcome(400, "value", "INVALID_PAGING")
    if offset < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
        return _outcome(400, "value", "INVALID_PAGING")
    if resource_type == "Patient":
        matches = _patients_by_mrn(state, query.get("identifier", ""))
        if matches is None:
            return _outcome(400, "value", "INVALID_IDENTIFIER_SEARCH")
        search_query = {"identifier": query["identifier"]}
    else:
        patient_id = query.get("patient", "")
        if not patient_id:
            return _outcome(400, "required", "PATIENT_PARAMETER_MISSING")
        if resource_type == "Condition" and query.get("category") not in (
            None,
            PROBLEM_LIST_ITEM,
        ):
            return _outcome(400, "not-supported", "UNSUPPORTED_CATEGORY")
        matches = _records(state, resource_type, patient_id)
        search_query = {"patient": patient_id}
        if "category" in query:
            search_query["category"] = query["category"]
    bundle = search_page_bundle(
        matches,
        search_url=str(request.url.replace(query="")),
        query=search_query,
        offset=offset,
        page_size=page_size,
    )
    return fhir_response(bundle)


def _patients_by_mrn(state: SimulatorState, token: str) -> list[dict[str, Any]] | None:
    system, _, mrn = token.partition("|")
    if system != MRN_SYSTEM or not is_valid_kaiser_mrn(mrn):
        return None
    return [
        patient_to_fhir(stored.patient)
        for stored in state.patients.values()
        if stored.patient.identifier_value(MRN_SYSTEM) == mrn
    ]


def _records(
    state: SimulatorState, resource_type: str, patient_id: str
) -> list[dict[str, Any]]:
    stored = state.patients.get(patient_id)
    if stored is None:
        return []
    if resource_type == "Condition":
        return [condition_to_fhir(c, patient_id) for c in stored.conditions]
    if resource_type == "MedicationRequest":
        return [
            medication_request_to_fhir(m, patient_id)
            for m in stored.medication_requests
        ]
    return [immunization_to_fhir(i, patient_id) for i in stored.immunizations]


# Appointment create


async def _book(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "user/Appointment.write")
    if rejection is not None:
        return rejection
    search = request.headers.get("If-None-Exist", "")
    name, _, token = search.partition("=")
    system, _, booking_id = token.partition("|")
    if name != "identifier" or system != BOOKING_ID_SYSTEM or not booking_id:
        return _outcome(400, "required", "IF_NONE_EXIST_MISSING")

    state.booking_requests += 1
    # A conditional create that matches returns the existing resource with
    # HTTP 200 and creates nothing, as FHIR R4 specifies.
    # NOTE: the body of a repeated request is not compared with the first.
    existing = state.appointments_by_booking_id.get(booking_id)
    if existing is not None:
        return fhir_response(state.appointments[existing], status_code=200)

    try:
        body = json.loads(await request.body())
        requested = appointment_from_fhir(body)
    except (MappingError, ValueError):
        return _outcome(422, "invalid", "INVALID_APPOINTMENT")
    if requested.booking_id != booking_id:
        return _outcome(400, "conflict", "IF_NONE_EXIST_MISMATCH")
    problem = _booking_problem(state, requested, body)
    if problem is not None:
        return problem

    booked = _booked(state, requested)
    appointment_id = booked.id or ""
    resource = appointment_to_fhir(booked, _patient_id(body))
    state.appointments[appointment_id] = resource
    state.appointments_by_booking_id[booking_id] = appointment_id
    location = f"{FHIR_PATH}/Appointment/{appointment_id}"
    return fhir_response(resource, status_code=201, location=location)


def _booking_problem(
    state: SimulatorState, requested: KaiserAppointment, body: Mapping[str, Any]
) -> Response | None:
    patient = requested.patient
    if patient.system != MRN_SYSTEM or not is_valid_kaiser_mrn(patient.value):
        return _outcome(400, "value", "INVALID_MRN")
    practitioner = requested.practitioner
    if practitioner.system != NPI_SYSTEM or not is_valid_npi(practitioner.value):
        return _outcome(400, "value", "INVALID_NPI")
    stored = state.patients.get(_patient_id(body) or "")
    if stored is None or stored.patient.identifier_value(MRN_SYSTEM) != patient.value:
        return _outcome(404, "not-found", "PATIENT_NOT_FOUND")
    return None


def _patient_id(body: Mapping[str, Any]) -> str | None:
    for participant in body.get("participant") or ():
        actor = participant.get("actor") or {}
        reference = actor.get("reference") or ""
        if actor.get("type") == "Patient" and reference.startswith("Patient/"):
            return str(reference.removeprefix("Patient/"))
    return None


def _booked(state: SimulatorState, requested: KaiserAppointment) -> KaiserAppointment:
    now = datetime.fromtimestamp(state.clock(), UTC).replace(microsecond=0)
    start, end = requested.start, requested.end
    if start is None:
        # The service picks the next free slot: 16:00 UTC tomorrow, then every 30 min.
        day = (now + timedelta(days=1)).replace(hour=16, minute=0, second=0)
        start = day + _SLOT * len(state.appointments)
        end = start + _SLOT
    return requested.model_copy(
        update={
            "id": f"appt-{len(state.appointments) + 1}",
            "status": AppointmentStatus.BOOKED,
            "start": start,
            "end": end,
            "created": now,
        }
    )


# Shared


def _rejection(state: SimulatorState, request: Request, scope: str) -> Response | None:
    rejected = check_scoped_bearer(request, state.tokens, state.clock, scope)
    if rejected is None:
        return None
    return _outcome(rejected.status, rejected.issue_type, rejected.name)


def _outcome(status: int, code: str, detail: str) -> Response:
    return outcome_response(status, code, detail, system=ISSUE_SYSTEM, logger=log)
