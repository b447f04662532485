"""The evidence verdict against the catalogue, pytest's exit status and xdist."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.harness.evidence import validate_evidence

UK_SUITE_TESTS = 18
"""Tests the UK suite collects for nhs, the one built-in UK provider."""

UK_CONTROL_IDS = sorted(c.id for c in load_catalogue().controls_for("UK"))

# Control tests outside the suites, each with one way to end: a pass with a
# teardown error, and failures by harness errors and by assertions.
OUTCOME_TESTS = """
import pytest

from carecert.adapters.errors import ConfigurationError
from carecert.harness.errors import (
    CassetteFormatError,
    ConformanceFailure,
    NetworkBlockedError,
    SpecError,
    UnrecordedRequestError,
)


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("audit store could not be closed")


@pytest.mark.control("UK-RES-01", provider="nhs")
def test_teardown_fails(broken_teardown):
    pass


@pytest.mark.control("UK-ENC-01", provider="nhs")
def test_spec_error():
    raise SpecError("openapi.yaml", "/paths", "not a mapping")


@pytest.mark.control("UK-ENC-02", provider="nhs")
def test_unrecorded_request_wrapped():
    try:
        raise UnrecordedRequestError("a.json", "GET", "https://h/p", reason="no_match")
    except UnrecordedRequestError as exc:
        raise RuntimeError("transport failed") from exc


@pytest.mark.control("UK-CON-01", provider="nhs")
def test_network_blocked_in_group():
    raise ExceptionGroup("task group", [NetworkBlockedError("192.0.2.1", 443)])


@pytest.mark.control("UK-RET-01", provider="nhs")
def test_configuration_error():
    raise ConfigurationError("NHSInterface: missing config key 'api_key'")


@pytest.mark.control("UK-RET-02", provider="nhs")
def test_assertion_fails():
    assert 1 == 2, "records kept 6 years; required 7"


@pytest.mark.control("UK-CNF-01", provider="nhs")
def test_conformance_failure():
    raise ConformanceFailure(
        cassette="a.json",
        exchange_index=0,
        method="GET",
        url="https://h/p",
        part="response",
        location="$",
        expected="required: ['id']",
        received="object without ['id']",
        message="response body does not match",
    )


@pytest.mark.control("UK-MFA-01", provider="nhs")
def test_cassette_error_while_asserting():
    try:
        raise CassetteFormatError("a.json", "invalid JSON", line=1, column=2)
    except CassetteFormatError:
        assert False, "second factor not checked"
"""


def _evidence(suite_tree) -> dict[str, Any]:
    path = suite_tree.path / "evidence" / "evidence.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    validate_evidence(document)
    return document


def _by_id(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for control in document["controls"]:
        grouped.setdefault(control["control_id"], []).append(control)
    return grouped


def test_keyword_deselection_lists_control_not_run(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "-k", "not consent"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=UK_SUITE_TESTS - 5, deselected=5)
    document = _evidence(suite_tree)
    consent = _by_id(document)["UK-CON-01"]
    assert len(consent) == 1
    assert consent[0]["outcome"] == "not-run"
    assert "deselected" in consent[0]["message"]
    assert sorted(_by_id(document)) == UK_CONTROL_IDS
    summary = document["summary"]
    assert summary["verdict"] == "incomplete"
    assert summary["outcomes"]["not-run"] == 1
    assert "did not run" in summary["verdict_reason"]
    assert "not run: UK-CON-01" in output
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    assert "Overall verdict: <strong>INCOMPLETE</strong>" in html
    assert '<span class="badge outcome-not-run">NOT RUN</span>' in html


def test_control_option_lists_all_controls(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "--control=residency"
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    document = _evidence(suite_tree)
    by_id = _by_id(document)
    assert sorted(by_id) == UK_CONTROL_IDS
    assert [c["outcome"] for c in by_id["UK-RES-01"]] == ["passed"]
    not_run = [c for c in document["controls"] if c["outcome"] == "not-run"]
    assert len(not_run) == len(UK_CONTROL_IDS) - 1
    assert document["summary"]["verdict"] == "incomplete"
    rows = {row["control_id"]: row for row in document["summary"]["by_control"]}
    assert sorted(rows) == UK_CONTROL_IDS
    assert rows["UK-RES-01"]["outcome"] == "passed"
    assert rows["UK-CON-01"]["outcome"] == "not-run"


def test_collection_error_fails_verdict(suite_tree):
    (suite_tree.path / "suites" / "test_broken.py").write_text("def test_broken(:\n")

    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.INTERRUPTED, output
    document = _evidence(suite_tree)
    assert document["run"]["pytest_exit_status"] == int(pytest.ExitCode.INTERRUPTED)
    summary = document["summary"]
    assert summary["verdict"] == "fail"
    assert "pytest exited with status 2" in summary["verdict_reason"]
    assert sorted(_by_id(document)) == UK_CONTROL_IDS
    assert {c["outcome"] for c in document["controls"]} == {"not-run"}
    assert "collected but not run" in document["controls"][0]["message"]
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    assert "Overall verdict: <strong>FAIL</strong>" in html
    assert "pytest exited with status 2" in html


def test_outcomes_of_errors_and_teardown(suite_tree):
    suite_tree.pytester.makepyfile(test_outcomes=OUTCOME_TESTS)

    result = suite_tree.run("test_outcomes.py", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    result.assert_outcomes(passed=1, failed=7, errors=1)
    outcomes = {
        c["nodeid"].split("::")[-1]: c for c in _evidence(suite_tree)["controls"]
    }
    teardown = outcomes["test_teardown_fails"]
    assert teardown["outcome"] == "error"
    assert "error in teardown" in teardown["message"]
    assert "audit store could not be closed" in teardown["message"]
    for name in (
        "test_spec_error",
        "test_unrecorded_request_wrapped",
        "test_network_blocked_in_group",
        "test_configuration_error",
    ):
        assert outcomes[name]["outcome"] == "error", name
    for name in (
        "test_assertion_fails",
        "test_conformance_failure",
        "test_cassette_error_while_asserting",
    ):
        assert outcomes[name]["outcome"] == "failed", name


def test_xdist_run_collects_evidence(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "-p", "xdist", "-n", "2"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=UK_SUITE_TESTS)
    document = _evidence(suite_tree)
    controls = document["controls"]
    assert len(controls) == UK_SUITE_TESTS
    assert {c["outcome"] for c in controls} == {"passed"}
    assert sorted(_by_id(document)) == UK_CONTROL_IDS
    assert document["summary"]["verdict"] == "pass"
    cassette_items = [
        item for c in controls for item in c["evidence"] if item["kind"] == "cassette"
    ]
    assert cassette_items, "worker evidence items must reach the report"
