"""Providers that a project registers through the carecert hook."""

from __future__ import annotations

import json

import pytest

from carecert.adapters.compliance import load_catalogue

UK_SUITE_TESTS = 18
"""Tests the UK suite collects for each UK provider."""

PROVIDER_ID = "acme-clinic"

# A provider with metadata in its config and no carecert_harness(), so the
# suites have no cassettes or simulator to test it with.
USER_PROVIDER_CONFTEST = f"""
from carecert.adapters.provider import HealthcareProvider


class AcmeClinic(HealthcareProvider):
    pass


def pytest_carecert_register_providers(registry):
    registry.register_provider(
        "{PROVIDER_ID}",
        AcmeClinic,
        {{
            "name": "Acme Private Clinic",
            "type": "PRIVATE_PROVIDER",
            "country": "GB",
            "compliance": ["UK GDPR", "DPA 2018"],
            "auth_method": "API_KEY",
        }},
    )
"""


def test_user_provider_reported_not_applicable(suite_tree):
    suite_tree.pytester.makeconftest(USER_PROVIDER_CONFTEST)

    result = suite_tree.run(
        "suites", "--region=UK", "--evidence-dir=evidence", "-rs", "-v"
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=UK_SUITE_TESTS, skipped=UK_SUITE_TESTS)
    assert (
        "test_provider_hosts_in_allowed_jurisdictions"
        f"[UK-RES-01-{PROVIDER_ID}] SKIPPED" in output
    )
    reason = f"not applicable: {PROVIDER_ID} (AcmeClinic) defines no carecert_harness()"
    assert reason in output

    document = json.loads((suite_tree.path / "evidence" / "evidence.json").read_text())
    assert PROVIDER_ID in document["run"]["providers"]
    user_results = [c for c in document["controls"] if c["provider"] == PROVIDER_ID]
    assert len(user_results) == UK_SUITE_TESTS
    assert {c["outcome"] for c in user_results} == {"not-applicable"}
    for control in user_results:
        assert reason in control["message"], control["nodeid"]
    uk_control_ids = {c.id for c in load_catalogue().controls_for("UK")}
    assert {c["control_id"] for c in user_results} == uk_control_ids
    counts = document["summary"]["by_provider"][PROVIDER_ID]["outcomes"]
    assert counts["not-applicable"] == UK_SUITE_TESTS
    assert counts["passed"] == 0
    assert counts["failed"] == 0
    nhs_results = [c for c in document["controls"] if c["provider"] == "nhs"]
    assert {c["outcome"] for c in nhs_results} == {"passed"}
