"""A simulator of the My Health Record read, the bulk-bill claim and PRODA.

One Starlette app serves every host's paths: the record operation under
``/mhr/fhir/r4``, the Claim endpoint under ``/claiming/fhir/r4`` and, when a
PRODA device is registered, the PRODA token endpoint. It checks the
requesting HPI-O, record access codes, identifier check digits, MBS items
and PRODA device assertions, and it de-duplicates claims on the
Idempotency-Key header.

NOTE: served in process, the simulator cannot see a client certificate. Only
run_server with ``client_ca`` checks mutual TLS.
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carecert.adapters.auth import MAX_ASSERTION_LIFETIME
from carecert.adapters.endpoints import LOOPBACK_HOSTS
from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.elements import FHIR_JSON, MappingError
from carecert.adapters.identifiers import (
    is_valid_medicare_number,
    is_valid_medicare_provider_number,
)
from carecert.adapters.medicare_au.claims import claim_from_fhir, claim_result_to_fhir
from carecert.adapters.medicare_au.codes import (
    CURRENCY,
    ISSUE_SYSTEM,
    MBS_ITEM_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)
from carecert.adapters.medicare_au.endpoints import (
    CLAIMING_PATH,
    MHR_PATH,
    PRODA_TOKEN_PATH,
    RECORD_OPERATION,
)
from carecert.adapters.medicare_au.interface import IDEMPOTENCY_HEADER
from carecert.adapters.medicare_au.proda import JWT_BEARER_GRANT
from carecert.adapters.medicare_au.record import (
    record_bundle,
    record_request_from_parameters,
)
from carecert.adapters.medicare_au.responses import (
    ACCESS_CODE_INVALID,
    ACCESS_CODE_REQUIRED,
)
from carecert.adapters.medicare_au.synthetic import (
    MBS_BENEFITS,
    SyntheticPatient,
    synthetic_patients,
)
from carecert.adapters.mock.faults import FaultInjector, FaultMiddleware
from carecert.adapters.models import Claim, ClaimOutcome, ClaimResult, Money

__all__ = ["ProdaDevice", "SimulatorState", "create_app", "run_server"]

log = logging.getLogger("carecert.medicare_au.simulator")

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ProdaDevice:
    """A PRODA device registered with the simulator, and its PRODA client."""

    organisation_id: str
    device_name: str
    public_key: RSAKey
    client_id: str
    key_id: str


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    patients: dict[str, SyntheticPatient]
    hpio: str
    clock: Callable[[], float]
    device: ProdaDevice | None = None
    token_lifetime: int = 3600
    tokens: dict[str, float] = field(default_factory=dict)
    used_jtis: dict[str, float] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims_by_key: dict[str, str] = field(default_factory=dict)
    record_requests: int = 0
    claim_requests: int = 0
    token_requests: int = 0


def create_app(
    *,
    hpio: str,
    device: ProdaDevice | None = None,
    patients: Mapping[str, SyntheticPatient] | None = None,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    ``hpio`` is the one organisation registered for My Health Record access;
    reads naming another HPI-O get HTTP 403. With ``device``, the PRODA
    token endpoint is served and claims need a PRODA access token.
    ``patients`` defaults to synthetic_patients(). ``faults`` wraps every
    route in FaultMiddleware.
    """
    state = SimulatorState(
        patients=dict(synthetic_patients() if patients is None else patients),
        hpio=hpio,
        clock=clock,
        device=device,
    )
    routes = [
        Route(f"{MHR_PATH}/Patient/{RECORD_OPERATION}", _record, methods=["POST"]),
        Route(f"{CLAIMING_PATH}/Claim", _claim, methods=["POST"]),
        Route(PRODA_TOKEN_PATH, _token, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.simulator = state
    if faults is not None:
        app.add_middleware(FaultMiddleware, injector=faults)
    return app


async def _record(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.record_requests += 1
    try:
        requested = record_request_from_parameters(json.loads(await request.body()))
    except (MappingError, InvalidIdentifierError, ValueError):
        return _outcome(400, "invalid", "INVALID_PARAMETERS")
    if not secrets.compare_digest(requested.hpio, state.hpio):
        return _outcome(403, "forbidden", "ORGANISATION_NOT_REGISTERED")
    stored = state.patients.get(requested.ihi)
    if stored is None:
        return _outcome(404, "not-found", "RECORD_NOT_FOUND")
    if stored.access_code is not None:
        if requested.access_code is None:
            return _outcome(403, "security", ACCESS_CODE_REQUIRED)
        if not secrets.compare_digest(requested.access_code, stored.access_code):
            return _outcome(403, "security", ACCESS_CODE_INVALID)
    return _fhir(record_bundle(stored.record))


async def _claim(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    if state.device is not None and not _has_token(state, request):
        return _outcome(401, "login", "INVALID_TOKEN")
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return _outcome(400, "required", "IDEMPOTENCY_KEY_MISSING")
    state.claim_requests += 1

    # A resent claim carries the key of the first, and gets its decision.
    # NOTE: a reused key with a different body also gets the first decision.
    existing = state.claims_by_key.get(key)
    if existing is not None:
        return _fhir(
            state.claims[existing],
            status_code=201,
            location=f"{CLAIMING_PATH}/ClaimResponse/{existing}",
        )

    try:
        claim = claim_from_fhir(json.loads(await request.body()))
    except (MappingError, ValueError):
        return _outcome(422, "invalid", "INVALID_CLAIM")
    problem = _claim_problem(claim)
    if problem is not None:
        return _outcome(400, "value", problem)

    claim_id = f"claim-{len(state.claims) + 1}"
    created = datetime.fromtimestamp(state.clock(), UTC).replace(microsecond=0)
    resource = claim_result_to_fhir(
        _decide(claim_id, claim), claim=claim, created=created
    )
    state.claims[claim_id] = resource
    state.claims_by_key[key] = claim_id
    return _fhir(
        resource,
        status_code=201,
        location=f"{CLAIMING_PATH}/ClaimResponse/{claim_id}",
    )


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    if state.device is None:
        return _oauth_error(404, "invalid_request", "no PRODA device is registered")
    state.token_requests += 1
    body = (await request.body()).decode(errors="replace")
    form = {name: values[0] for name, values in parse_qs(body).items()}
    if form.get("grant_type") != JWT_BEARER_GRANT:
        return _oauth_error(400, "unsupported_grant_type", "use the JWT bearer grant")
    if form.get("client_id") != state.device.client_id:
        return _oauth_error(401, "invalid_client", "unknown client_id")
    problem = _assertion_problem(state, state.device, request, form.get("assertion"))
    if problem is not None:
        return _oauth_error(400, "invalid_grant", problem)
    token = secrets.token_urlsafe(24)
    state.tokens[token] = state.clock() + state.token_lifetime
    return Response(
        json.dumps(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": state.token_lifetime,
            }
        ),
        media_type="application/json",
    )


def _assertion_problem(
    state: SimulatorState, device: ProdaDevice, request: Request, assertion: Any
) -> str | None:
    if not isinstance(assertion, str) or not assertion:
        return "assertion is missing"
    try:
        token = jwt.decode(assertion, device.public_key, ["RS256"])
    except (JoseError, ValueError) as exc:
        return f"assertion is invalid ({type(exc).__name__})"
    claims, now = token.claims, state.clock()
    if token.header.get("kid") != device.key_id:
        return "kid does not name the registered device key"
    if claims.get("iss") != device.organisation_id:
        return "iss must be the organisation's RA number"
    if claims.get("sub") != device.device_name:
        return "sub must be the device name"
    if claims.get("aud") != str(request.url.replace(query="")):
        return "aud must be the token endpoint URL"
    exp = claims.get("exp")
    if (
        not isinstance(exp, int | float)
        or not now < exp <= now + MAX_ASSERTION_LIFETIME + 1
    ):
        return "exp is missing, past, or more than five minutes ahead"
    jti = claims.get("jti")
    state.used_jtis = {j: e for j, e in state.used_jtis.items() if e > now}
    if not isinstance(jti, str) or not jti or jti in state.used_jtis:
        return "jti is missing or was used before"
    state.used_jtis[jti] = float(exp)
    return None


def _has_token(state: SimulatorState, request: Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expires = state.tokens.get(token) if scheme == "Bearer" else None
    return expires is not None and expires > state.clock()


def _oauth_error(status: int, error: str, description: str) -> Response:
    log.info("token request rejected: HTTP %d %s (%s)", status, error, description)
    return Response(
        json.dumps({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
    )


def _claim_problem(claim: Claim) -> str | None:
    if claim.patient.system != MEDICARE_NUMBER_SYSTEM or not is_valid_medicare_number(
        claim.patient.value
    ):
        return "INVALID_MEDICARE_NUMBER"
    if claim.provider.system != MEDICARE_PROVIDER_NUMBER_SYSTEM or not (
        is_valid_medicare_provider_number(claim.provider.value)
    ):
        return "INVALID_PROVIDER_NUMBER"
    if any(item.service.system != MBS_ITEM_SYSTEM for item in claim.items):
        return "INVALID_ITEM_SYSTEM"
    return None


def _decide(claim_id: str, claim: Claim) -> ClaimResult:
    # Bulk billing: Medicare pays the benefit of each known item and the
    # patient pays nothing. Unknown items are rejected one by one.
    paid = [
        MBS_BENEFITS[item.service.code] * item.quantity
        for item in claim.items
        if item.service.code in MBS_BENEFITS
    ]
    rejected = [
        item.service.code
        for item in claim.items
        if item.service.code not in MBS_BENEFITS
    ]
    messages = [f"MBS item {code} is not payable" for code in rejected]
    if not paid:
        outcome = ClaimOutcome.ERROR
    elif rejected:
        outcome = ClaimOutcome.PARTIAL
    else:
        outcome = ClaimOutcome.COMPLETE
        messages = ["Bulk-bill claim assessed"]
    return ClaimResult(
        claim_id=claim_id,
        outcome=outcome,
        benefit=Money(amount=sum(paid, start=ZERO), currency=CURRENCY),
        patient_share=Money(amount=ZERO, currency=CURRENCY),
        messages=tuple(messages),
    )


def _outcome(status: int, code: str, detail: str) -> Response:
    log.info("request rejected: HTTP %d %s", status, detail)
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "details": {"coding": [{"system": ISSUE_SYSTEM, "code": detail}]},
            }
        ],
    }
    return _fhir(outcome, status_code=status)


def _fhir(
    resource: Mapping[str, Any], *, status_code: int = 200, location: str | None = None
) -> Response:
    headers = {"Location": location} if location is not None else None
    body = json.dumps(resource, ensure_ascii=False).encode()
    return Response(
        body, status_code=status_code, headers=headers, media_type=FHIR_JSON
    )


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
    signed by that CA, as the My Health Record gateway requires the NASH PKI
    certificate.
    """
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"run_server host {host!r} is not a loopback address. "
            "Use 127.0.0.1 so the simulator stays on this machine."
        )
    config = uvicorn.Config(
        app,
        host=host,
        port=0,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        ssl_ca_certs=client_ca,
        ssl_cert_reqs=ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="medicare-simulator", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    "The Medicare simulator did not start within 10 s; see the "
                    "uvicorn error logged above."
                )
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"https://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
