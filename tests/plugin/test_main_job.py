"""The main job, ``pytest suites --region=UK --evidence-dir=DIR``, end to end."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree

import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.harness.evidence import validate_evidence

UK_SUITE_TESTS = 18
"""Tests the UK suite collects for nhs, the one built-in UK provider."""


def test_main_job_passes_with_evidence(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "--junitxml=report.xml"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=UK_SUITE_TESTS)
    json_path = suite_tree.path / "evidence" / "evidence.json"
    html_path = suite_tree.path / "evidence" / "evidence.html"
    assert json_path.is_file()
    assert html_path.is_file()
    assert f"evidence.json: {json_path.resolve()}" in output
    assert f"evidence.html: {html_path.resolve()}" in output
    assert "verdict: PASS\n" in output
    assert (
        f"{UK_SUITE_TESTS} control result(s): {UK_SUITE_TESTS} passed, 0 failed, "
        "0 in error" in output
    )

    # evidence.json: valid, one passed result per test, every UK control covered.
    document = json.loads(json_path.read_text(encoding="utf-8"))
    validate_evidence(document)
    uk_control_ids = {c.id for c in load_catalogue().controls_for("UK")}
    controls = document["controls"]
    assert len(controls) == UK_SUITE_TESTS
    assert {c["control_id"] for c in controls} == uk_control_ids
    assert {c["outcome"] for c in controls} == {"passed"}
    assert {c["provider"] for c in controls} == {"nhs"}
    assert document["summary"]["verdict"] == "pass"
    assert "verdict_reason" not in document["summary"]
    assert document["run"]["regions"] == ["UK"]
    assert document["run"]["record_mode"] == "none"
    assert document["run"]["traffic_source"] == "cassettes"
    assert document["run"]["pytest_exit_status"] == 0
    # pytester's directory is not a git work tree.
    assert document["run"]["git_dirty"] is None
    by_control = document["summary"]["by_control"]
    assert [row["control_id"] for row in by_control] == sorted(uk_control_ids)
    assert {row["outcome"] for row in by_control} == {"passed"}
    assert f"{len(uk_control_ids)} of {len(uk_control_ids)} catalogue" in output

    # Every cassette is cited, by its path relative to the rootdir, with the
    # SHA-256 of the file the run replayed.
    cassette_items = [
        item
        for control in controls
        for item in control["evidence"]
        if item["kind"] == "cassette"
    ]
    cassette_files = sorted((suite_tree.path / "cassettes" / "nhs").glob("*.json"))
    expected_paths = {p.relative_to(suite_tree.path).as_posix() for p in cassette_files}
    assert {item["path"] for item in cassette_items} == expected_paths
    for item in cassette_items:
        content = (suite_tree.path / item["path"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(content).hexdigest(), item["path"]
    by_control = {c["control_id"]: c for c in controls}
    spec_kinds = {item["kind"] for item in by_control["UK-CNF-01"]["evidence"]}
    assert "spec" in spec_kinds

    # Evidence files are the cassettes and specs, never temporary files such
    # as the audit database of a test.
    kinds = {item["kind"] for c in controls for item in c["evidence"]}
    assert kinds == {"cassette", "spec", "note"}
    basetemp = str(suite_tree.pytester.path.parent)
    for control in controls:
        for item in control["evidence"]:
            assert basetemp not in (item["path"] or ""), item
            assert basetemp not in item["description"], item
    retention_notes = [
        item["description"]
        for c in controls
        if c["control_id"] == "UK-RET-01"
        for item in c["evidence"]
    ]
    assert any("get_patient_record success x1" in note for note in retention_notes), (
        retention_notes
    )
    encryption_notes = [
        item["description"]
        for c in controls
        if c["family"] == "encryption"
        for item in c["evidence"]
    ]
    assert encryption_notes
    for note in encryption_notes:
        assert "carecert's local test TLS server on 127.0.0.1" in note, note
        assert "(not the provider)" in note, note
    mfa_notes = [
        item["description"]
        for c in controls
        if c["control_id"] == "UK-MFA-01"
        for item in c["evidence"]
        if item["kind"] == "note"
    ]
    assert len(mfa_notes) == 2
    for note in mfa_notes:
        assert "carecert's compliance guard" in note
        assert "before any request" in note
    assert any("application-restricted token" in note for note in mfa_notes)
    assert any("NHS CIS2 user token exchange" in note for note in mfa_notes)
    assert any("replayed from cassette user_restricted_read" in n for n in mfa_notes)

    html = html_path.read_text(encoding="utf-8")
    for control_id in sorted(uk_control_ids):
        assert control_id in html
    assert '<section id="by-control">' in html
    assert "recorded cassettes, replayed with the network blocked" in html

    junit = ElementTree.parse(suite_tree.path / "report.xml").getroot()
    testsuite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert testsuite is not None
    assert int(testsuite.get("tests")) == UK_SUITE_TESTS
    assert int(testsuite.get("failures")) == 0
    assert int(testsuite.get("errors")) == 0


def test_mock_api_passes_against_simulators(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--mock-api", "--evidence-dir=evidence"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=UK_SUITE_TESTS)
    assert "traffic=simulators" in output
    document = json.loads((suite_tree.path / "evidence" / "evidence.json").read_text())
    assert {c["outcome"] for c in document["controls"]} == {"passed"}
    assert document["run"]["traffic_source"] == "simulators"
    notes = [
        item["description"]
        for c in document["controls"]
        for item in c["evidence"]
        if item["kind"] == "note"
    ]
    mfa_notes = [n for n in notes if "second factor" in n]
    assert mfa_notes
    for note in notes:
        assert "replay" not in note, note
    assert any("in-process simulator served the request" in n for n in mfa_notes)
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    assert "carecert's in-process provider simulators" in html
