"""The terminal summary, --carecert-strict, --collect-only and what evidence records."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.harness.evidence import validate_evidence


def _evidence(suite_tree) -> dict[str, Any]:
    path = suite_tree.path / "evidence" / "evidence.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    validate_evidence(document)
    return document


def test_terminal_shows_incomplete_verdict(suite_tree):
    # FR has no provider, so every FR result is not applicable.
    result = suite_tree.run("suites", "--region=FR", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    verdict = _evidence(suite_tree)["summary"]["verdict_reason"]
    assert f"verdict: INCOMPLETE: {verdict}" in output
    assert "0 passed, 0 failed, 0 in error, 0 skipped, 18 not applicable" in output
    assert "8 of 8 catalogue control(s) ran: 0 passed" in output
    assert "8 not applicable" in output


def test_terminal_shows_pass_verdict(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    assert "verdict: PASS\n" in output
    assert "8 of 8 catalogue control(s) ran: 8 passed" in output


def test_strict_fails_incomplete_run(suite_tree):
    result = suite_tree.run(
        "suites", "--region=FR", "--evidence-dir=evidence", "--carecert-strict"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "--carecert-strict: the verdict is not PASS" in output
    # The report keeps pytest's own status, which the verdict was taken from.
    assert _evidence(suite_tree)["run"]["pytest_exit_status"] == 0


def test_strict_keeps_passing_run(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--carecert-strict")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)


def test_strict_documented_in_help(suite_tree):
    result = suite_tree.run("--help")

    assert "--carecert-strict" in result.stdout.str()


def test_collect_only_writes_no_evidence(suite_tree):
    evidence = suite_tree.path / "evidence"
    evidence.mkdir()
    earlier = evidence / "evidence.json"
    earlier.write_text('{"earlier": true}\n', encoding="utf-8")

    result = suite_tree.run(
        "suites", "--region=UK", "--collect-only", "--evidence-dir=evidence"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    assert earlier.read_text(encoding="utf-8") == '{"earlier": true}\n'
    assert not (evidence / "evidence.html").exists()
    assert "--collect-only: no control ran, so no evidence report was" in output


def test_control_of_unselected_region_rejected(suite_tree):
    result = suite_tree.run("suites", "--region=DE", "--control=uk-res-01")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "control UK-RES-01 belongs to region UK" in output
    assert "(selected: DE)" in output
    assert "Add --region=UK" in output


def test_control_of_member_region_rejected(suite_tree):
    result = suite_tree.run("suites", "--region=EU", "--control=DE-RES-01")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "control DE-RES-01 belongs to region DE" in output
    assert "--region=EU tests the providers of DE against the EU controls" in output


def test_control_family_needs_no_region_match(suite_tree):
    result = suite_tree.run("suites", "--region=DE", "--control=residency")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)


def test_evidence_records_catalogue(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    catalogue = load_catalogue()
    recorded = _evidence(suite_tree)["run"]["catalogue"]
    assert recorded["schema_version"] == catalogue.schema_version
    assert recorded["sha256"] == hashlib.sha256(catalogue.path.read_bytes()).hexdigest()
    assert recorded["path"].endswith("compliance/catalogue.yaml")
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    assert recorded["sha256"] in html


def test_au_consent_summary_and_review(suite_tree):
    result = suite_tree.run("suites", "--region=AU", "--evidence-dir=evidence")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    document = _evidence(suite_tree)
    rows = {row["control_id"]: row for row in document["summary"]["by_control"]}
    consent = [c for c in document["controls"] if c["control_id"] == "AU-CON-01"]
    assert rows["AU-CON-01"]["outcomes"]["passed"] >= 1
    assert rows["AU-CON-01"]["outcome"] == "passed"
    assert all(c["review"] for c in consent)
    assert "region AU parameter consent: Not confirmed." in consent[0]["review"][0]
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    assert "needs review by a compliance officer: region AU parameter consent" in html


def test_review_of_deciding_region_on_result(suite_tree):
    # gkv is a DE provider: DE written consent, marked for review, decides the
    # EU consent and refused-access results although EU's own consent is not.
    result = suite_tree.run("suites", "--region=EU", "--evidence-dir=evidence")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    document = _evidence(suite_tree)
    de_consent = "region DE parameter consent: Not confirmed."
    gkv = [
        c
        for c in document["controls"]
        if c["provider"] == "gkv"
        and c["decided_by"]
        and c["decided_by"].startswith("DE written consent")
    ]
    decided = {c["control_id"] for c in gkv}
    rows = {row["control_id"]: row for row in document["summary"]["by_control"]}
    assert decided >= {"EU-CON-01", "EU-RET-01"}
    for control in gkv:
        assert any(note.startswith(de_consent) for note in control["review"]), control
    assert any(note.startswith(de_consent) for note in rows["EU-CON-01"]["review"])


def test_terminal_counts_review(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    review = _evidence(suite_tree)["summary"]["review"]
    assert review["results"] > 0
    assert (
        f"{review['results']} result(s) of {review['controls']} control(s) rest on "
        "parameters marked for review by a compliance officer"
    ) in output
    html = (suite_tree.path / "evidence" / "evidence.html").read_text()
    header = html.split("<header>")[1].split("</header>")[0]
    assert "marked for review by a compliance officer" in header


def test_terminal_without_review(suite_tree):
    # The UK encryption controls list no parameter marked for review.
    result = suite_tree.run(
        "suites", "--region=UK", "--control=encryption", "--evidence-dir=evidence"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    assert _evidence(suite_tree)["summary"]["review"]["results"] == 0
    assert "marked for review" not in output
