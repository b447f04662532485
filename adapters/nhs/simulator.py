"""An NHS API platform simulator: token endpoint, PDS Patient, GP record, booking.

It serves the synthetic patients in process (through httpx.ASGITransport) or
on a 127.0.0.1 socket (through run_server). With a registered public key it
checks client assertions and Bearer tokens, as the integration environment
does. Without one it is open access, as the sandbox is.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.fhir.elements import FHIR_JSON, MappingError
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM, is_valid_nhs_number
from carecert.adapters.mock.assertions import endpoint_url, import_rsa_key, spend_jti
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.oauth import (
    issue_token,
    oauth_error,
    read_form,
    token_is_live,
)
from carecert.adapters.mock.responses import operation_outcome
from carecert.adapters.mock.server import serve_on_loopback
from carecert.adapters.mock.simulator_app import build_simulator_app
from carecert.adapters.models import Appointment, AppointmentStatus, RecordType
from carecert.adapters.nhs.auth import (
    ASSERTION_LIFETIME,
    CLIENT_ASSERTION_TYPE,
    SIGNING_ALGORITHM,
)
from carecert.adapters.nhs.endpoints import (
    GP_BASE_PATH,
    PDS_BASE_PATH,
    TOKEN_PATH,
)
from carecert.adapters.nhs.mapping import (
    appointment_from_fhir,
    appointment_to_fhir,
    patient_to_fhir,
)
from carecert.adapters.nhs.ods import PRACTICE_CODE
from carecert.adapters.nhs.record import (
    record_bundle,
    structured_record_request_from_parameters,
)
from carecert.adapters.nhs.responses import SPINE_ERROR_SYSTEM
from carecert.adapters.nhs.synthetic import SyntheticPatient, synthetic_patients

__all__ = ["SimulatorState", "create_app", "run_server"]

log = logging.getLogger("carecert.nhs.simulator")

_UUID_LENGTH = 36
_SLOT = timedelta(minutes=15)


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    patients: dict[str, SyntheticPatient]
    public_key: RSAKey | None
    api_key: str | None
    key_id: str | None
    token_lifetime: int
    clock: Callable[[], float]
    tokens: dict[str, float] = field(default_factory=dict)
    used_jtis: dict[str, float] = field(default_factory=dict)
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments_by_request_id: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0


def create_app(
    *,
    patients: Mapping[str, SyntheticPatient] | None = None,
    public_key: RSAKey | bytes | str | None = None,
    api_key: str | None = None,
    key_id: str | None = None,
    token_lifetime: int = 599,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    ``patients`` defaults to synthetic_patients(). ``public_key`` (PEM or a
    joserfc RSAKey) turns on token checks. When given, ``api_key`` and
    ``key_id`` must match the assertion's issuer and ``kid``. With no public
    key, ``api_key`` must arrive in the ``apikey`` header instead.
    ``token_lifetime`` is the access token lifetime in seconds. ``faults``
    wraps every route in FaultMiddleware with that injector.
    """
    state = SimulatorState(
        patients=dict(synthetic_patients() if patients is None else patients),
        public_key=None if public_key is None else import_rsa_key(public_key),
        api_key=api_key,
        key_id=key_id,
        token_lifetime=token_lifetime,
        clock=clock,
    )
    routes = [
        Route(TOKEN_PATH, _token, methods=["POST"]),
        Route(f"{PDS_BASE_PATH}/Patient/{{nhs_number}}", _patient, methods=["GET"]),
        Route(
            f"{GP_BASE_PATH}/Patient/$gpc.getstructuredrecord",
            _structured_record,
            methods=["POST"],
        ),
        Route(f"{GP_BASE_PATH}/Appointment", _book, methods=["POST"]),
    ]
    return build_simulator_app(routes, state, faults)


# Token endpoint


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.token_requests += 1
    form = await read_form(request)
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", "grant_type must be client_credentials"
        )
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        return _oauth_error(400, "invalid_request", "client_assertion_type is invalid")
    if state.public_key is None:
        return _oauth_error(401, "invalid_client", "no public key is registered")
    problem = _assertion_problem(state, form.get("client_assertion", ""), request)
    if problem is not None:
        return _oauth_error(401, "invalid_client", problem)

    now = state.clock()
    token = issue_token(state.tokens, now + state.token_lifetime)
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": str(state.token_lifetime),
            "token_type": "Bearer",
            "issued_at": str(int(now * 1000)),
        }
    )


def _assertion_problem(
    state: SimulatorState, assertion: str, request: Request
) -> str | None:
    assert state.public_key is not None
    try:
        token = jwt.decode(assertion, state.public_key, algorithms=[SIGNING_ALGORITHM])
    except (JoseError, ValueError) as exc:
        return f"client_assertion signature or format is invalid ({type(exc).__name__})"
    header, claims = token.header, token.claims
    now = state.clock()
    audience = endpoint_url(request)
    if state.key_id is not None and header.get("kid") != state.key_id:
        return "kid does not name a registered public key"
    if not claims.get("iss") or claims.get("iss") != claims.get("sub"):
        return "iss and sub must both be the API key"
    if state.api_key is not None and claims["iss"] != state.api_key:
        return "iss is not a registered API key"
    if claims.get("aud") != audience:
        return "aud must be the token endpoint URL"
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        return "exp is missing or in the past"
    if exp > now + ASSERTION_LIFETIME + 1:
        return "exp is more than five minutes in the future"
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        return "jti is missing"
    if not spend_jti(state.used_jtis, jti, exp, now):
        return "jti has been used before"
    return None


def _oauth_error(status: int, error: str, description: str) -> Response:
    return oauth_error(status, error, description, logger=log)


# FHIR endpoints


async def _patient(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request)
    if rejection is not None:
        return rejection
    nhs_number = request.path_params["nhs_number"]
    if not is_valid_nhs_number(nhs_number):
        return _outcome(request, 400, "value", "INVALID_RESOURCE_ID")
    stored = state.patients.get(nhs_number)
    if stored is None:
        return _outcome(request, 404, "not-found", "RESOURCE_NOT_FOUND")
    resource = patient_to_fhir(stored.patient)
    if stored.patient.restricted:
        for key in ("address", "telecom", "generalPractitioner"):
            resource.pop(key, None)
    resource["meta"]["versionId"] = "1"
    return _fhir(request, resource, headers={"ETag": 'W/"1"'})


async def _structured_record(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request)
    if rejection is not None:
        return rejection
    body = await _json_body(request)
    try:
        nhs_number, sections = structured_record_request_from_parameters(body)
    except MappingError:
        return _outcome(request, 422, "invalid", "INVALID_PARAMETER")
    if not is_valid_nhs_number(nhs_number):
        return _outcome(request, 400, "value", "INVALID_NHS_NUMBER")
    stored = state.patients.get(nhs_number)
    if stored is None:
        return _outcome(request, 404, "not-found", "PATIENT_NOT_FOUND")
    bundle = record_bundle(
        patient=patient_to_fhir(stored.patient),
        medications=_section(RecordType.MEDICATIONS, sections, stored.medications),
        allergies=_section(RecordType.ALLERGIES, sections, stored.allergies),
        conditions=_section(RecordType.CONDITIONS, sections, stored.conditions),
        subject=f"Patient/{nhs_number}",
    )
    return _fhir(request, bundle)


async def _book(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request)
    if rejection is not None:
        return rejection
    body = await _json_body(request)
    try:
        requested = appointment_from_fhir(body)
    except (MappingError, ValueError):
        return _outcome(request, 422, "invalid", "INVALID_RESOURCE")
    if requested.patient.system != NHS_NUMBER_SYSTEM or not is_valid_nhs_number(
        requested.patient.value
    ):
        return _outcome(request, 400, "value", "INVALID_NHS_NUMBER")
    if requested.patient.value not in state.patients:
        return _outcome(request, 404, "not-found", "PATIENT_NOT_FOUND")
    if not PRACTICE_CODE.fullmatch(requested.location.value):
        return _outcome(request, 422, "invalid", "INVALID_RESOURCE")

    # A retry carries the X-Request-ID of the first attempt, so a request id
    # seen before gets the appointment it created, and no second one.
    # NOTE: a reused id with a different body also gets the first appointment.
    request_id = request.headers["X-Request-ID"]
    existing = state.appointments_by_request_id.get(request_id)
    if existing is not None:
        stored = state.appointments[existing]
        return _fhir(
            request,
            stored["resource"],
            status_code=201,
            headers={"Location": stored["location_url"]},
        )

    booked = _booked(state, requested)
    if any(
        a["start"] == booked.start and a["location"] == booked.location
        for a in state.appointments.values()
    ):
        return _outcome(request, 409, "conflict", "DUPLICATE_REJECTED")
    location = f"{str(request.url).rstrip('/')}/{booked.id}/_history/1"
    state.appointments[booked.id or ""] = {
        "start": booked.start,
        "location": booked.location,
        "resource": appointment_to_fhir(booked),
        "request_id": request_id,
        "location_url": location,
    }
    state.appointments_by_request_id[request_id] = booked.id or ""
    return _fhir(
        request,
        appointment_to_fhir(booked),
        status_code=201,
        headers={"Location": location},
    )


def _booked(state: SimulatorState, requested: Appointment) -> Appointment:
    now = datetime.fromtimestamp(state.clock(), UTC)
    start = requested.start
    if start is None:
        # The practice picks the next slot: 09:00 UTC tomorrow, then every 15 min.
        day = (now + timedelta(days=1)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        start = day + _SLOT * len(state.appointments)
    end = requested.end or start + _SLOT
    return requested.model_copy(
        update={
            "id": str(len(state.appointments) + 1),
            "status": AppointmentStatus.BOOKED,
            "start": start,
            "end": end,
            "created": now.replace(microsecond=0),
        }
    )


def _section(
    section: RecordType, requested: tuple[RecordType, ...], entries: tuple[Any, ...]
) -> tuple[Any, ...]:
    return entries if section in requested else ()


def _rejection(state: SimulatorState, request: Request) -> Response | None:
    """Return the error response for a request PDS would reject, else None."""
    if state.public_key is not None:
        if not token_is_live(request, state.tokens, state.clock):
            return _outcome(request, 401, "forbidden", "ACCESS_DENIED")
    elif state.api_key is not None:
        if not secrets.compare_digest(request.headers.get("apikey", ""), state.api_key):
            return _outcome(request, 401, "forbidden", "ACCESS_DENIED")
    request_id = request.headers.get("X-Request-ID")
    if request_id is None:
        return _outcome(request, 400, "required", "MISSING_VALUE")
    if not _is_uuid(request_id):
        return _outcome(request, 400, "value", "INVALID_VALUE")
    return None


def _is_uuid(value: str) -> bool:
    if len(value) != _UUID_LENGTH:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _outcome(request: Request, status: int, code: str, spine_code: str) -> Response:
    log.info(
        "rejected %s %s: HTTP %d %s",
        request.method,
        request.url.path,
        status,
        spine_code,
    )
    outcome = operation_outcome(code, SPINE_ERROR_SYSTEM, spine_code, version="1")
    return _fhir(request, outcome, status_code=status)


def _fhir(
    request: Request,
    resource: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    mirrored = dict(headers or {})
    for name in ("X-Request-ID", "X-Correlation-ID"):
        if name in request.headers:
            mirrored[name] = request.headers[name]
    return JSONResponse(
        dict(resource),
        status_code=status_code,
        headers=mirrored,
        media_type=FHIR_JSON,
    )


# Socket server


@contextmanager
def run_server(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread and yield its base URL.

    Port 0 picks a free port. Only loopback hosts are allowed, so a test
    never exposes the simulator to the network. TLS is on when
    ``ssl_certfile`` is given.
    """
    with serve_on_loopback(
        app,
        name="NHS",
        host=host,
        port=port,
        certfile=ssl_certfile,
        keyfile=ssl_keyfile,
    ) as base_url:
        yield base_url
