"""Suites test the adapter registered under the provider id, not the built-in one."""

from __future__ import annotations

import json

import pytest

PROVIDER_ID = "my-nhs"

# A subclass of the NHS adapter registered under its own id, as the README
# describes. Its patient reads and bookings return None and send no request,
# so the encryption controls and the --mock-api residency control must fail
# for it. The subclass inherits the NHS
# harness, whose info.id is still "nhs": a suite that builds the adapter from
# harness.info.id tests NHSInterface instead and passes.
BROKEN_SUBCLASS_CONFTEST = f"""
import dataclasses

from carecert.adapters.nhs.interface import NHSInterface


class BrokenNHS(NHSInterface):
    info = dataclasses.replace(NHSInterface.info, id="{PROVIDER_ID}")

    async def get_patient_record(self, *args, **kwargs):
        return None

    async def get_patient(self, *args, **kwargs):
        return None

    async def book_gp_appointment(self, *args, **kwargs):
        return None


def pytest_carecert_register_providers(registry):
    registry.register_provider("{PROVIDER_ID}", BrokenNHS)
"""


def test_broken_subclass_fails_encryption(suite_tree):
    suite_tree.pytester.makeconftest(BROKEN_SUBCLASS_CONFTEST)

    result = suite_tree.run(
        "suites/test_encryption.py",
        "--region=UK",
        f"--provider={PROVIDER_ID}",
        "--evidence-dir=evidence",
        "-v",
    )
    output = suite_tree.output(result)

    assert result.ret != pytest.ExitCode.OK, output
    document = json.loads((suite_tree.path / "evidence" / "evidence.json").read_text())
    results = [c for c in document["controls"] if c["provider"] == PROVIDER_ID]
    by_control: dict[str, set[str]] = {}
    for control in results:
        by_control.setdefault(control["control_id"], set()).add(control["outcome"])
    assert set(by_control) >= {"UK-ENC-01", "UK-ENC-02"}, output
    for control_id in ("UK-ENC-01", "UK-ENC-02"):
        assert "passed" not in by_control[control_id], (control_id, output)
    for control in results:
        if control["control_id"] in ("UK-ENC-01", "UK-ENC-02"):
            assert control["outcome"] != "passed", control["nodeid"]


def test_broken_subclass_fails_mock_residency(suite_tree):
    suite_tree.pytester.makeconftest(BROKEN_SUBCLASS_CONFTEST)

    result = suite_tree.run(
        "suites/test_residency.py",
        "--region=UK",
        f"--provider={PROVIDER_ID}",
        "--mock-api",
        "--evidence-dir=evidence",
    )
    output = suite_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    result.assert_outcomes(failed=1)
    assert f"{PROVIDER_ID} sent no request to its simulator" in output


# A provider registered with metadata in its config, as the README's own
# provider example does, declares no info of its own.
METADATA_PROVIDER_CONFTEST = """
from carecert.adapters.nhs.testing import NHSHarness
from carecert.adapters.provider import HealthcareProvider


class AcmeClinic(HealthcareProvider):
    @classmethod
    def carecert_harness(cls):
        return NHSHarness()


def pytest_carecert_register_providers(registry):
    registry.register_provider(
        "acme-clinic",
        AcmeClinic,
        {
            "name": "Acme Private Clinic",
            "type": "PRIVATE_PROVIDER",
            "country": "GB",
            "compliance": ["UK GDPR"],
            "auth_method": "API_KEY",
            "regions": ["UK"],
        },
    )
"""

USES_FACTORY = """
def test_factory_gives_registered_info(provider_factory):
    provider = provider_factory("acme-clinic")

    assert provider.info.id == "acme-clinic"
    assert provider.info.name == "Acme Private Clinic"
"""


def test_metadata_provider_gets_registered_info(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(METADATA_PROVIDER_CONFTEST)
    pytester.makepyfile(test_factory=USES_FACTORY)

    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function"
    )

    result.assert_outcomes(passed=1)
