"""Failure messages that a suite user sees name the file, the place and the fix."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest

from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.errors import ConformanceFailure, SpecError
from carecert.harness.openapi_loader import clear_spec_cache, load_spec

from .conftest import BASE_URL, PATIENT, PATIENT_SPEC, REQUEST_ID


def _interaction(status: int) -> dict[str, Any]:
    return {
        "request": {
            "method": "GET",
            "uri": f"{BASE_URL}/Patient/9000000009",
            "headers": {"X-Request-ID": [REQUEST_ID]},
            "body": None,
        },
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {
                "Content-Type": ["application/fhir+json"],
                "X-Request-ID": [REQUEST_ID],
            },
            "body": {"string": orjson.dumps(PATIENT).decode()},
        },
    }


def _cassette_with_status(tmp_path: Path, status: int) -> Path:
    """Write a cassette whose second Patient read was edited to ``status``."""
    path = tmp_path / "get_patient.json"
    interactions = [_interaction(200), _interaction(status)]
    path.write_bytes(orjson.dumps({"version": 1, "interactions": interactions}))
    return path


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "openapi-core"])
def test_edited_404_names_documented_response(tmp_path: Path, fast: bool) -> None:
    path = _cassette_with_status(tmp_path, 404)

    with pytest.raises(ConformanceFailure) as caught:
        SpecValidator(PATIENT_SPEC, fast=fast).validate_cassette(path)

    failure = caught.value
    message = str(failure)
    assert failure.status == 404
    assert f"Cassette: {path} (exchange 1)" in message
    assert "Status: 404\n" in message
    assert (
        f'Checked against: GET /Patient/{{id}} responses "404" in {PATIENT_SPEC}'
        in message
    )
    assert "'issue' is a required property" in message
    assert "Location: $\n" in message
    assert "Expected: required: ['resourceType', 'issue']" in message
    assert "Received: object without ['issue']" in message
    assert f"fix the response of interaction 1 of {path}" in message
    assert f"re-record {path} with --record-mode=all" in message


def test_edited_500_names_undocumented_status(tmp_path: Path) -> None:
    path = _cassette_with_status(tmp_path, 500)

    with pytest.raises(ConformanceFailure) as caught:
        SpecValidator(PATIENT_SPEC).validate_cassette(path)

    failure = caught.value
    message = str(failure)
    assert failure.location == "status"
    assert failure.exchange_index == 1
    assert "Status: 500\n" in message
    assert (
        f"Checked against: GET /Patient/{{id}} in {PATIENT_SPEC}, which documents "
        "no 500" in message
    )
    assert "--record-mode=all" in message


def test_failure_fields_survive_pickling(tmp_path: Path) -> None:
    path = _cassette_with_status(tmp_path, 404)
    with pytest.raises(ConformanceFailure) as caught:
        SpecValidator(PATIENT_SPEC).validate_cassette(path)

    copied = pickle.loads(pickle.dumps(caught.value))

    assert copied.status == 404
    assert copied.checked_against == caught.value.checked_against
    assert copied.advice == caught.value.advice
    assert str(copied) == str(caught.value)


def test_exchange_without_cassette_has_no_advice() -> None:
    validator = SpecValidator(PATIENT_SPEC)
    interaction = _interaction(404)

    with pytest.raises(ConformanceFailure) as caught:
        validator.validate_exchange(
            None,
            None,
            ExchangeRequest.from_file(interaction["request"]),
            ExchangeResponse.from_file(interaction["response"]),
        )

    assert caught.value.advice is None
    assert "Next step:" not in str(caught.value)
    assert caught.value.status == 404


BROKEN_YAML = """\
openapi: 3.0.3
info:
  title: broken
  version: "1"
paths:
  /Patient:
    get: {responses: {"200": {description: ok}
  other: [
"""


def test_yaml_error_names_file_line_column(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(BROKEN_YAML)
    clear_spec_cache()

    with pytest.raises(SpecError) as caught:
        load_spec(spec)

    error = caught.value
    message = str(error)
    assert error.path == str(spec)
    assert error.line == 8
    assert error.column == 3
    assert f"{spec} is invalid at line 8, column 3" in message
    assert "starts at line 7, column 22" in message
    assert "<urllib response>" not in message
    assert f"Fix {spec}" in message
    assert "ProviderInfo.openapi" in message
    assert "lenient=True" not in message


def test_rule_error_keeps_lenient_hint(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(PATIENT_SPEC.read_text().replace("type: boolean", "type: bool"))
    clear_spec_cache()

    with pytest.raises(SpecError) as caught:
        load_spec(spec)

    message = str(caught.value)
    assert "ProviderInfo.openapi" in message
    assert "lenient=True" in message
    assert caught.value.line is None
