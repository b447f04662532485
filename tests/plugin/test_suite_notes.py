"""Evidence notes of passed suite results state what was found and what was required."""

from __future__ import annotations

import json

import pytest

# Controls whose passed notes must state both what was found and what was required.
FOUND_AND_REQUIRED_CONTROLS = ("UK-ENC-01", "UK-ENC-02", "UK-MFA-01")

MOCK_API_USAGE = "addressed in this run (in-process simulator, no network connection)"


def _notes(suite_tree, control_id: str) -> dict[str, list[str]]:
    """Return the notes of each result of ``control_id``, keyed by node id."""
    document = json.loads((suite_tree.path / "evidence" / "evidence.json").read_text())
    return {
        control["nodeid"]: [
            item["description"]
            for item in control["evidence"]
            if item["kind"] == "note"
        ]
        for control in document["controls"]
        if control["control_id"] == control_id and control["outcome"] == "passed"
    }


def test_passed_notes_state_found_and_required(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--evidence-dir=evidence")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    for control_id in FOUND_AND_REQUIRED_CONTROLS:
        notes = _notes(suite_tree, control_id)
        assert notes, f"{control_id} has no passed result"
        for nodeid, texts in notes.items():
            assert texts, f"{nodeid} has no note"
            for text in texts:
                assert "found:" in text.lower(), (nodeid, text)
                assert "Required:" in text, (nodeid, text)


def test_replay_residency_notes_name_cassettes(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--control=residency", "--evidence-dir=evidence"
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    [texts] = _notes(suite_tree, "UK-RES-01").values()
    joined = "\n".join(texts)
    assert "contacted" not in joined
    assert "hosts recorded in the cassettes: " in joined
    assert "(declared by nhs's ProviderInfo; recorded in the cassettes)" in joined


def test_mock_api_residency_notes_name_simulator(suite_tree):
    result = suite_tree.run(
        "suites",
        "--region=UK",
        "--control=residency",
        "--mock-api",
        "--evidence-dir=evidence",
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    [texts] = _notes(suite_tree, "UK-RES-01").values()
    joined = "\n".join(texts)
    assert "contacted" not in joined
    assert f"hosts {MOCK_API_USAGE}: " in joined
    assert f"(declared by nhs's ProviderInfo; {MOCK_API_USAGE})" in joined
