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
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.elements import MappingError
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
from carecert.adapters.mock.assertions import endpoint_url, expiry_problem, jti_problem
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.oauth import (
    issue_token,
    oauth_error,
    read_form,
    token_is_live,
)
from carecert.adapters.mock.responses import (
    fhir_response,
    json_response,
    outcome_response,
)
from carecert.adapters.mock.server import serve_on_loopback
from carecert.adapters.mock.simulator_app import build_simulator_app
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
    return build_simulator_app(routes, state, faults)


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
    return fhir_response(record_bundle(stored.record))


async def _claim(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    if state.device is not None and not token_is_live(
        request, state.tokens, state.clock
    ):
        return _outcome(401, "login", "INVALID_TOKEN")
    key = idempotency_key(request, IDEMPOTENCY_HEADER)
    if key is None:
        return _outcome(400, "required", "IDEMPOTENCY_KEY_MISSING")
    state.claim_requests += 1

    # A resent claim carries the key of the first, and gets its decision.
    # NOTE: a reused key with a different body also gets the first decision.
    existing = state.claims_by_key.get(key)
    if existing is not None:
        return fhir_response(
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
    return fhir_response(
        resource,
        status_code=201,
        location=f"{CLAIMING_PATH}/ClaimResponse/{claim_id}",
    )


async def _token(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    if state.device is None:
        return _oauth_error(404, "invalid_request", "no PRODA device is registered")
    state.token_requests += 1
    form = await read_form(request)
    if form.get("grant_type") != JWT_BEARER_GRANT:
        return _oauth_error(400, "unsupported_grant_type", "use the JWT bearer grant")
    if form.get("client_id") != state.device.client_id:
        return _oauth_error(401, "invalid_client", "unknown client_id")
    problem = _assertion_problem(state, state.device, request, form.get("assertion"))
    if problem is not None:
        return _oauth_error(400, "invalid_grant", problem)
    token = issue_token(state.tokens, state.clock() + state.token_lifetime)
    return json_response(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": state.token_lifetime,
        }
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
    if claims.get("aud") != endpoint_url(request):
        return "aud must be the token endpoint URL"
    exp = claims.get("exp")
    return expiry_problem(exp, now) or jti_problem(
        state.used_jtis, claims.get("jti"), exp, now
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    # The PRODA endpoint writes json.dumps' spaced layout, unlike JSONResponse,
    # so its error bodies stay byte for byte what clients have received.
    return oauth_error(
        status, error, description, logger=log, response_type=json_response
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
    return outcome_response(status, code, detail, system=ISSUE_SYSTEM, logger=log)


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
    with serve_on_loopback(
        app,
        name="Medicare",
        host=host,
        certfile=certfile,
        keyfile=keyfile,
        client_ca=client_ca,
    ) as base_url:
        yield base_url
