"""Every catalogue region runs its controls, and a provider in two regions
meets the stricter parameters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carecert.adapters.builtin import default_registry
from carecert.adapters.compliance import load_catalogue
from carecert.harness.providers import harness_for

CATALOGUE = load_catalogue()

# Built-in providers without a carecert_harness(): their results must be
# "not-applicable", never "passed".
NO_HARNESS_PROVIDERS = {
    registration.provider_id
    for registration in default_registry().registrations()
    if harness_for(registration.provider_class) is None
}

# An NHS adapter that also declares Germany, reusing the NHS harness and
# cassettes, so that the UK controls must apply the stricter German rules.
TWO_REGION_CONFTEST = """
from dataclasses import replace

from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.testing import NHSHarness


class NHSInGermany(NHSInterface):
    info = replace(NHSInterface.info, id="nhs-de", regions=("UK", "DE"))

    @classmethod
    def carecert_harness(cls):
        harness = NHSHarness()
        harness.info = cls.info
        return harness


def pytest_carecert_register_providers(registry):
    registry.register_provider("nhs-de", NHSInGermany, {})
"""


def _evidence(suite_tree) -> dict[str, Any]:
    path = suite_tree.path / "evidence" / "evidence.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("region", sorted(CATALOGUE.regions))
def test_region_runs_every_control(suite_tree, region):
    result = suite_tree.run("suites", f"--region={region}", "--evidence-dir=evidence")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    controls = _evidence(suite_tree)["controls"]
    expected = {control.id for control in CATALOGUE.controls_for(region)}
    assert len(expected) == 8
    assert {c["control_id"] for c in controls} == expected
    for control in controls:
        assert control["outcome"] != "not-run", control
        if control["provider"] in NO_HARNESS_PROVIDERS | {"-"}:
            assert control["outcome"] == "not-applicable", control
            assert "not applicable: " in control["message"], control


def test_parent_region_runs_member_providers(suite_tree):
    result = suite_tree.run("suites", "--region=EU", "--evidence-dir=evidence")

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    controls = _evidence(suite_tree)["controls"]
    assert {c["region"] for c in controls} == {"EU"}
    providers = {c["provider"] for c in controls}
    assert {"ameli", "ssn"} <= providers
    ameli = [c for c in controls if c["provider"] == "ameli"]
    assert {c["outcome"] for c in ameli} == {"not-applicable"}
    assert "ameli (AmeliTemplate) defines no carecert_harness()" in ameli[0]["message"]


WITHOUT_AU_PROVIDER_CONFTEST = """
def pytest_carecert_register_providers(registry):
    registry.unregister("medicare-au")
"""


def test_region_without_provider_not_applicable(suite_tree):
    # Every shipped region has a provider, so the AU one is removed here.
    suite_tree.pytester.makeconftest(WITHOUT_AU_PROVIDER_CONFTEST)

    result = suite_tree.run("suites", "--region=AU", "--evidence-dir=evidence", "-rs")
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    assert "not applicable: no provider registered for region AU" in output
    document = _evidence(suite_tree)
    assert {c["outcome"] for c in document["controls"]} == {"not-applicable"}
    assert {c["provider"] for c in document["controls"]} == {"-"}
    assert document["summary"]["verdict"] != "pass"


def test_two_region_provider_gets_stricter_retention(suite_tree):
    suite_tree.pytester.makeconftest(TWO_REGION_CONFTEST)

    result = suite_tree.run(
        "suites",
        "--region=UK",
        "--provider=nhs-de",
        "--control=UK-RET-02",
        "--evidence-dir=evidence",
    )

    assert result.ret == pytest.ExitCode.OK, suite_tree.output(result)
    result.assert_outcomes(passed=1, deselected=17)
    ran = [c for c in _evidence(suite_tree)["controls"] if c["outcome"] != "not-run"]
    assert [c["control_id"] for c in ran] == ["UK-RET-02"]
    assert ran[0]["provider"] == "nhs-de"
    # DE's parent EU applies too, so its 6 years is listed among the weaker rules.
    assert ran[0]["decided_by"] == "DE 10 years (stricter than UK 7 years, EU 6 years)"


def test_two_region_provider_gets_narrower_residency(suite_tree):
    suite_tree.pytester.makeconftest(TWO_REGION_CONFTEST)
    nhs_cassettes = suite_tree.path / "cassettes" / "nhs"
    nhs_cassettes.rename(suite_tree.path / "cassettes" / "nhs-de")

    result = suite_tree.run(
        "suites",
        "--region=UK",
        "--provider=nhs-de",
        "--control=residency",
        "--evidence-dir=evidence",
    )
    output = suite_tree.output(result)

    # The NHS hosts are in GB, which the UK allows and Germany does not.
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    result.assert_outcomes(failed=1, deselected=17)
    assert "UK-RES-01 (UK GDPR Art. 44) failed" in output
    assert "jurisdiction GB" in output
    ran = [c for c in _evidence(suite_tree)["controls"] if c["outcome"] != "not-run"]
    assert ran[0]["decided_by"].startswith(
        "intersection of the UK and DE and EU residency lists (the narrower "
        "applies): DE;"
    )
