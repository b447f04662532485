"""Selecting regions, providers and controls from the command line."""

from __future__ import annotations

import json
import re

import pytest

import carecert
from carecert.adapters.builtin import default_registry
from carecert.adapters.compliance import load_catalogue

UK_SUITE_TESTS = 18
"""Tests the UK suite collects for nhs, the one built-in UK provider."""

# A control test's id starts with the control id and the provider id, as in
# "UK-CON-01-nhs-withdrawn".
_NODE_ID = re.compile(
    r"^suites/test_\w+\.py::test_\w+"
    r"\[(?P<control>[A-Z]{2}-[A-Z]{3}-\d{2})-(?P<provider>[a-z]+)(-[^\]]+)?\]$"
)


def _collected_ids(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if "::" in line]


def test_unknown_region_is_usage_error(suite_tree):
    result = suite_tree.run("suites", "--region=XX")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "--region: unknown region XX" in output
    valid = ", ".join(sorted(load_catalogue().regions))
    assert f"Valid regions: {valid}" in output


@pytest.mark.parametrize("region", ["uk", "UK,UK", "UK,uk"])
def test_region_spellings_select_uk_suite(suite_tree, region):
    result = suite_tree.run("suites", f"--region={region}", "--collect-only")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    # The header shows the parsed selection: upper case, without repeats.
    assert f"carecert {carecert.__version__}: regions=UK record-mode=none" in output
    assert f"collected {UK_SUITE_TESTS} items" in output


def test_repeated_region_runs_once(suite_tree):
    result = suite_tree.run("suites", "--region=uk", "--region=UK,UK")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=UK_SUITE_TESTS)


def test_unknown_provider_is_usage_error(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--provider=nhs,acme")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "--provider: unknown provider acme." in output
    registered = sorted(r.provider_id for r in default_registry().registrations())
    assert f"Registered: {', '.join(registered)}." in output


def test_control_id_selects_one_control(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--control=UK-RES-01", "--evidence-dir=evidence"
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=1, deselected=UK_SUITE_TESTS - 1)
    result.stdout.fnmatch_lines(["suites/test_residency.py .*"])
    document = json.loads((suite_tree.path / "evidence" / "evidence.json").read_text())
    ran = [c for c in document["controls"] if c["outcome"] != "not-run"]
    assert [c["control_id"] for c in ran] == ["UK-RES-01"]


@pytest.mark.parametrize("value", ["residncy", "UK-RES-99"])
def test_unknown_control_is_usage_error(suite_tree, value):
    result = suite_tree.run("suites", "--region=UK", f"--control={value}")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert f"--control: unknown control id or family {value}." in output
    catalogue = load_catalogue()
    assert f"Valid control ids: {', '.join(sorted(catalogue.controls))}." in output
    families = sorted({c.family for c in catalogue.controls.values()})
    assert f"Valid families: {', '.join(families)}" in output


@pytest.mark.parametrize("value", ["uk-res-01", "Residency"])
def test_control_matches_any_case(suite_tree, value):
    result = suite_tree.run("suites", "--region=UK", f"--control={value}")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=1, deselected=UK_SUITE_TESTS - 1)


def test_provider_matches_any_case(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--provider=NHS")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=UK_SUITE_TESTS)


@pytest.mark.parametrize("option", ["--region", "--provider", "--control"])
def test_empty_selection_is_usage_error(suite_tree, option):
    result = suite_tree.run("suites", f"{option}=")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert f"{option}: empty value ''." in output


def test_empty_item_between_commas_is_usage_error(suite_tree):
    result = suite_tree.run("suites", "--region=uk,,es")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "--region: 'uk,,es' has an empty item between commas." in output


def test_evidence_dir_file_is_usage_error(suite_tree):
    existing = suite_tree.path / "report.txt"
    existing.write_text("not a directory\n")

    result = suite_tree.run("suites", "--region=UK", f"--evidence-dir={existing}")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert f"--evidence-dir: {existing} exists and is not a directory." in output
    assert "Traceback" not in output


def test_evidence_dir_under_file_is_usage_error(suite_tree):
    existing = suite_tree.path / "report.txt"
    existing.write_text("not a directory\n")

    result = suite_tree.run("suites", f"--evidence-dir={existing / 'evidence'}")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert f"because {existing} is not a directory" in output


def test_control_family_selects_consent(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--control=consent", "-v")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    # UK-CON-01 runs once per consent case that must be refused.
    result.assert_outcomes(passed=5, deselected=UK_SUITE_TESTS - 5)
    ran = [line for line in result.stdout.lines if " PASSED" in line]
    assert len(ran) == 5
    assert all(line.startswith("suites/test_consent.py::") for line in ran), ran


def test_family_marker_selects_residency(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "-m", "residency", "-v")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=1, deselected=UK_SUITE_TESTS - 1)
    result.stdout.fnmatch_lines(
        [
            "suites/test_residency.py::test_provider_hosts_in_allowed_jurisdictions"
            "[[]UK-RES-01-nhs[]] PASSED*"
        ]
    )


def test_collect_only_shows_provider_parameter(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--collect-only", "-q")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    node_ids = _collected_ids(result)
    assert len(node_ids) == UK_SUITE_TESTS
    for node_id in node_ids:
        match = _NODE_ID.match(node_id)
        assert match is not None, node_id
        assert match["control"].startswith("UK-"), node_id
        assert match["provider"] == "nhs", node_id
    assert (
        "suites/test_residency.py::test_provider_hosts_in_allowed_jurisdictions"
        "[UK-RES-01-nhs]" in node_ids
    )


def test_provider_outside_region_is_usage_error(suite_tree):
    result = suite_tree.run("suites", "--region=EU", "--provider=NHS")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "--provider: provider nhs serves region(s) UK" in output
    assert "(selected: EU)" in output
    assert "Add --region=UK" in output


def test_provider_of_member_region_selected_by_parent(suite_tree):
    # Spanish providers are tested against the EU controls under --region=EU.
    registry = default_registry()
    spanish = [
        r.provider_id for r in registry.registrations() if "ES" in r.info.regions
    ]
    assert spanish, "the built-in registry must have a provider in ES"

    result = suite_tree.run(
        "suites", "--region=EU", f"--provider={spanish[0]}", "--collect-only"
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)


def test_missing_cassette_dir_is_usage_error(suite_tree):
    result = suite_tree.run("suites", "--region=UK", "--cassette-dir=no-such-dir")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "--cassette-dir: cassette folder no-such-dir not found" in output


def test_missing_cassette_dir_allowed_with_mock_api(suite_tree):
    result = suite_tree.run(
        "suites", "--region=UK", "--cassette-dir=no-such-dir", "--mock-api"
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
