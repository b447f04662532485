"""Tests of the scaffolding the provider simulators share."""

from __future__ import annotations

import base64
import json
import logging
import ssl
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from carecert.adapters.mock.assertions import (
    endpoint_url,
    expiry_problem,
    jti_problem,
    spend_jti,
)
from carecert.adapters.mock.faults import FaultInjector, FaultKind
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.oauth import (
    BearerRejection,
    ScopedGrant,
    basic_client_problem,
    bearer_token,
    check_scoped_bearer,
    issue_scoped_token,
    issue_token,
    oauth_error,
    read_form,
    token_is_live,
)
from carecert.adapters.mock.responses import (
    fhir_response,
    json_response,
    operation_outcome,
    outcome_response,
)
from carecert.adapters.mock.server import serve_on_loopback
from carecert.adapters.mock.simulator_app import build_simulator_app

log = logging.getLogger("carecert.test.simulation")

NOW = 1_000_000.0


def make_request(
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    url: str = "https://sim.test/oauth2/token?x=1",
) -> Request:
    parsed = httpx.URL(url)
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": parsed.scheme,
        "server": (parsed.host, 443),
        "path": parsed.path,
        "query_string": parsed.query,
        "headers": [
            (name.lower().encode(), value.encode())
            for name, value in (headers or {}).items()
        ],
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def basic(user: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def body_of(response: Response) -> object:
    return json.loads(bytes(response.body))


# Token endpoint


@pytest.mark.asyncio
async def test_read_form_keeps_first_value() -> None:
    request = make_request(body=b"grant_type=a&grant_type=b&scope=x+y")

    form = await read_form(request)

    assert form == {"grant_type": "a", "scope": "x y"}


def test_oauth_error_body_and_status() -> None:
    response = oauth_error(401, "invalid_client", "unknown client", logger=log)

    assert isinstance(response, JSONResponse)
    assert response.status_code == 401
    assert (
        response.body
        == b'{"error":"invalid_client","error_description":"unknown client"}'
    )


def test_oauth_error_spaced_layout() -> None:
    response = oauth_error(
        400, "invalid_grant", "expired", logger=log, response_type=json_response
    )

    assert response.status_code == 400
    assert (
        response.body == b'{"error": "invalid_grant", "error_description": "expired"}'
    )
    assert response.media_type == "application/json"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "authenticate with HTTP Basic"),
        ({"Authorization": "Bearer abc"}, "authenticate with HTTP Basic"),
        ({"Authorization": "Basic ***"}, "the Basic credentials are not valid base64"),
        (basic("client", "wrong"), "unknown client or wrong secret"),
        (basic("other", "s3cret"), "unknown client or wrong secret"),
        (basic("client", "s3cret"), None),
        # RFC 6749 section 2.3.1 form-urlencodes both parts before base64.
        (basic("client", "s3cret%3A"), "unknown client or wrong secret"),
    ],
)
def test_basic_client_problem(headers: dict[str, str], expected: str | None) -> None:
    request = make_request(headers)

    assert basic_client_problem(request, "client", "s3cret") == expected


def test_basic_client_urlencoded_secret() -> None:
    request = make_request(basic("client", "s%3Acret"))

    assert basic_client_problem(request, "client", "s:cret") is None


def test_basic_client_custom_missing_message() -> None:
    request = make_request()

    problem = basic_client_problem(request, "c", "s", missing="use a client assertion")

    assert problem == "use a client assertion"


def test_issue_token_stores_grant() -> None:
    tokens: dict[str, float] = {}

    token = issue_token(tokens, NOW + 60)

    assert tokens == {token: NOW + 60}
    assert len(token) >= 32


def test_issue_scoped_token_grants_requested() -> None:
    tokens: dict[str, ScopedGrant] = {}

    response = issue_scoped_token(
        {"scope": "b.write a.read"},
        scopes=("a.read", "b.write", "c.read"),
        tokens=tokens,
        clock=lambda: NOW,
        lifetime=600,
        logger=log,
    )

    body = body_of(response)
    assert response.status_code == 200
    assert isinstance(body, dict)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "a.read b.write"
    assert tokens == {
        body["access_token"]: (NOW + 600, frozenset({"a.read", "b.write"}))
    }


@pytest.mark.parametrize("scope", ["", "a.read other"])
def test_issue_scoped_token_rejects_scope(scope: str) -> None:
    tokens: dict[str, ScopedGrant] = {}

    response = issue_scoped_token(
        {"scope": scope} if scope else {},
        scopes=("a.read",),
        tokens=tokens,
        clock=lambda: NOW,
        lifetime=600,
        logger=log,
    )

    assert response.status_code == 400
    assert body_of(response) == {
        "error": "invalid_scope",
        "error_description": "request some of ('a.read',)",
    }
    assert tokens == {}


# Bearer tokens


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Basic abc", None),
        ("Bearer abc", "abc"),
        ("Bearer", ""),
        ("bearer abc", None),
    ],
)
def test_bearer_token(header: str | None, expected: str | None) -> None:
    request = make_request({} if header is None else {"Authorization": header})

    assert bearer_token(request) == expected


def test_token_is_live() -> None:
    tokens = {"live": NOW + 1, "expired": NOW}

    def live(header: str) -> bool:
        request = make_request({"Authorization": header})
        return token_is_live(request, tokens, lambda: NOW)

    assert live("Bearer live")
    assert not live("Bearer expired")
    assert not live("Bearer unknown")
    assert not live("Basic live")


@pytest.mark.parametrize(
    ("header", "scope", "expected"),
    [
        ("Bearer good", "a.read", None),
        ("Bearer good", "b.write", BearerRejection.INSUFFICIENT_SCOPE),
        ("Bearer expired", "a.read", BearerRejection.INVALID_TOKEN),
        ("Bearer unknown", "a.read", BearerRejection.INVALID_TOKEN),
        ("", "a.read", BearerRejection.INVALID_TOKEN),
    ],
)
def test_check_scoped_bearer(
    header: str, scope: str, expected: BearerRejection | None
) -> None:
    tokens: dict[str, ScopedGrant] = {
        "good": (NOW + 10, frozenset({"a.read"})),
        "expired": (NOW, frozenset({"a.read"})),
    }
    request = make_request({"Authorization": header} if header else {})

    assert check_scoped_bearer(request, tokens, lambda: NOW, scope) is expected


def test_bearer_rejection_codes() -> None:
    assert BearerRejection.INVALID_TOKEN.status == 401
    assert BearerRejection.INVALID_TOKEN.issue_type == "login"
    assert BearerRejection.INSUFFICIENT_SCOPE.status == 403
    assert BearerRejection.INSUFFICIENT_SCOPE.issue_type == "forbidden"


def test_check_scoped_bearer_skips_clock() -> None:
    # The clock is read only for a known token, so a request without one
    # must not call it.
    def clock() -> float:
        raise AssertionError("the clock was read")

    request = make_request()

    assert check_scoped_bearer(request, {}, clock, "a") is BearerRejection.INVALID_TOKEN


# Client assertions


def test_endpoint_url_drops_query() -> None:
    request = make_request(url="https://sim.test/oauth2/token?x=1")

    assert endpoint_url(request) == "https://sim.test/oauth2/token"


@pytest.mark.parametrize(
    ("exp", "accepted"),
    [
        (NOW + 1, True),
        (NOW + 301, True),
        (NOW + 302, False),
        (NOW, False),
        (NOW - 5, False),
        ("soon", False),
        (None, False),
    ],
)
def test_expiry_problem(exp: object, accepted: bool) -> None:
    problem = expiry_problem(exp, NOW)

    if accepted:
        assert problem is None
    else:
        assert problem == "exp is missing, past, or more than five minutes ahead"


def test_spend_jti_rejects_replay() -> None:
    used: dict[str, float] = {}

    assert spend_jti(used, "a", NOW + 60, NOW)
    assert not spend_jti(used, "a", NOW + 60, NOW + 1)
    assert used == {"a": NOW + 60}


def test_spend_jti_forgets_expired() -> None:
    used = {"old": NOW, "fresh": NOW + 60}

    assert spend_jti(used, "old", NOW + 120, NOW)
    assert used == {"old": NOW + 120, "fresh": NOW + 60}


@pytest.mark.parametrize("jti", [None, "", 7])
def test_jti_problem_missing(jti: object) -> None:
    used = {"old": NOW - 1}

    problem = jti_problem(used, jti, NOW + 60, NOW)

    assert problem == "jti is missing or was used before"
    assert used == {}


def test_jti_problem_replay() -> None:
    used: dict[str, float] = {}

    assert jti_problem(used, "a", NOW + 60, NOW) is None
    assert jti_problem(used, "a", NOW + 60, NOW) == "jti is missing or was used before"


# Responses


def test_json_response_spaced_layout() -> None:
    response = json_response({"name": "Zoë", "n": 1}, status_code=201)

    assert response.status_code == 201
    assert response.body == '{"name": "Zoë", "n": 1}'.encode()
    assert response.headers["content-type"] == "application/json"


def test_fhir_response_location() -> None:
    response = fhir_response({"resourceType": "Patient"}, location="/Patient/1")

    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["location"] == "/Patient/1"
    assert response.body == b'{"resourceType": "Patient"}'


def test_fhir_response_no_location() -> None:
    response = fhir_response({"resourceType": "Patient"}, status_code=200)

    assert "location" not in response.headers


def test_operation_outcome_shape() -> None:
    outcome = operation_outcome("value", "urn:test", "BAD", version="1")

    assert outcome == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "value",
                "details": {
                    "coding": [{"system": "urn:test", "version": "1", "code": "BAD"}]
                },
            }
        ],
    }
    coding = outcome["issue"][0]["details"]["coding"][0]
    assert list(coding) == ["system", "version", "code"]


def test_operation_outcome_diagnostics() -> None:
    outcome = operation_outcome("structure", "urn:test", "BAD", diagnostics="line 3")

    issue = outcome["issue"][0]
    assert list(issue) == ["severity", "code", "details", "diagnostics"]
    assert issue["diagnostics"] == "line 3"
    assert issue["details"]["coding"] == [{"system": "urn:test", "code": "BAD"}]


def test_outcome_response_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)

    response = outcome_response(404, "not-found", "GONE", system="urn:t", logger=log)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/fhir+json"
    body = body_of(response)
    assert isinstance(body, dict)
    assert body["issue"][0]["details"]["coding"][0]["code"] == "GONE"
    assert "HTTP 404 GONE" in caplog.text


# Idempotency


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Idempotency-Key": "   "}, None),
        ({"Idempotency-Key": " k-1 "}, "k-1"),
        ({"X-Key": "k-2"}, None),
    ],
)
def test_idempotency_key(headers: dict[str, str], expected: str | None) -> None:
    assert idempotency_key(make_request(headers)) == expected


def test_idempotency_key_other_header() -> None:
    request = make_request({"If-None-Exist": "identifier=x"})

    assert idempotency_key(request, "If-None-Exist") == "identifier=x"


# App assembly and serving


async def _state_name(request: Request) -> Response:
    return PlainTextResponse(request.app.state.simulator["name"])


async def _get(app: Starlette) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        return await client.get("/")


@pytest.mark.asyncio
async def test_build_simulator_app_state() -> None:
    app = build_simulator_app([Route("/", _state_name)], {"name": "sim"})

    response = await _get(app)

    assert response.status_code == 200
    assert response.text == "sim"


@pytest.mark.asyncio
async def test_build_simulator_app_faults() -> None:
    faults = FaultInjector(1.0, kinds=[FaultKind.UNAVAILABLE], seed=1)
    app = build_simulator_app([Route("/", _state_name)], {"name": "sim"}, faults)

    response = await _get(app)

    assert response.status_code == 503


def test_serve_rejects_other_hosts() -> None:
    app = build_simulator_app([Route("/", _state_name)], {"name": "sim"})

    with pytest.raises(ValueError, match="not a loopback address"):
        with serve_on_loopback(app, name="Test", host="0.0.0.0"):
            pass


def test_serve_on_loopback_http() -> None:
    app = build_simulator_app([Route("/", _state_name)], {"name": "sim"})

    with serve_on_loopback(app, name="Test") as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base_url}/", timeout=10)

    assert response.status_code == 200
    assert response.text == "sim"


def test_serve_on_loopback_tls(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert = tmp_path / "server.pem"
    key = tmp_path / "server-key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    app = build_simulator_app([Route("/", _state_name)], {"name": "sim"})

    with serve_on_loopback(
        app, name="Test", certfile=str(cert), keyfile=str(key)
    ) as base_url:
        assert base_url.startswith("https://127.0.0.1:")
        response = httpx.get(f"{base_url}/", verify=context, timeout=10)

    assert response.text == "sim"
