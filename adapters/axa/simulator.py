"""An AXA partner API simulator: coverage checks and idempotent claims.

One Starlette app serves ``GET /v3/policies/{policy}/coverage`` and ``POST
/v3/policies/{policy}/claims``. Every request must carry the partner's API
key in ``x-api-key`` and a JWT signed by the partner's registered key, which
joserfc verifies: signature, ``kid``, ``iss``, ``sub`` and ``partner_code``,
``aud`` (the API base URL), ``iat``, ``exp`` and an unused ``jti``. A claim
is applied once per Idempotency-Key: a resend with the same body gets the
first response, and one with another body gets HTTP 422.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carecert.adapters.auth import MAX_ASSERTION_LIFETIME
from carecert.adapters.axa.auth import API_KEY_HEADER, JWT_ALGORITHM
from carecert.adapters.axa.codes import (
    POLICY_SYSTEM,
    TREATMENT_SYSTEM,
    UNSPECIFIED_TREATMENT,
    validate_country,
    validate_icd10,
    validate_policy_number,
    validate_provider_id,
    validate_treatment_code,
)
from carecert.adapters.axa.endpoints import API_PATH
from carecert.adapters.axa.interface import IDEMPOTENCY_HEADER
from carecert.adapters.axa.mapping import (
    WireFormatError,
    claim_from_wire,
    claim_result_to_wire,
    coverage_to_wire,
)
from carecert.adapters.axa.responses import IDEMPOTENCY_CONFLICT, PROBLEM_JSON
from carecert.adapters.axa.synthetic import SyntheticPolicy, synthetic_policies
from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.mock.assertions import import_rsa_key, jti_problem
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.oauth import bearer_token
from carecert.adapters.mock.responses import json_response
from carecert.adapters.mock.simulator_app import build_simulator_app
from carecert.adapters.models import (
    Claim,
    ClaimOutcome,
    ClaimResult,
    Coding,
    Coverage,
    CoverageStatus,
    Identifier,
    Money,
)

__all__ = ["CLOCK_SKEW", "SimulatorState", "create_app"]

log = logging.getLogger("carecert.axa.simulator")

CLOCK_SKEW = 30
"""Seconds by which a JWT's iat may lie in the simulator's future."""


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    policies: dict[str, SyntheticPolicy]
    api_key: str
    partner_code: str
    public_key: RSAKey
    key_id: str
    clock: Callable[[], float]
    used_jtis: dict[str, float] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each claim's stored response body, by the claim id the simulator assigned."""
    claims_by_key: dict[str, tuple[Any, str]] = field(default_factory=dict)
    """The submitted body and claim id, by Idempotency-Key."""
    claim_requests: int = 0


def create_app(
    *,
    api_key: str,
    partner_code: str,
    public_key: RSAKey | bytes | str,
    key_id: str,
    policies: Mapping[str, SyntheticPolicy] | None = None,
    clock: Callable[[], float] = time.time,
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    It accepts ``api_key`` and JWTs of ``partner_code`` signed by
    ``public_key`` (PEM or a joserfc RSAKey) with ``kid`` ``key_id``.
    ``policies`` defaults to synthetic_policies(). ``faults`` wraps every
    route in FaultMiddleware with that injector.
    """
    state = SimulatorState(
        policies=dict(synthetic_policies() if policies is None else policies),
        api_key=api_key,
        partner_code=partner_code,
        public_key=import_rsa_key(public_key),
        key_id=key_id,
        clock=clock,
    )
    routes = [
        Route(f"{API_PATH}/policies/{{policy}}/coverage", _coverage, methods=["GET"]),
        Route(f"{API_PATH}/policies/{{policy}}/claims", _claim, methods=["POST"]),
    ]
    return build_simulator_app(routes, state, faults)


# Authentication


def _auth_problem(state: SimulatorState, request: Request) -> str | None:
    if not secrets.compare_digest(
        request.headers.get(API_KEY_HEADER, "").encode(), state.api_key.encode()
    ):
        return "the API key is missing or unknown"
    token = bearer_token(request)
    if not token:
        return "send the partner JWT as Authorization: Bearer"
    try:
        decoded = jwt.decode(token, state.public_key, [JWT_ALGORITHM])
    except (JoseError, ValueError) as exc:
        return f"the JWT signature or format is invalid ({type(exc).__name__})"
    if decoded.header.get("kid") != state.key_id:
        return "kid does not name the registered key"

    claims, now = decoded.claims, state.clock()
    partner = state.partner_code
    if not (
        claims.get("iss") == partner
        and claims.get("sub") == partner
        and claims.get("partner_code") == partner
    ):
        return "iss, sub and partner_code must all be the partner code"

    audience = f"{request.url.scheme}://{request.url.netloc}{API_PATH}"
    if claims.get("aud") != audience:
        return "aud must be the API base URL"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _is_number(iat) or iat > now + CLOCK_SKEW:
        return "iat is missing or in the future"
    if not _is_number(exp) or not now < exp or exp - iat > MAX_ASSERTION_LIFETIME:
        return "exp is missing, past, or more than five minutes after iat"

    return jti_problem(state.used_jtis, claims.get("jti"), exp, now)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Routes


async def _coverage(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _authenticate(state, request)
    if rejection is not None:
        return rejection
    query = request.query_params
    try:
        number = validate_policy_number(request.path_params["policy"])
        treatment = validate_treatment_code(query.get("treatment_code"))
        validate_provider_id(query.get("provider_id"))
        country = validate_country(query.get("country"))
    except InvalidIdentifierError:
        return _problem(400, "INVALID_REQUEST", "a path or query value is invalid")

    policy = state.policies.get(number)
    if policy is None:
        return _problem(404, "POLICY_NOT_FOUND", "no policy with this number")

    today = datetime.fromtimestamp(state.clock(), UTC).date()
    cover = policy.covers.get(treatment)
    status = policy.status_on(today)
    if status is CoverageStatus.ACTIVE and (
        cover is None or country not in policy.countries
    ):
        status = CoverageStatus.NOT_COVERED

    member = Identifier(system=POLICY_SYSTEM, value=number)
    coverage = Coverage(
        beneficiary=member,
        policy=member,
        status=status,
        service=Coding(system=TREATMENT_SYSTEM, code=treatment),
        country=country,
        period_start=policy.start,
        period_end=policy.end,
        copay=(
            Money.from_minor_units(cover.copay_minor, policy.currency)
            if cover is not None and status is CoverageStatus.ACTIVE
            else None
        ),
        requires_preauthorization=bool(cover and cover.requires_preauthorization),
    )
    return _json(coverage_to_wire(coverage))


async def _claim(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    rejection = _authenticate(state, request)
    if rejection is not None:
        return rejection
    key = idempotency_key(request, IDEMPOTENCY_HEADER)
    if key is None:
        return _problem(400, "IDEMPOTENCY_KEY_MISSING", "send an Idempotency-Key")
    state.claim_requests += 1

    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _problem(400, "INVALID_JSON", "the body is not JSON")
    # A resend carries the key of the first attempt. It gets the first response
    # if its body is the same, and a conflict if the key is reused for another.
    seen = state.claims_by_key.get(key)
    if seen is not None:
        first_body, claim_id = seen
        if first_body != body:
            return _problem(
                422, IDEMPOTENCY_CONFLICT, "this key was used for another claim"
            )
        return _json(state.claims[claim_id], status_code=201, replayed=True)

    try:
        number = validate_policy_number(request.path_params["policy"])
        claim = claim_from_wire(body, number)
        _check_claim_codes(claim, state.partner_code)
    except (WireFormatError, InvalidIdentifierError, ValueError):
        return _problem(400, "INVALID_CLAIM", "the claim body is invalid")
    policy = state.policies.get(number)
    if policy is None:
        return _problem(404, "POLICY_NOT_FOUND", "no policy with this number")
    assert claim.total is not None
    if claim.total.currency != policy.currency:
        return _problem(
            422, "CURRENCY_MISMATCH", f"this policy pays in {policy.currency}"
        )

    claim_id = f"CLM-{len(state.claims) + 1:08d}"
    response_body = claim_result_to_wire(_adjudicate(claim_id, claim, policy))
    state.claims[claim_id] = response_body
    state.claims_by_key[key] = (body, claim_id)
    return _json(response_body, status_code=201)


def _check_claim_codes(claim: Claim, partner_code: str) -> None:
    item = claim.items[0]
    if item.service.code != UNSPECIFIED_TREATMENT:
        validate_treatment_code(item.service.code)
    if claim.provider.value != partner_code:
        validate_provider_id(claim.provider.value)
    for diagnosis in claim.diagnoses:
        validate_icd10(diagnosis.code)
    if not claim.diagnoses:
        raise ValueError("a claim needs at least one diagnosis")


def _adjudicate(claim_id: str, claim: Claim, policy: SyntheticPolicy) -> ClaimResult:
    item = claim.items[0]
    assert item.charge is not None
    cover = policy.covers.get(item.service.code)

    def result(outcome: ClaimOutcome, message: str) -> ClaimResult:
        return ClaimResult(claim_id=claim_id, outcome=outcome, messages=(message,))

    if policy.status_on(claim.service_date) is not CoverageStatus.ACTIVE:
        return result(ClaimOutcome.ERROR, "POLICY_INACTIVE_ON_SERVICE_DATE")
    if item.service.code == UNSPECIFIED_TREATMENT:
        return result(ClaimOutcome.QUEUED, "MANUAL_REVIEW_NO_TREATMENT_CODE")
    if cover is None:
        return result(ClaimOutcome.ERROR, "TREATMENT_NOT_COVERED")
    if cover.requires_preauthorization:
        return result(ClaimOutcome.QUEUED, "PREAUTHORIZATION_REVIEW")
    # Integer minor units throughout, so no amount is ever rounded by a float.
    charge = item.charge.minor_units()
    copay = min(cover.copay_minor, charge)
    benefit = (charge - copay) * cover.covered_percent // 100
    currency = item.charge.currency
    return ClaimResult(
        claim_id=claim_id,
        outcome=ClaimOutcome.COMPLETE,
        benefit=Money.from_minor_units(benefit, currency),
        patient_share=Money.from_minor_units(charge - benefit, currency),
        messages=("APPROVED",),
    )


# Responses


def _authenticate(state: SimulatorState, request: Request) -> Response | None:
    problem = _auth_problem(state, request)
    if problem is None:
        return None
    return _problem(401, "UNAUTHORIZED", problem)


def _problem(status: int, code: str, title: str) -> Response:
    log.info("request rejected: HTTP %d %s (%s)", status, code, title)
    body = {"type": "about:blank", "title": title, "status": status, "code": code}
    return json_response(body, status_code=status, media_type=PROBLEM_JSON)


def _json(
    body: Mapping[str, Any], *, status_code: int = 200, replayed: bool = False
) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(body, status_code=status_code, headers=headers)
