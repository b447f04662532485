"""Harness exceptions name the file, the place and the fix."""

from __future__ import annotations

import pickle

from carecert.adapters.errors import CarecertError
from carecert.harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteSecretError,
    ConformanceFailure,
    NetworkBlockedError,
    SpecError,
    UnrecordedRequestError,
)


def test_hierarchy() -> None:
    for error_class in (
        CassetteFormatError,
        CassetteSecretError,
        UnrecordedRequestError,
    ):
        assert issubclass(error_class, CassetteError)
    assert issubclass(CassetteError, CarecertError)
    assert issubclass(NetworkBlockedError, CarecertError)
    assert issubclass(SpecError, CarecertError)
    assert issubclass(ConformanceFailure, AssertionError)


def test_format_error_with_position() -> None:
    error = CassetteFormatError(
        "cassettes/a.json", "invalid JSON (trailing comma)", line=3, column=7
    )
    assert str(error) == (
        "Cassette cassettes/a.json is invalid at line 3, column 7: invalid JSON "
        "(trailing comma). Re-record it with --record-mode=all against the simulator, "
        "or restore it from git."
    )


def test_format_error_with_location() -> None:
    error = CassetteFormatError(
        "a.json", "missing", location="interactions[2].request.uri"
    )
    assert "at interactions[2].request.uri: missing" in str(error)


def test_secret_error_has_no_value() -> None:
    error = CassetteSecretError(
        "a.json", "interactions[0].request.body: client_assertion", "JWT"
    )
    message = str(error)
    assert "a.json" in message
    assert "interactions[0].request.body: client_assertion" in message
    assert "JWT" in message
    assert "<scrubbed>" in message


def test_unrecorded_request_says_how_to_record() -> None:
    error = UnrecordedRequestError("a.json", "GET", "https://h/p", reason="no_match")
    message = str(error)
    assert "GET https://h/p" in message
    assert "a.json" in message
    assert "Record mode 'none' only replays." in message
    assert "--record-mode=once" not in message
    assert "--record-mode=new_episodes (adds the missing exchanges)" in message
    assert "--record-mode=all (records the whole cassette again)" in message
    assert "simulator" in message


def test_unrecorded_in_once_mode_advises_new_episodes() -> None:
    error = UnrecordedRequestError(
        "a.json", "GET", "https://h/p", record_mode="once", reason="no_match"
    )
    message = str(error)
    assert "Record mode 'once' records only into a cassette that does not" in message
    assert "--record-mode=new_episodes" in message
    assert "--record-mode=all" in message
    assert "run with --record-mode=once" not in message


def test_unrecorded_without_cassette_advises_once() -> None:
    error = UnrecordedRequestError(
        "a.json", "GET", "https://h/p", reason="cassette_not_found"
    )
    message = str(error)
    assert "the cassette does not exist" in message
    assert "run with --record-mode=once." in message


def test_network_blocked_names_target() -> None:
    error = NetworkBlockedError("api.service.nhs.uk", 443)
    message = str(error)
    assert "api.service.nhs.uk:443" in message
    assert "127.0.0.1" in message
    assert "allow_hosts" in message


def test_spec_error_names_pointer() -> None:
    error = SpecError(
        "spec.yaml", "/paths/~1Patient/get", "'responses' is a required property"
    )
    assert "spec.yaml is invalid at /paths/~1Patient/get" in str(error)


def _failure() -> ConformanceFailure:
    return ConformanceFailure(
        cassette="cassettes/nhs/get_patient.json",
        exchange_index=3,
        method="get",
        url="https://api.service.nhs.uk/Patient/9000000009",
        part="response",
        location="$.identifier[0].value",
        expected="type: 'string'",
        received=9000000009,
        message="Response does not conform to pds.yaml: "
        "9000000009 is not of type 'string'.",
    )


def test_conformance_failure_renders_labelled_lines() -> None:
    assert str(_failure()).splitlines() == [
        "Response does not conform to pds.yaml: 9000000009 is not of type 'string'.",
        "Cassette: cassettes/nhs/get_patient.json (exchange 3)",
        "Request: GET https://api.service.nhs.uk/Patient/9000000009",
        "Part: response",
        "Location: $.identifier[0].value",
        "Expected: type: 'string'",
        "Received: 9000000009",
    ]


def test_conformance_failure_shortens_long_values() -> None:
    failure = ConformanceFailure(
        cassette=None,
        exchange_index=None,
        method="GET",
        url="https://h/p",
        part="response",
        location="body",
        expected="JSON",
        received="x" * 1000,
        message="Bad body.",
    )
    received_line = str(failure).splitlines()[-1]
    assert received_line.endswith("(1000 characters)")
    assert len(received_line) < 260
    assert "Cassette:" not in str(failure)


def test_conformance_failure_pickles() -> None:
    copy = pickle.loads(pickle.dumps(_failure()))
    assert str(copy) == str(_failure())
    assert copy.received == 9000000009
