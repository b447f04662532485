"""A SAS simulator: token endpoint, Patient read, booking and e-prescriptions.

One Starlette app serves every SAS path: ``/oauth2/token`` and
``/v2/Patient/{nuhsa}`` of the API host, ``/Appointment`` of the appointment
host and ``/MedicationRequest`` of the e-prescription host. It checks client
credentials (secret or signed JWT), Bearer tokens and their scopes, and it
de-duplicates bookings on the Idempotency-Key header.

NOTE: served in process, the simulator cannot see a client certificate. Only
run_server with ``client_ca`` checks mutual TLS.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carecert.adapters.auth import CLIENT_ASSERTION_TYPE
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.identifiers import is_valid_nuhsa
from carecert.adapters.mock.assertions import (
    endpoint_url,
    expiry_problem,
    import_rsa_key,
    jti_problem,
)
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.oauth import (
    basic_client_problem,
    check_scoped_bearer,
    issue_scoped_token,
    oauth_error,
    read_form,
)
from carecert.adapters.mock.responses import fhir_response, outcome_response
from carecert.adapters.mock.server import serve_on_loopback
from carecert.adapters.mock.simulator_app import build_simulator_app
from carecert.adapters.models import Appointment, AppointmentStatus
from carecert.adapters.sas.auth import SCOPES
from carecert.adapters.sas.codes import NUHSA_SYSTEM
from carecert.adapters.sas.endpoints import API_PATH, TOKEN_PATH
from carecert.adapters.sas.interface import IDEMPOTENCY_HEADER
from carecert.adapters.sas.mapping import (
    appointment_from_fhir,
    appointment_to_fhir,
    patient_to_fhir,
)
from carecert.adapters.sas.prescriptions import prescription_to_fhir, search_bundle
from carecert.adapters.sas.synthetic import SyntheticPatient, synthetic_patients

__all__ = ["SimulatorState", "create_app", "run_server"]

log = logging.getLogger("carecert.sas.simulator")

ISSUE_SYSTEM = "urn:carecert:sas:simulator-error"
_SLOT = timedelta(minutes=20)
_NO_CLIENT_AUTHENTICATION = "authenticate with HTTP Basic or a client assertion"


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    patients: dict[str, SyntheticPatient]
    client_id: str
    client_secret: str | None
    public_key: RSAKey | None
    key_id: str | None
    token_lifetime: int
    clock: Callable[[], float]
    tokens: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    used_jtis: dict[str, float] = field(default_factory=dict)
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments_by_key: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0
    booking_requests: int = 0


def create_app(
    *,
    client_id: str,
    client_secret: str | None = None,
    public_key: RSAKey | bytes | str | None = None,
    key_id: str | None = None,
    patients: Mapping[str, SyntheticPatient] | None = None,
    token_lifetime: int = 600,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    The token endpoint accepts ``client_id`` with ``client_secret`` by HTTP
    Basic, or a client assertion signed by ``public_key`` (PEM or a joserfc
    RSAKey) with ``kid`` ``key_id``. ``patients`` defaults to
    synthetic_patients(). ``token_lifetime`` is in seconds. ``faults`` wraps
    every route in FaultMiddleware with that injector.
    """
    if client_secret is None and public_key is None:
        raise ValueError("Give client_secret, public_key or both.")
    state = SimulatorState(
        patients=dict(synthetic_patients() if patients is None else patients),
        client_id=client_id,
        client_secret=client_secret,
        public_key=None if public_key is None else import_rsa_key(public_key),
        key_id=key_id,
        token_lifetime=token_lifetime,
        clock=clock,
    )
    routes = [
        Route(TOKEN_PATH, _token, methods=["POST"]),
        Route(f"{API_PATH}/Patient/{{nuhsa}}", _patient, methods=["GET"]),
        Route("/Appointment", _book, methods=["POST"]),
        Route("/MedicationRequest", _prescriptions, methods=["GET"]),
    ]
    return build_simulator_app(routes, state, faults)


# Token endpoint


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.token_requests += 1
    form = await read_form(request)
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "use client_credentials")
    problem = _client_problem(state, request, form)
    if problem is not None:
        return _oauth_error(401, "invalid_client", problem)
    return issue_scoped_token(
        form,
        scopes=SCOPES,
        tokens=state.tokens,
        clock=state.clock,
        lifetime=state.token_lifetime,
        logger=log,
    )


def _client_problem(
    state: SimulatorState, request: Request, form: Mapping[str, str]
) -> str | None:
    if "client_assertion" in form:
        return _assertion_problem(state, request, form)
    if state.client_secret is None:
        return _NO_CLIENT_AUTHENTICATION
    return basic_client_problem(
        request,
        state.client_id,
        state.client_secret,
        missing=_NO_CLIENT_AUTHENTICATION,
    )


def _assertion_problem(
    state: SimulatorState, request: Request, form: Mapping[str, str]
) -> str | None:
    if state.public_key is None:
        return "no public key is registered"
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        return "client_assertion_type is invalid"
    try:
        token = jwt.decode(form["client_assertion"], state.public_key, ["RS256"])
    except (JoseError, ValueError) as exc:
        return f"client_assertion is invalid ({type(exc).__name__})"
    claims, now = token.claims, state.clock()
    if state.key_id is not None and token.header.get("kid") != state.key_id:
        return "kid does not name the registered key"
    if claims.get("iss") != state.client_id or claims.get("sub") != state.client_id:
        return "iss and sub must be the client id"
    if claims.get("aud") != endpoint_url(request):
        return "aud must be the token endpoint URL"
    exp = claims.get("exp")
    return expiry_problem(exp, now) or jti_problem(
        state.used_jtis, claims.get("jti"), exp, now
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    return oauth_error(status, error, description, logger=log)


# FHIR endpoints


async def _patient(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "patient:read")
    if rejection is not None:
        return rejection
    nuhsa = request.path_params["nuhsa"]
    if not is_valid_nuhsa(nuhsa):
        return _outcome(400, "value", "INVALID_NUHSA")
    stored = state.patients.get(nuhsa)
    if stored is None:
        return _outcome(404, "not-found", "PATIENT_NOT_FOUND")
    resource = patient_to_fhir(stored.patient)
    if stored.patient.restricted:
        for key in ("address", "telecom"):
            resource.pop(key, None)
    return fhir_response(resource)


async def _book(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "appointment:write")
    if rejection is not None:
        return rejection
    key = idempotency_key(request, IDEMPOTENCY_HEADER)
    if key is None:
        return _outcome(400, "required", "IDEMPOTENCY_KEY_MISSING")
    state.booking_requests += 1
    # A retry carries the key of the first attempt, and gets its appointment.
    # NOTE: a reused key with a different body also gets the first appointment.
    existing = state.appointments_by_key.get(key)
    if existing is not None:
        stored = state.appointments[existing]
        return fhir_response(
            stored, status_code=201, location=f"/Appointment/{existing}"
        )
    try:
        requested = appointment_from_fhir(json.loads(await request.body()))
    except (MappingError, ValueError):
        return _outcome(422, "invalid", "INVALID_APPOINTMENT")
    patient = requested.patient
    if patient.system != NUHSA_SYSTEM or not is_valid_nuhsa(patient.value):
        return _outcome(400, "value", "INVALID_NUHSA")
    if patient.value not in state.patients:
        return _outcome(404, "not-found", "PATIENT_NOT_FOUND")
    booked = _booked(state, requested)
    resource = appointment_to_fhir(booked)
    appointment_id = booked.id or ""
    state.appointments[appointment_id] = resource
    state.appointments_by_key[key] = appointment_id
    return fhir_response(
        resource, status_code=201, location=f"/Appointment/{appointment_id}"
    )


async def _prescriptions(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "prescription:read")
    if rejection is not None:
        return rejection
    system, _, nuhsa = request.query_params.get("patient.identifier", "").partition("|")
    if system != NUHSA_SYSTEM or not is_valid_nuhsa(nuhsa):
        return _outcome(400, "value", "INVALID_SEARCH")
    stored = state.patients.get(nuhsa)
    found = stored.prescriptions if stored is not None else ()
    base = str(request.base_url).rstrip("/")
    return fhir_response(search_bundle((prescription_to_fhir(p) for p in found), base))


def _booked(state: SimulatorState, requested: Appointment) -> Appointment:
    now = datetime.fromtimestamp(state.clock(), UTC).replace(microsecond=0)
    start, end = requested.start, requested.end
    if start is None:
        # The service picks the next free slot: 08:30 UTC tomorrow, then every 20 min.
        day = (now + timedelta(days=1)).replace(hour=8, minute=30, second=0)
        start = day + _SLOT * len(state.appointments)
        end = start + _SLOT
    return requested.model_copy(
        update={
            "id": f"cita-{len(state.appointments) + 1}",
            "status": AppointmentStatus.BOOKED,
            "start": start,
            "end": end,
            "created": now,
        }
    )


def _rejection(state: SimulatorState, request: Request, scope: str) -> Response | None:
    rejected = check_scoped_bearer(request, state.tokens, state.clock, scope)
    if rejected is None:
        return None
    return _outcome(rejected.status, rejected.issue_type, rejected.name)


def _outcome(status: int, code: str, detail: str) -> Response:
    return outcome_response(status, code, detail, system=ISSUE_SYSTEM, logger=log)


# Socket server


@contextmanager
def run_server(
    app: Any,
    *,
    certfile: str,
    keyfile: str,
    client_ca: str | None = None,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """Serve ``app`` over TLS on a free loopback port and yield its base URL.

    With ``client_ca`` (a PEM file) the server requires a client certificate
    signed by that CA, as SAS requires its provider certificate.
    """
    with serve_on_loopback(
        app,
        name="SAS",
        host=host,
        certfile=certfile,
        keyfile=keyfile,
        client_ca=client_ca,
    ) as base_url:
        yield base_url
