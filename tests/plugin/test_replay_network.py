"""Replay mode keeps provider traffic off the network."""

from __future__ import annotations

import pytest

# 9000000017 passes the NHS number check digit but is not in any cassette.
UNRECORDED_NUMBER = "9000000017"

# The .invalid top-level domain never resolves (RFC 6761).
BLOCKED_HOST = "nhs-provider.invalid"

NETWORK_TESTS = f"""
import socket

import pytest

from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import Identifier
from carecert.harness.errors import NetworkBlockedError
from carecert.harness.network import is_allowed_host

pytestmark = pytest.mark.asyncio


async def test_unrecorded_request_in_cassette(
    provider_factory, provider_harness, provider_cassette
):
    harness = provider_harness("nhs")
    patient = Identifier(system=NHS_NUMBER_SYSTEM, value="{UNRECORDED_NUMBER}")
    provider = provider_factory(
        "nhs", consent_registry=ConsentRegistry([harness.consent_for(patient)])
    )
    with provider_cassette("nhs", "audited_access"):
        await harness.read_patient(provider, patient)


async def test_request_outside_cassette(provider_factory, provider_harness):
    # Check that the guard is on before making the request: resolving an
    # address literal sends nothing even when it is off.
    assert not is_allowed_host("{BLOCKED_HOST}")
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("192.0.2.1", 443)
    harness = provider_harness("nhs")
    patient = harness.sample_patient
    provider = provider_factory(
        "nhs",
        **harness.point_at("https://{BLOCKED_HOST}"),
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )

    with pytest.raises(NetworkBlockedError) as blocked:
        await harness.read_patient(provider, patient)

    print("BLOCKED:", blocked.value)
"""


@pytest.fixture
def network_tree(suite_tree):
    """The suite tree plus a test module whose requests replay must stop."""
    suite_tree.pytester.makepyfile(test_network=NETWORK_TESTS)
    return suite_tree


def test_unrecorded_request_names_record_mode(network_tree):
    result = network_tree.run("test_network.py::test_unrecorded_request_in_cassette")
    output = network_tree.output(result)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    result.assert_outcomes(failed=1)
    cassette = network_tree.cassette_path("audited_access")
    assert "UnrecordedRequestError" in output
    assert (
        "No recorded response for GET https://int.api.service.nhs.uk/"
        f"personal-demographics/FHIR/R4/Patient/{UNRECORDED_NUMBER} "
        f"in cassette {cassette}"
    ) in output
    assert "no recorded request matches it. Record mode 'none' only replays." in output
    # Mode 'once' never records into an existing cassette.
    assert "--record-mode=once" not in output
    assert "run with --record-mode=new_episodes (adds the missing exchanges)" in output
    assert "--record-mode=all (records the whole cassette again)" in output


def test_request_outside_cassette_blocked(network_tree):
    result = network_tree.run("test_network.py::test_request_outside_cassette", "-rP")
    output = network_tree.output(result)

    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=1)
    assert f"BLOCKED: Network access blocked: resolve to {BLOCKED_HOST}:443" in output
    assert "only loopback hosts (127.0.0.0/8, ::1, localhost)" in output
    assert "run with --record-mode=once (new cassettes) or new_episodes" in output
    assert "block_network(allow_hosts=...)" in output
