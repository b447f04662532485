"""Scrubbing replaces every credential kind, and the secret scan finds what is left."""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson
import pytest
from vcr.request import Request

from carecert.harness.errors import CassetteSecretError
from carecert.harness.scrub import (
    PLACEHOLDER,
    scrub_body,
    scrub_header_value,
    scrub_interaction,
    scrub_request,
    scrub_response,
    scrub_uri,
)
from carecert.harness.secrets import (
    JWT_PATTERN,
    JWT_PLACEHOLDER,
    _scan_body,
    check_cassette,
    find_secrets,
)

from .conftest import make_jwt

JWT = make_jwt()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Bearer abc.def", f"Bearer {PLACEHOLDER}"),
        ("authorization", "Basic dXNlcjpwYXNz", f"Basic {PLACEHOLDER}"),
        ("Authorization", "opaque-token", PLACEHOLDER),
        ("Proxy-Authorization", "Basic eHg6eXk=", f"Basic {PLACEHOLDER}"),
        ("Cookie", "a=1; b=2", f"a={PLACEHOLDER}; b={PLACEHOLDER}"),
        ("Set-Cookie", "sid=xyz; Path=/; Secure", f"sid={PLACEHOLDER}; Path=/; Secure"),
        ("X-Api-Key", "k-123", PLACEHOLDER),
        ("apikey", "k-123", PLACEHOLDER),
        ("Ocp-Apim-Subscription-Key", "k-123", PLACEHOLDER),
        ("X-CSRF-Token", "t-123", PLACEHOLDER),
        ("X-Request-ID", "123", "123"),
        ("X-Forwarded-Assertion", JWT, JWT_PLACEHOLDER),
    ],
)
def test_scrub_header_value(name: str, value: str, expected: str) -> None:
    assert scrub_header_value(name, value) == expected


def test_scrub_form_body_keeps_other_fields() -> None:
    body = (
        "grant_type=authorization_code&code=abc123&redirect_uri=https%3A%2F%2Fapp"
        f"&client_assertion={JWT}&client_secret=s3cret&code_verifier=v&password=pw"
    )
    scrubbed = scrub_body(body.encode(), "application/x-www-form-urlencoded")
    fields = dict(pair.split("=", 1) for pair in scrubbed.decode().split("&"))
    assert fields["grant_type"] == "authorization_code"
    assert fields["redirect_uri"] == "https%3A%2F%2Fapp"
    for name in ("code", "client_secret", "code_verifier", "password"):
        assert fields[name] == "%3Cscrubbed%3E", name
    assert fields["client_assertion"] == JWT_PLACEHOLDER


def test_form_code_outside_oauth_kept() -> None:
    """A FHIR search posted as a form keeps its clinical ``code``."""
    body = b"code=http://loinc.org|8867-4&subject=Patient/1"
    assert scrub_body(body, "application/x-www-form-urlencoded") is body


def test_scrub_json_body_nested() -> None:
    document = {
        "access_token": "at",
        "token_type": "Bearer",
        "nested": [{"refresh_token": "rt", "id_token": "it"}],
        "client_secret": "cs",
        "assertion": "as",
        "expires_in": 599,
    }
    scrubbed = orjson.loads(scrub_body(orjson.dumps(document), "application/json"))
    assert scrubbed["access_token"] == PLACEHOLDER
    assert scrubbed["nested"][0] == {
        "refresh_token": PLACEHOLDER,
        "id_token": PLACEHOLDER,
    }
    assert scrubbed["client_secret"] == PLACEHOLDER
    assert scrubbed["assertion"] == PLACEHOLDER
    assert scrubbed["token_type"] == "Bearer"
    assert scrubbed["expires_in"] == 599


def test_clean_body_returned_unchanged() -> None:
    body = b'{\n  "resourceType": "Patient",\n  "id": "9000000009"\n}'
    assert scrub_body(body, "application/fhir+json") is body


def test_binary_body_returned_unchanged() -> None:
    body = bytes(range(256))
    assert scrub_body(body, "application/octet-stream") is body


def test_jwt_replaced_anywhere_in_text() -> None:
    text = f"<html>token: {JWT}</html>"
    assert scrub_body(text, "text/html") == f"<html>token: {JWT_PLACEHOLDER}</html>"


def test_scrub_uri_query_and_jwt() -> None:
    uri = f"https://h/p?access_token=abc&_count=1&api_key=k&id_token_hint={JWT}#frag"
    scrubbed = scrub_uri(uri)
    assert "abc" not in scrubbed
    assert "api_key=%3Cscrubbed%3E" in scrubbed
    assert "_count=1" in scrubbed
    assert JWT not in scrubbed
    assert scrubbed.endswith("#frag")


def test_scrub_request_is_a_copy() -> None:
    body = f"grant_type=client_credentials&client_assertion={JWT}".encode()
    request = Request(
        "POST",
        "https://h/token",
        body,
        {
            "Authorization": "Bearer live",
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
        },
    )
    scrubbed = scrub_request(request)
    assert request.headers["Authorization"] == "Bearer live"
    assert request.body == body
    assert scrubbed.headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert (
        scrubbed.body
        == b"grant_type=client_credentials&client_assertion=scrubbed.scrubbed.scrubbed"
    )
    assert scrubbed.headers["Content-Length"] == str(len(scrubbed.body))


def test_scrub_response_is_a_copy() -> None:
    body = orjson.dumps({"access_token": "live", "expires_in": "599"})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "Content-Length": [str(len(body))],
        },
        "body": {"string": body},
    }
    original = copy.deepcopy(response)
    scrubbed = scrub_response(response)
    assert response == original
    new_body = scrubbed["body"]["string"]
    assert orjson.loads(new_body)["access_token"] == PLACEHOLDER
    assert scrubbed["headers"]["Content-Length"] == [str(len(new_body))]


def _interaction(**overrides: Any) -> dict[str, Any]:
    interaction: dict[str, Any] = {
        "request": {
            "method": "GET",
            "uri": "https://h/Patient/1",
            "headers": {"Accept": ["application/fhir+json"]},
            "body": None,
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/fhir+json"]},
            "body": {"string": '{"resourceType": "Patient"}'},
        },
    }
    for dotted, value in overrides.items():
        part, key = dotted.split("__")
        interaction[part][key] = value
    return interaction


def _cassette(*interactions: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "interactions": list(interactions)}


@pytest.mark.parametrize(
    ("overrides", "location", "kind"),
    [
        (
            {"request__headers": {"Authorization": ["Bearer abc"]}},
            "interactions[1].request.headers.Authorization",
            "credentials (Bearer)",
        ),
        (
            {"request__headers": {"Cookie": ["sid=abc"]}},
            "interactions[1].request.headers.Cookie",
            "cookie value",
        ),
        (
            {"response__headers": {"Set-Cookie": ["sid=abc; Path=/"]}},
            "interactions[1].response.headers.Set-Cookie",
            "cookie value",
        ),
        (
            {"request__headers": {"apikey": ["k"]}},
            "interactions[1].request.headers.apikey",
            "API key or token",
        ),
        (
            {"request__body": f"grant_type=client_credentials&client_assertion={JWT}"},
            "interactions[1].request.body: client_assertion",
            "form credential",
        ),
        (
            {
                "response__body": {
                    "string": '{"access_token": "abc", "expires_in": "1"}'
                }
            },
            "interactions[1].response.body: access_token",
            "token or secret",
        ),
        (
            {"response__body": {"string": f'{{"note": "{JWT}"}}'}},
            "interactions[1].response.body",
            "JWT",
        ),
        (
            {"request__uri": "https://h/p?access_token=abc"},
            "interactions[1].request.uri: access_token",
            "credential in query",
        ),
        (
            {"request__headers": {"X-Custom": [JWT]}},
            "interactions[1].request.headers.X-Custom",
            "JWT",
        ),
    ],
)
def test_secret_scan_finds(overrides: dict[str, Any], location: str, kind: str) -> None:
    data = _cassette(_interaction(), _interaction(**overrides))
    with pytest.raises(CassetteSecretError) as caught:
        check_cassette(data, "cassettes/x.json")
    assert caught.value.location == location
    assert caught.value.kind == kind
    assert caught.value.path == "cassettes/x.json"
    assert "abc" not in str(caught.value)
    assert JWT not in str(caught.value)


def test_scrubbed_interaction_passes_scan() -> None:
    leaky = _interaction(
        request__headers={
            "Authorization": ["Bearer abc"],
            "Cookie": ["a=1; b=2"],
            "Content-Type": ["application/x-www-form-urlencoded"],
        },
        request__uri="https://h/token?apikey=k",
        request__body=f"grant_type=authorization_code&code=c&client_assertion={JWT}",
        response__headers={
            "Set-Cookie": ["sid=abc; Path=/"],
            "Content-Type": ["application/json"],
        },
        response__body={"string": '{"access_token": "abc", "id_token": "x"}'},
    )
    assert len(list(find_secrets(_cassette(leaky)))) >= 6

    scrubbed = scrub_interaction(leaky)
    assert list(find_secrets(_cassette(scrubbed))) == []
    assert leaky["request"]["headers"]["Authorization"] == ["Bearer abc"]


def test_placeholders_are_not_secrets() -> None:
    clean = _interaction(
        request__headers={
            "Authorization": [f"Bearer {PLACEHOLDER}"],
            "Cookie": [f"a={PLACEHOLDER}"],
        },
        response__body={
            "string": f'{{"access_token": "{PLACEHOLDER}", "refresh_token": ""}}'
        },
    )
    check_cassette(_cassette(clean), "x.json")


def test_fhir_code_fields_are_not_secrets() -> None:
    body = '{"code": {"coding": [{"code": "8867-4"}]}, "password_hint": "x"}'
    check_cassette(_cassette(_interaction(response__body={"string": body})), "x.json")


def test_jwt_placeholder_shape_not_secret() -> None:
    text = f"see {JWT} here"
    scrubbed = scrub_body(text, "text/plain")
    assert scrubbed == f"see {JWT_PLACEHOLDER} here"
    assert re.fullmatch(
        r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", JWT_PLACEHOLDER
    )
    assert not JWT_PATTERN.search(JWT_PLACEHOLDER)
    assert (
        list(_scan_body("body", "grant_type=x&client_assertion=" + JWT_PLACEHOLDER, ""))
        == []
    )


BEARER = "Bearer 9f8e7d6c5b4a3210fedcba"


@pytest.mark.parametrize(
    ("overrides", "location", "kind"),
    [
        (
            {"request__headers": {"x-amzn-remapped-authorization": [BEARER]}},
            "interactions[1].request.headers.x-amzn-remapped-authorization",
            "bearer token",
        ),
        (
            {"response__headers": {"x-debug": [f"sent {BEARER}"]}},
            "interactions[1].response.headers.x-debug",
            "bearer token",
        ),
        (
            {"response__body": {"string": f"<p>Authorization: {BEARER}</p>"}},
            "interactions[1].response.body",
            "bearer token",
        ),
        (
            {"response__body": {"string": '{"token": "9f8e7d6c5b4a"}'}},
            "interactions[1].response.body: token",
            "token or secret",
        ),
        (
            {"response__body": {"string": '{"accessToken": "9f8e7d6c5b4a"}'}},
            "interactions[1].response.body: accessToken",
            "token or secret",
        ),
        (
            {"request__headers": {"nhsd-user-identity": ["opaque-user-token"]}},
            "interactions[1].request.headers.nhsd-user-identity",
            "API key or token",
        ),
    ],
)
def test_secret_scan_finds_tokens_outside_known_places(
    overrides: dict[str, Any], location: str, kind: str
) -> None:
    data = _cassette(_interaction(), _interaction(**overrides))

    with pytest.raises(CassetteSecretError) as caught:
        check_cassette(data, "cassettes/x.json")

    assert caught.value.location == location
    assert caught.value.kind == kind
    assert "9f8e7d6c5b4a" not in str(caught.value)
    assert "opaque-user-token" not in str(caught.value)


def test_scrub_replaces_bearer_tokens_anywhere() -> None:
    leaky = _interaction(
        request__headers={"x-amzn-remapped-authorization": [BEARER]},
        response__headers={"x-debug": [f"sent {BEARER}"]},
        response__body={"string": f'{{"accessToken": "abc123", "note": "{BEARER}"}}'},
    )

    scrubbed = scrub_interaction(leaky)

    assert list(find_secrets(_cassette(scrubbed))) == []
    headers = scrubbed["request"]["headers"]
    assert headers["x-amzn-remapped-authorization"] == [f"Bearer {PLACEHOLDER}"]
    assert scrubbed["response"]["headers"]["x-debug"] == [f"sent Bearer {PLACEHOLDER}"]
