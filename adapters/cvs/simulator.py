"""A CVS simulator: token endpoint, Rx status lookup and vaccination bookings.

One Starlette app serves ``/oauth2/token``, ``/v2/prescriptions/lookup`` and
``/v2/immunizations/appointments`` as openapi.yaml describes them. It checks
the client's HTTP Basic credentials, the API key, Bearer tokens and their
scopes. A lookup with an unknown Rx number and one with a wrong date of birth
get the same HTTP 404 body. Bookings are de-duplicated on the
Idempotency-Key header.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.cvs.auth import API_KEY_HEADER, SCOPES
from carecert.adapters.cvs.codes import PATIENT_ID_SYSTEM, STORE_SYSTEM, VACCINES
from carecert.adapters.cvs.endpoints import (
    API_PATH,
    APPOINTMENTS_PATH,
    PRESCRIPTION_LOOKUP_PATH,
    TOKEN_PATH,
)
from carecert.adapters.cvs.interface import IDEMPOTENCY_HEADER
from carecert.adapters.cvs.mapping import (
    appointment_to_wire,
    patient_from_wire,
    status_to_wire,
)
from carecert.adapters.cvs.patients import demographic_key
from carecert.adapters.cvs.synthetic import (
    OTHER_STORE,
    SAMPLE_STORE,
    SyntheticPatient,
    synthetic_patients,
)
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.oauth import (
    BearerRejection,
    basic_client_problem,
    check_scoped_bearer,
    issue_scoped_token,
    oauth_error,
    read_form,
)
from carecert.adapters.mock.server import serve_on_loopback
from carecert.adapters.mock.simulator_app import build_simulator_app
from carecert.adapters.models import Appointment, AppointmentStatus, Identifier, Patient

__all__ = ["SimulatorState", "create_app", "run_server"]

log = logging.getLogger("carecert.cvs.simulator")

SLOT = timedelta(minutes=15)
"""Length of a vaccination slot that the simulator picks."""

_RX_NOT_FOUND = "No prescription matches this Rx number and date of birth."


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    patients: dict[str, SyntheticPatient]
    stores: frozenset[str]
    client_id: str
    client_secret: str
    api_key: str
    token_lifetime: int
    clock: Callable[[], float]
    tokens: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)
    appointments_by_key: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0
    lookup_requests: int = 0
    booking_requests: int = 0


def create_app(
    *,
    client_id: str,
    client_secret: str,
    api_key: str | None = None,
    patients: Mapping[str, SyntheticPatient] | None = None,
    stores: frozenset[str] = frozenset({SAMPLE_STORE, OTHER_STORE}),
    token_lifetime: int = 600,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    The token endpoint accepts ``client_id`` and ``client_secret`` by HTTP
    Basic. API requests must carry ``api_key`` (``client_id`` by default) in
    x-api-key. ``patients`` defaults to synthetic_patients(), ``stores`` lists
    the store numbers that exist, and ``token_lifetime`` is in seconds.
    ``faults`` wraps every route in FaultMiddleware with that injector.
    """
    state = SimulatorState(
        patients=dict(synthetic_patients() if patients is None else patients),
        stores=stores,
        client_id=client_id,
        client_secret=client_secret,
        api_key=api_key or client_id,
        token_lifetime=token_lifetime,
        clock=clock,
    )
    routes = [
        Route(TOKEN_PATH, _token, methods=["POST"]),
        Route(API_PATH + PRESCRIPTION_LOOKUP_PATH, _lookup, methods=["POST"]),
        Route(API_PATH + APPOINTMENTS_PATH, _book, methods=["POST"]),
    ]
    return build_simulator_app(routes, state, faults)


# Token endpoint


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.token_requests += 1
    form = await read_form(request)
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "use client_credentials")
    problem = basic_client_problem(request, state.client_id, state.client_secret)
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


def _oauth_error(status: int, error: str, description: str) -> Response:
    return oauth_error(status, error, description, logger=log)


# API endpoints


async def _lookup(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "prescription.read")
    if rejection is not None:
        return rejection
    state.lookup_requests += 1
    body = await _json_object(request)
    rx, born, store = (
        body.get(key) if body is not None else None
        for key in ("rxNumber", "dateOfBirth", "storeNumber")
    )
    if not (
        isinstance(rx, str)
        and rx.isascii()
        and rx.isdigit()
        and 6 <= len(rx) <= 9
        and isinstance(store, str)
        and _parse_date(born) is not None
    ):
        return _error(400, "INVALID_REQUEST", "rxNumber, dateOfBirth or storeNumber")
    for entry in state.patients.values():
        for status in entry.prescriptions:
            if status.rx_number == rx and status.pharmacy.value == store:
                # The same 404 for a wrong date of birth as for an unknown Rx,
                # so that the response does not reveal that the Rx exists.
                if entry.patient.birth_date != _parse_date(born):
                    break
                return JSONResponse(status_to_wire(status))
    return _error(404, "RX_NOT_FOUND", _RX_NOT_FOUND)


async def _book(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _rejection(state, request, "immunization.write")
    if rejection is not None:
        return rejection
    key = idempotency_key(request, IDEMPOTENCY_HEADER)
    if key is None:
        return _error(400, "IDEMPOTENCY_KEY_MISSING", "send an Idempotency-Key")
    state.booking_requests += 1
    # A retry carries the key of the first attempt, and gets its appointment.
    # NOTE: a reused key with a different body also gets the first appointment.
    existing = state.appointments_by_key.get(key)
    if existing is not None:
        return _created(state.appointments[existing])

    body = await _json_object(request)
    if body is None:
        return _error(400, "INVALID_REQUEST", "the body is not a JSON object")
    try:
        requested = patient_from_wire(body.get("patient"))
    except (MappingError, ValueError):
        return _error(422, "INVALID_PATIENT", "patient is incomplete or malformed")
    vaccine = body.get("vaccine")
    if not isinstance(vaccine, dict):
        vaccine = {}
    known = VACCINES.get(vaccine.get("type"))
    if known is None or vaccine.get("cvxCode") != known.cvx:
        return _error(422, "INVALID_VACCINE", "unknown vaccine type or CVX code")
    store = body.get("storeNumber")
    if store not in state.stores:
        return _error(404, "STORE_NOT_FOUND", "no such store")
    patient = _registered_patient(state, requested)
    if patient is None:
        return _error(
            404, "PATIENT_NOT_FOUND", "no patient with that id and birth date"
        )
    slot = _slot(state, body.get("slot"))
    if slot is None:
        return _error(422, "INVALID_SLOT", "slot needs start before end, with offsets")

    appointment_id = f"VAX-{len(state.appointments) + 1:06d}"
    booked = Appointment(
        id=appointment_id,
        patient=patient.identifiers[0],
        location=Identifier(system=STORE_SYSTEM, value=store),
        appointment_type=known.name,
        status=AppointmentStatus.BOOKED,
        start=slot[0],
        end=slot[1],
        description="Bring your insurance card and a photo ID.",
        created=_now(state),
    )
    wire = appointment_to_wire(booked, patient)
    state.appointments[appointment_id] = wire
    state.appointments_by_key[key] = appointment_id
    return _created(wire)


def _registered_patient(state: SimulatorState, requested: Patient) -> Patient | None:
    """Return the patient the booking is for, registering a new one if needed.

    A request with a patient id must name a known patient with the same
    birth date. One without is matched on name and birth date, and a patient
    without a match gets a new id.
    """
    identity = requested.identifiers[0]
    if identity.system == PATIENT_ID_SYSTEM:
        entry = state.patients.get(identity.value)
        if entry is None or entry.patient.birth_date != requested.birth_date:
            return None
        return entry.patient
    for entry in state.patients.values():
        stored = entry.patient
        name = stored.names[0]
        assert stored.birth_date is not None and name.family is not None
        if demographic_key(name.given[0], name.family, stored.birth_date) == identity:
            return stored
    patient_id = f"cvs-p-{200001 + len(state.patients)}"
    registered = requested.model_copy(
        update={
            "identifiers": (Identifier(system=PATIENT_ID_SYSTEM, value=patient_id),)
        }
    )
    state.patients[patient_id] = SyntheticPatient(registered)
    return registered


def _slot(state: SimulatorState, slot: Any) -> tuple[datetime, datetime] | None:
    if slot is None:
        # The store picks the next free slot: 09:00 UTC tomorrow, then every 15 min.
        day = (_now(state) + timedelta(days=1)).replace(hour=9, minute=0, second=0)
        start = day + SLOT * len(state.appointments)
        return start, start + SLOT
    if not isinstance(slot, dict):
        return None
    try:
        start = datetime.fromisoformat(slot["start"])
        end = datetime.fromisoformat(slot["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return None
    return start, end


def _rejection(state: SimulatorState, request: Request, scope: str) -> Response | None:
    if not secrets.compare_digest(
        request.headers.get(API_KEY_HEADER, ""), state.api_key
    ):
        return _error(401, "INVALID_API_KEY", "x-api-key is missing or unknown")
    rejected = check_scoped_bearer(request, state.tokens, state.clock, scope)
    if rejected is BearerRejection.INVALID_TOKEN:
        return _error(401, "INVALID_TOKEN", "the access token is missing or expired")
    if rejected is BearerRejection.INSUFFICIENT_SCOPE:
        return _error(403, "INSUFFICIENT_SCOPE", f"the token lacks scope {scope}")
    return None


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _now(state: SimulatorState) -> datetime:
    return datetime.fromtimestamp(state.clock(), UTC).replace(microsecond=0)


def _created(wire: Mapping[str, Any]) -> Response:
    location = f"{API_PATH}{APPOINTMENTS_PATH}/{wire['appointmentId']}"
    return JSONResponse(dict(wire), status_code=201, headers={"Location": location})


def _error(status: int, code: str, message: str) -> Response:
    log.info("request rejected: HTTP %d %s", status, code)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status
    )


# Socket server


@contextmanager
def run_server(
    app: Any, *, certfile: str, keyfile: str, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve ``app`` over TLS on a free loopback port and yield its base URL."""
    with serve_on_loopback(
        app, name="CVS", host=host, certfile=certfile, keyfile=keyfile
    ) as base_url:
        yield base_url
