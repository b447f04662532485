"""Encryption-in-transit controls, proved against real TLS servers on 127.0.0.1.

Each refusal is paired with a positive control: a permissive probe (for the
protocol floor) or a trusted server (for certificates) shows the server works,
so the adapter's refusal comes from its own TLS policy.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import pytest

from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.errors import ProviderError
from carecert.harness.tls_servers import (
    MISMATCHED_HOSTNAME,
    LegacyTLSUnavailable,
    describe_tls_failure,
    probe_tls_version,
    serve_legacy_tls,
    serve_tls,
    tls_authority,
)

pytestmark = pytest.mark.asyncio

LEGACY_VERSIONS = {"TLS 1.1": ssl.TLSVersion.TLSv1_1, "TLS 1.0": ssl.TLSVersion.TLSv1}


def _test_server(server):
    host = urlsplit(server.url).hostname
    return f"carecert's local test TLS server on {host} (not the provider)"


def _adapter_for(provider_factory, harness, server, tmp_path):
    bundle = server.write_ca_bundle(tmp_path)
    patient = harness.sample_patient
    return provider_factory(
        harness.info.id,
        **harness.point_at(server.url),
        ca_bundle=str(bundle),
        # Real sockets to the test server, also under --mock-api or recording.
        transport=None,
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )


@pytest.mark.control(check="tls-floor")
@pytest.mark.parametrize("legacy", list(LEGACY_VERSIONS))
async def test_adapter_refuses_tls_below_1_2(
    provider_id,
    legacy,
    carecert_control,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    ca = tls_authority()
    try:
        server_context = serve_legacy_tls(ca=ca, version=LEGACY_VERSIONS[legacy])
        server = server_context.__enter__()
    except LegacyTLSUnavailable as exc:
        pytest.skip(f"cannot run a {legacy} server here: {exc}")
    try:
        probed = probe_tls_version(server)
        provider = _adapter_for(provider_factory, harness, server, tmp_path)

        with pytest.raises(ProviderError) as refused:
            await harness.read_patient(provider, harness.sample_patient)
    finally:
        server_context.__exit__(None, None, None)

    reason = describe_tls_failure(refused.value)
    assert "TLS protocol version rejected" in reason, (
        f"{carecert_control.id} ({carecert_control.clause}): {provider_id} against "
        f"a {legacy}-only "
        f"server failed for another reason: {reason}"
    )
    assert probed != "", "the permissive probe must have negotiated a legacy version"
    evidence.note(
        f"{_test_server(server)} offered only {probed}; the {provider_id} adapter "
        f"refused it: {reason}"
    )


@pytest.mark.control(check="tls-floor")
async def test_adapter_negotiates_tls_1_2_or_later(
    provider_id, provider_factory, provider_harness, tmp_path, evidence
):
    harness = provider_harness(provider_id)
    with serve_tls(ca=tls_authority()) as server:
        provider = _adapter_for(provider_factory, harness, server, tmp_path)
        with pytest.raises(ProviderError):
            # The test server is not the provider, so the call fails after
            # the handshake.
            await harness.read_patient(provider, harness.sample_patient)
        server.wait_for_handshakes(1)
        versions = list(server.versions)
        tested = _test_server(server)

    assert versions, f"{provider_id} completed no TLS handshake with a trusted server"
    assert all(v in ("TLSv1.2", "TLSv1.3") for v in versions), versions
    evidence.note(
        f"the {provider_id} adapter negotiated {', '.join(sorted(set(versions)))} "
        f"with {tested}"
    )


@pytest.mark.control(check="certificate")
@pytest.mark.parametrize("case", ["untrusted issuer", "hostname mismatch"])
async def test_adapter_refuses_unverifiable_certificate(
    provider_id,
    case,
    carecert_control,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    options = (
        {"trusted": False}
        if case == "untrusted issuer"
        else {"certificate_names": (MISMATCHED_HOSTNAME,)}
    )
    with serve_tls(ca=tls_authority(), **options) as server:
        provider = _adapter_for(provider_factory, harness, server, tmp_path)
        with pytest.raises(ProviderError) as refused:
            await harness.read_patient(provider, harness.sample_patient)
        completed = list(server.versions)
        tested = _test_server(server)

    reason = describe_tls_failure(refused.value)
    assert "certificate verification failed" in reason, (
        f"{carecert_control.id} ({carecert_control.clause}): {provider_id} with "
        f"an {case} "
        f"certificate failed for another reason: {reason}"
    )
    assert completed == [], f"{provider_id} completed a handshake despite the {case}"
    evidence.note(
        f"{case}: the {provider_id} adapter refused the certificate of {tested}: "
        f"{reason}"
    )
