"""Broken cassettes fail the UK suite with messages that locate the problem."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

PATIENT_PATH = "/Patient/9000000009"
TOKEN_PATH = "/oauth2/token"
# Controls that read every cassette of a provider, whichever one is broken.
WHOLE_CASSETTE_CONTROLS = {"UK-CNF-01", "UK-RES-01"}


def _exchange_index(document: dict[str, Any], method: str, uri_part: str) -> int:
    for index, interaction in enumerate(document["interactions"]):
        request = interaction["request"]
        if request["method"] == method and uri_part in request["uri"]:
            return index
    raise LookupError(f"no {method} exchange with {uri_part!r} in its URI")


def _controls_with(suite_tree, outcome: str) -> dict[str, dict[str, Any]]:
    path = suite_tree.path / "evidence" / "evidence.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    return {c["control_id"]: c for c in document["controls"] if c["outcome"] == outcome}


def _fake_jwt() -> str:
    """Return a JWT-shaped string built at run time, so no token sits in the source."""

    def segment(document: dict[str, str]) -> str:
        raw = json.dumps(document).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = segment({"alg": "RS512", "typ": "JWT"})
    payload = segment({"iss": "carecert-plugin-test", "sub": "not-a-real-client"})
    return f"{header}.{payload}.bm90LWEtc2lnbmF0dXJl"


@pytest.mark.parametrize("field", ["identifier", "id"])
def test_missing_patient_field_fails_conformance(suite_tree, field):
    document = suite_tree.read_cassette("audited_access")
    index = _exchange_index(document, "GET", PATIENT_PATH)
    response_body = document["interactions"][index]["response"]["body"]
    patient = json.loads(response_body["string"])
    del patient[field]
    response_body["string"] = json.dumps(patient)
    path = suite_tree.write_cassette("audited_access", document)

    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    # The replay of audited_access (UK-RET-01) and the whole-cassette check
    # (UK-CNF-01) both read the broken exchange.
    result.assert_outcomes(passed=16, failed=2)
    assert "ConformanceFailure" in output
    assert f"'{field}' is a required property" in output
    assert f"Cassette: {path} (exchange {index})" in output
    assert "Request: GET https://int.api.service.nhs.uk/" in output
    assert "Part: response" in output
    assert "Location: $\n" in output
    assert "Expected: required: ['resourceType', 'id', 'identifier']" in output
    assert f"Received: object without ['{field}']" in output
    failed = _controls_with(suite_tree, "failed")
    assert sorted(failed) == ["UK-CNF-01", "UK-RET-01"]
    for control in failed.values():
        assert "audited_access.json" in control["message"]


def _bearer_in_header(document: dict[str, Any]) -> tuple[str, str]:
    index = _exchange_index(document, "GET", PATIENT_PATH)
    secret = "Bearer abc.def-not-scrubbed"
    document["interactions"][index]["request"]["headers"]["authorization"] = [secret]
    return secret, f"interactions[{index}].request.headers.authorization"


def _jwt_in_token_form(document: dict[str, Any]) -> tuple[str, str]:
    index = _exchange_index(document, "POST", TOKEN_PATH)
    request = document["interactions"][index]["request"]
    secret = _fake_jwt()
    request["body"] = request["body"].replace("scrubbed.scrubbed.scrubbed", secret)
    assert secret in request["body"]
    return secret, f"interactions[{index}].request.body"


def _jwt_as_whole_body(document: dict[str, Any]) -> tuple[str, str]:
    # A short first body puts the secret at the start of the cassette, where
    # pytest's shortened argument reprs would still show it.
    index = _exchange_index(document, "POST", TOKEN_PATH)
    secret = _fake_jwt()
    document["interactions"][index]["request"]["body"] = secret
    return secret, f"interactions[{index}].request.body"


def _jwt_in_response_body(document: dict[str, Any]) -> tuple[str, str]:
    index = _exchange_index(document, "GET", PATIENT_PATH)
    body = document["interactions"][index]["response"]["body"]
    patient = json.loads(body["string"])
    secret = _fake_jwt()
    patient["meta"]["source"] = secret
    body["string"] = json.dumps(patient)
    return secret, f"interactions[{index}].response.body"


Planter = Callable[[dict[str, Any]], tuple[str, str]]
SECRET_CASES: dict[str, tuple[str, Planter, str]] = {
    "bearer in header": ("audited_access", _bearer_in_header, "UK-RET-01"),
    "jwt in token form": ("audited_access", _jwt_in_token_form, "UK-RET-01"),
    "jwt as whole body": ("user_restricted_read", _jwt_as_whole_body, "UK-MFA-01"),
    "jwt in response body": ("audited_access", _jwt_in_response_body, "UK-RET-01"),
}


@pytest.mark.parametrize("case", list(SECRET_CASES))
def test_unscrubbed_secret_fails_without_echo(suite_tree, case):
    cassette, plant, replaying_control = SECRET_CASES[case]
    document = suite_tree.read_cassette(cassette)
    secret, location = plant(document)
    path = suite_tree.write_cassette(cassette, document)

    # --showlocals and -vvv make pytest print function arguments and locals in
    # full, which is where cassette contents would show up.
    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "--showlocals", "-vvv"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "CassetteSecretError" in output
    assert f"Cassette {path} contains a secret at {location}" in output
    assert '"<scrubbed>"' in output, "the message must say what to put instead"
    credential = secret.split(" ")[-1]
    assert credential not in output
    evidence_text = (suite_tree.path / "evidence" / "evidence.json").read_text()
    assert credential not in evidence_text
    # A secret in a cassette stops carecert from evaluating the controls that
    # read it, so they end in an error, not a compliance failure.
    assert _controls_with(suite_tree, "failed") == {}
    errors = _controls_with(suite_tree, "error")
    assert set(errors) == WHOLE_CASSETTE_CONTROLS | {replaying_control}


def test_truncated_cassette_fails_with_position(suite_tree):
    path = suite_tree.cassette_path("audited_access")
    raw = path.read_bytes()
    truncated = raw[: len(raw) // 2]
    path.write_bytes(truncated)
    with pytest.raises(json.JSONDecodeError) as invalid:
        json.loads(truncated)
    line = invalid.value.lineno

    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "CassetteFormatError" in output
    assert f"Cassette {path} is invalid at line {line}, column " in output
    assert "invalid JSON" in output
    assert "Re-record it with --record-mode=all against the simulator" in output
    assert "restore it from git" in output
    # An unparsable cassette must not be replayed as an empty one, which
    # would report the first request as unrecorded.
    assert "UnrecordedRequestError" not in output
    assert _controls_with(suite_tree, "failed") == {}
    errors = _controls_with(suite_tree, "error")
    assert set(errors) == WHOLE_CASSETTE_CONTROLS | {"UK-RET-01"}
