"""The control suites record, for every result, what was found and what was required.

Each test runs the repository's suites in a child pytest process, as an
auditor's run would, and reads the evidence.json it writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

SUBPROCESS_TIMEOUT_S = 120
"""Seconds a child pytest run may take before it is stopped."""


def _run_suites(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    evidence_dir = tmp_path / "evidence"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--evidence-dir={evidence_dir}",
            *args,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    document = json.loads((evidence_dir / "evidence.json").read_text("utf-8"))
    return document["controls"]


def _notes(result: dict[str, Any]) -> list[str]:
    return [item["description"] for item in result["evidence"]]


def _results(controls: list[dict[str, Any]], test_name: str) -> list[dict[str, Any]]:
    return [c for c in controls if c["nodeid"].split("::")[-1].startswith(test_name)]


def test_uk_results_name_found_and_required(tmp_path: Path) -> None:
    controls = _run_suites(tmp_path, "suites", "--region=UK")

    passed = [c for c in controls if c["outcome"] == "passed"]
    assert passed
    for result in passed:
        assert result["evidence"], f"{result['nodeid']} passed with no evidence"

    (rejected,) = _results(controls, "test_refused_access_is_audited")
    rejected_notes = " ".join(_notes(rejected))
    assert "found: nhs rejected the access with ConsentRequiredError" in rejected_notes
    assert "0 before and 1 after" in rejected_notes
    assert "outcome 'denied'" in rejected_notes
    assert "reason 'ConsentRequiredError'" in rejected_notes
    assert "Required: one new record" in rejected_notes

    (residency,) = _results(controls, "test_provider_hosts_in_allowed_jurisdictions")
    residency_notes = " ".join(_notes(residency))
    assert "int.api.service.nhs.uk: GB (declared by nhs's ProviderInfo" in (
        residency_notes
    )
    assert "not a measured location" in residency_notes

    (kept,) = _results(controls, "test_audit_records_kept_for_region_period")
    kept_notes = " ".join(_notes(kept))
    assert "found: " in kept_notes
    assert "Required: 7 years (UK 7 years)" in kept_notes


def test_opt_out_not_applicable_reasons_agree(tmp_path: Path) -> None:
    controls = _run_suites(tmp_path, "--region=AU", "suites/test_consent.py")

    skipped = [c for c in controls if c["outcome"] == "not-applicable"]
    assert skipped
    messages = [c["message"] for c in skipped]
    for message in messages:
        assert "does not accept" not in message
    text = " ".join(messages)
    assert "AU opt-out consent presumes consent unless the patient has opted" in text
    assert "so it does not check whether a legal-basis record names" in text
