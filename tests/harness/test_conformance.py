"""SpecValidator: failures name the place; compiled checks agree with openapi-core."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest
from vcr.request import Request

from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
    make_on_play,
)
from carecert.harness.errors import ConformanceFailure, SpecError
from carecert.harness.fastpath import FastChecker
from carecert.harness.openapi_loader import SpecWarning, clear_spec_cache, load_spec

from .. import realdata
from .conftest import BASE_URL, PATIENT, PATIENT_SPEC, REQUEST_ID

# NHS Digital's published PDS description, in the folder of published inputs.
PDS_SPEC = realdata.real_path(realdata.PDS_SPEC)
PDS_EXAMPLES = realdata.real_path(realdata.PDS_EXAMPLES)
needs_pds = pytest.mark.skipif(
    not PDS_SPEC.is_file(), reason=realdata.missing_reason(PDS_SPEC)
)
PDS_BASE = "https://sandbox.api.service.nhs.uk/personal-demographics/FHIR/R4"


def _request(
    path: str = "/Patient/9000000009", headers: dict[str, str] | None = None
) -> Request:
    return Request(
        "GET", BASE_URL + path, None, {"X-Request-ID": REQUEST_ID, **(headers or {})}
    )


def _response(
    body: Any = PATIENT,
    status: int = 200,
    content_type: str = "application/fhir+json",
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return {
        "status": {"code": status, "message": ""},
        "headers": {
            "Content-Type": [content_type],
            "X-Request-ID": [REQUEST_ID],
            **(headers or {}),
        },
        "body": {"string": raw},
    }


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator(PATIENT_SPEC)


@pytest.fixture(scope="module")
def reference() -> SpecValidator:
    return SpecValidator(PATIENT_SPEC, fast=False)


def _failure(
    validator: SpecValidator, request: Any, response: Any
) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as caught:
        validator.validate_exchange("cassettes/nhs/patient.json", 2, request, response)
    return caught.value


@pytest.mark.parametrize(
    "content_type", ["application/fhir+json", "application/fhir+json; charset=utf-8"]
)
def test_fhir_json_body_is_parsed(
    validator: SpecValidator, reference: SpecValidator, content_type: str
) -> None:
    """Both forms of the FHIR media type are read as JSON by both paths."""
    validator.validate_exchange(
        "c.json", 0, _request(), _response(content_type=content_type)
    )
    reference.validate_exchange(
        "c.json", 0, _request(), _response(content_type=content_type)
    )

    bad = {**PATIENT, "gender": "woman"}
    for checker in (validator, reference):
        failure = _failure(
            checker, _request(), _response(bad, content_type=content_type)
        )
        assert failure.location == "$.gender"


def test_failure_names_every_field(validator: SpecValidator) -> None:
    bad = copy.deepcopy(PATIENT)
    bad["identifier"][0]["value"] = 9000000009

    failure = _failure(validator, _request(), _response(bad))

    assert failure.cassette == "cassettes/nhs/patient.json"
    assert failure.exchange_index == 2
    assert failure.method == "GET"
    assert failure.url == f"{BASE_URL}/Patient/9000000009"
    assert failure.part == "response"
    assert failure.location == "$.identifier[0].value"
    assert failure.expected == "type: 'string'"
    assert failure.received == 9000000009
    text = str(failure)
    assert "Cassette: cassettes/nhs/patient.json (exchange 2)" in text
    assert "Location: $.identifier[0].value" in text
    assert "Received: 9000000009" in text


@pytest.mark.parametrize(
    ("request_args", "response_args", "part", "location", "received"),
    [
        ({"path": "/Patient/12"}, {}, "request", "path parameter id", "12"),
        (
            {"headers": {"X-Request-ID": "not-a-uuid"}},
            {},
            "request",
            "header X-Request-ID",
            "not-a-uuid",
        ),
        (
            {"path": "/Patient/9000000009?_count=0"},
            {},
            "request",
            "query parameter _count",
            0,
        ),
        ({"path": "/Practitioner/1"}, {}, "request", "path", "/Practitioner/1"),
        ({}, {"status": 500}, "response", "status", 500),
        (
            {},
            {"content_type": "text/html"},
            "response",
            "header Content-Type",
            "text/html",
        ),
        ({}, {"body": b"<html>"}, "response", "body", "<html>"),
        ({}, {"body": b""}, "response", "body", "no body"),
        (
            {},
            {"body": {"resourceType": "Patient"}},
            "response",
            "$",
            "object without ['id']",
        ),
        (
            {},
            {"body": {**PATIENT, "birthDate": "2010-13-45"}},
            "response",
            "$.birthDate",
            "2010-13-45",
        ),
    ],
)
def test_failure_locations(
    validator: SpecValidator,
    request_args: dict[str, Any],
    response_args: dict[str, Any],
    part: str,
    location: str,
    received: Any,
) -> None:
    failure = _failure(validator, _request(**request_args), _response(**response_args))
    assert failure.part == part
    assert failure.location == location
    assert failure.received == received


def test_missing_required_request_header(validator: SpecValidator) -> None:
    request = Request("GET", f"{BASE_URL}/Patient/9000000009", None, {})
    failure = _failure(validator, request, _response())
    assert failure.location == "header X-Request-ID"
    assert failure.expected == "required"
    assert failure.received == "missing"


def test_missing_required_response_header(validator: SpecValidator) -> None:
    response = _response()
    del response["headers"]["X-Request-ID"]
    failure = _failure(validator, _request(), response)
    assert failure.part == "response"
    assert failure.location == "header X-Request-ID"


def test_undocumented_method(validator: SpecValidator) -> None:
    request = Request("DELETE", f"{BASE_URL}/Patient/9000000009", None, {})
    failure = _failure(validator, request, _response())
    assert failure.location == "method"
    assert failure.expected == ["GET"]
    assert failure.received == "DELETE"


def test_unknown_host_names_servers(validator: SpecValidator) -> None:
    request = Request(
        "GET", "https://127.0.0.1:8443/FHIR/R4/Patient/9000000009", None, {}
    )
    failure = _failure(validator, request, _response())
    assert failure.location == "url"
    assert failure.expected == [BASE_URL]
    assert failure.received == "https://127.0.0.1:8443/FHIR/R4/Patient/9000000009"
    assert str(PATIENT_SPEC) in failure.message


def test_url_secrets_not_shown(validator: SpecValidator) -> None:
    request = _request("/Patient/12?access_token=live-token")
    failure = _failure(validator, request, _response())
    assert "live-token" not in str(failure)


def test_request_body_uses_write_rules(
    validator: SpecValidator, reference: SpecValidator
) -> None:
    """readOnly ``id`` is optional in a request body and rejected when sent."""
    without_id = {key: value for key, value in PATIENT.items() if key != "id"}
    created = _response(PATIENT, status=201)
    for checker in (validator, reference):
        good = ExchangeRequest(
            "POST",
            f"{BASE_URL}/Patient",
            {"Content-Type": "application/fhir+json"},
            orjson.dumps(without_id),
        )
        checker.validate_exchange(None, None, good, created)
        bad = ExchangeRequest(
            "POST",
            f"{BASE_URL}/Patient",
            {"Content-Type": "application/fhir+json"},
            orjson.dumps(PATIENT),
        )
        failure = _failure(checker, bad, created)
        assert failure.part == "request"
        assert failure.location == "$.id"


def test_on_play_callback_validates(validator: SpecValidator) -> None:
    class FakeCassette:
        path = "cassettes/x.json"

    on_play = make_on_play(validator)
    on_play(FakeCassette(), 0, _request(), _response())
    with pytest.raises(ConformanceFailure) as caught:
        on_play(FakeCassette(), 4, _request(), _response(status=418))
    assert caught.value.cassette == "cassettes/x.json"
    assert caught.value.exchange_index == 4


# Agreement between the compiled checks and openapi-core


def _bodies() -> list[tuple[str, Any]]:
    linked = copy.deepcopy(PATIENT)
    linked["link"] = [
        {"type": "seealso", "other": {"resourceType": "Patient", "id": "1"}}
    ]
    bad_link = copy.deepcopy(PATIENT)
    bad_link["link"] = [{"type": "seealso", "other": {"resourceType": "Patient"}}]
    extra_identifier = copy.deepcopy(PATIENT)
    extra_identifier["identifier"][0]["period"] = {}
    return [
        ("valid", PATIENT),
        ("minimal", {"resourceType": "Patient", "id": "1"}),
        ("null birthDate", {**PATIENT, "birthDate": None}),
        ("recursive link", linked),
        ("int32 max", {**PATIENT, "multipleBirthInteger": 2**31 - 1}),
        ("wrong type", {**PATIENT, "active": "yes"}),
        ("bad enum", {**PATIENT, "gender": "woman"}),
        ("bad date", {**PATIENT, "birthDate": "22/10/2010"}),
        ("null gender", {**PATIENT, "gender": None}),
        ("missing id", {"resourceType": "Patient"}),
        ("pattern", {**PATIENT, "identifier": [{"system": "s", "value": "90-00"}]}),
        ("additional property", extra_identifier),
        ("empty family", {**PATIENT, "name": [{"family": ""}]}),
        ("int32 overflow", {**PATIENT, "multipleBirthInteger": 2**31}),
        ("recursive invalid", bad_link),
        ("not an object", ["Patient"]),
    ]


@pytest.mark.parametrize(
    ("name", "body"), _bodies(), ids=[name for name, _ in _bodies()]
)
def test_fast_path_agrees_with_openapi_core(
    validator: SpecValidator, reference: SpecValidator, name: str, body: Any
) -> None:
    """The compiled body check accepts exactly what openapi-core accepts."""
    request = ExchangeRequest.from_vcr(_request())
    response = ExchangeResponse.from_vcr(_response(body))
    checker = FastChecker(validator.loaded)

    verdict = checker.check(request, response, "/Patient/9000000009")
    reference_errors = reference._reference_errors(request, response)

    assert verdict is not None, "the compiled path should handle this schema"
    assert verdict is (not reference_errors)


@needs_pds
def test_fast_path_agrees_on_pds_example() -> None:
    """NHS Digital's published Patient example passes both paths of the PDS spec."""
    with pytest.warns(SpecWarning):
        clear_spec_cache()
        loaded = load_spec(PDS_SPEC, lenient=True)
    fast = SpecValidator(loaded)
    slow = SpecValidator(loaded, fast=False)
    request = Request(
        "GET", f"{PDS_BASE}/Patient/9000000009", None, {"X-Request-ID": REQUEST_ID}
    )
    example = orjson.loads((PDS_EXAMPLES / "Patient.json").read_bytes())
    response = _response(example, headers={"X-Request-Id": [REQUEST_ID]})

    assert (
        FastChecker(loaded).check(
            ExchangeRequest.from_vcr(request),
            ExchangeResponse.from_vcr(response),
            "/Patient/9000000009",
        )
        is True
    )
    fast.validate_exchange(None, None, request, response)
    slow.validate_exchange(None, None, request, response)

    broken = copy.deepcopy(example)
    broken["gender"] = "woman"
    for checker in (fast, slow):
        failure = _failure(checker, request, _response(broken))
        assert failure.location == "$.gender"
    assert fast.disagreements == 0


# Loading descriptions


@needs_pds
def test_lenient_pds_warns_per_place() -> None:
    clear_spec_cache()
    with pytest.warns(SpecWarning) as recorded:
        loaded = load_spec(PDS_SPEC, lenient=True)
    messages = [str(warning.message) for warning in recorded]
    assert len(messages) == len(set(messages))
    assert any("/paths/~1Patient~1{id}/get" in message for message in messages)
    assert all(str(PDS_SPEC) in message for message in messages)
    assert len(loaded.notes) == len(messages)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_spec(PDS_SPEC, lenient=True) is loaded


@needs_pds
def test_strict_load_rejects_pds() -> None:
    clear_spec_cache()
    with pytest.raises(SpecError) as caught:
        load_spec(PDS_SPEC)
    assert caught.value.pointer == "/paths/~1Patient/get"
    assert str(PDS_SPEC) in str(caught.value)
    assert "lenient=True" in str(caught.value)


def test_strict_load_names_pointer(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(PATIENT_SPEC.read_text().replace("type: boolean", "type: bool"))
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert caught.value.path == str(spec)
    assert caught.value.pointer.startswith("/")


def test_not_openapi_30(tmp_path: Path) -> None:
    spec = tmp_path / "swagger.yaml"
    spec.write_text('swagger: "2.0"\ninfo: {title: x, version: "1"}\npaths: {}\n')
    with pytest.raises(SpecError, match="OpenAPI 3.0"):
        load_spec(spec)


def test_spec_is_cached() -> None:
    assert load_spec(PATIENT_SPEC) is load_spec(str(PATIENT_SPEC))


def test_validate_cassette_file(tmp_path: Path, validator: SpecValidator) -> None:
    """validate_cassette loads, scans and checks each exchange in file form."""
    good = _response()
    interactions = []
    for response in (good, _response({**PATIENT, "gender": "woman"})):
        interactions.append(
            {
                "request": {
                    "method": "GET",
                    "uri": f"{BASE_URL}/Patient/9000000009",
                    "headers": {"X-Request-ID": [REQUEST_ID]},
                    "body": None,
                },
                "response": {
                    **response,
                    "body": {"string": response["body"]["string"].decode()},
                },
            }
        )
    path = tmp_path / "two.json"
    path.write_bytes(orjson.dumps({"version": 1, "interactions": interactions[:1]}))
    assert validator.validate_cassette(path) == 1

    path.write_bytes(orjson.dumps({"version": 1, "interactions": interactions}))
    with pytest.raises(ConformanceFailure) as caught:
        validator.validate_cassette(path)
    assert caught.value.exchange_index == 1
    assert caught.value.cassette == str(path)
    assert caught.value.location == "$.gender"


def test_alias_validates_as_documented_server() -> None:
    """A simulator URL given as an alias is checked as the documented host."""
    aliased = SpecValidator(PATIENT_SPEC, aliases=["http://127.0.0.1:8765/FHIR/R4"])
    request = Request(
        "GET",
        "http://127.0.0.1:8765/FHIR/R4/Patient/9000000009?_count=2",
        None,
        {"X-Request-ID": REQUEST_ID},
    )
    aliased.validate_exchange(None, None, request, _response())

    failure = _failure(aliased, request, _response({**PATIENT, "gender": "woman"}))
    assert failure.location == "$.gender"
    assert failure.url == "http://127.0.0.1:8765/FHIR/R4/Patient/9000000009?_count=2"


def test_alias_needs_absolute_first_server(tmp_path: Path) -> None:
    spec = tmp_path / "relative.yaml"
    spec.write_text(PATIENT_SPEC.read_text().replace(BASE_URL, "/FHIR/R4"))
    with pytest.raises(ValueError, match="absolute first server"):
        SpecValidator(spec, aliases=["http://127.0.0.1:8765/FHIR/R4"])
