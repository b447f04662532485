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
from carecert.adapters.tls import TLS_VERSIONS, spki_pin_sha256
from carecert.harness.controls.encryption import (
    check_certificate_rejection,
    check_pin_rejection,
    check_tls_floor_rejection,
)
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import error_of
from carecert.harness.tls_servers import (
    MISMATCHED_HOSTNAME,
    HTTPRequest,
    HTTPResponse,
    LegacyTLSUnavailable,
    describe_tls_failure,
    probe_tls_version,
    respond_ok,
    serve_legacy_tls,
    serve_tls,
    tls_authority,
)

pytestmark = pytest.mark.asyncio

LEGACY_VERSIONS = {"TLS 1.1": ssl.TLSVersion.TLSv1_1, "TLS 1.0": ssl.TLSVersion.TLSv1}


def _test_server(server):
    host = urlsplit(server.url).hostname
    return f"carecert's local test TLS server on {host} (not the provider)"


def _adapter_for(provider_factory, provider_id, harness, server, tmp_path, **overrides):
    """Build the adapter registered as ``provider_id``, pointed at ``server``.

    The id must be the provider under test, not ``harness.info.id``: a subclass
    of a built-in adapter registered under its own id inherits the built-in
    harness, whose info still names the built-in adapter.
    """
    bundle = server.write_ca_bundle(tmp_path)
    patient = harness.sample_patient
    return provider_factory(
        provider_id,
        **harness.point_at(server.url),
        ca_bundle=str(bundle),
        # Real sockets to the test server, also under --mock-api or recording.
        transport=None,
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
        **overrides,
    )


async def _check_tls_1_2_refused(
    provider_id, control, floor, harness, provider_factory, tmp_path
):
    """Check that an adapter whose floor is above TLS 1.2 refuses a TLS 1.2 server."""
    with serve_tls(ca=tls_authority(), max_version=ssl.TLSVersion.TLSv1_2) as server:
        probed = probe_tls_version(server)
        provider = _adapter_for(
            provider_factory, provider_id, harness, server, tmp_path
        )
        error = await error_of(harness.read_patient(provider, harness.sample_patient))

    assert probed == "TLSv1.2", "the probe must have negotiated TLS 1.2"
    findings = check_tls_floor_rejection(provider_id, probed, error, floor)
    assert not findings, control_failure(control, findings)


def _registered_info(carecert_state, provider_id):
    """Return the ProviderInfo that ``provider_id`` was registered with."""
    return carecert_state.registry.get_registration(provider_id).info


def _recording_handler(received):
    def handle(request: HTTPRequest) -> HTTPResponse:
        received.append(request)
        return respond_ok(request)

    return handle


@pytest.mark.control(check="tls-floor")
@pytest.mark.parametrize("legacy", list(LEGACY_VERSIONS))
async def test_adapter_refuses_tls_below_1_2(
    provider_id,
    legacy,
    carecert_control,
    carecert_rules,
    carecert_state,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    floor, rule = carecert_rules.tls_floor(
        _registered_info(carecert_state, provider_id)
    )
    ca = tls_authority()
    try:
        server_context = serve_legacy_tls(ca=ca, version=LEGACY_VERSIONS[legacy])
        server = server_context.__enter__()
    except LegacyTLSUnavailable as exc:
        pytest.skip(f"cannot run a {legacy} server here: {exc}")
    try:
        probed = probe_tls_version(server)
        provider = _adapter_for(
            provider_factory, provider_id, harness, server, tmp_path
        )

        error = await error_of(harness.read_patient(provider, harness.sample_patient))
    finally:
        server_context.__exit__(None, None, None)

    assert probed != "", "the permissive probe must have negotiated a legacy version"
    findings = check_tls_floor_rejection(provider_id, probed, error, floor)
    assert not findings, control_failure(carecert_control, findings)
    reason = describe_tls_failure(error)
    evidence.decide(rule)
    evidence.note(
        f"found: {_test_server(server)} offered only {probed}; the {provider_id} "
        f"adapter refused it: {reason}. Required: {floor} or later, so a server "
        f"offering only {probed} must be refused ({rule})"
    )


@pytest.mark.control(check="tls-floor")
async def test_adapter_negotiates_tls_1_2_or_later(
    provider_id,
    carecert_control,
    carecert_rules,
    carecert_state,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    floor, rule = carecert_rules.tls_floor(
        _registered_info(carecert_state, provider_id)
    )
    with serve_tls(ca=tls_authority()) as server:
        provider = _adapter_for(
            provider_factory, provider_id, harness, server, tmp_path
        )
        with pytest.raises(ProviderError):
            # The test server is not the provider, so the call fails after
            # the handshake.
            await harness.read_patient(provider, harness.sample_patient)
        server.wait_for_handshakes(1)
        versions = list(server.versions)
        tested = _test_server(server)

    assert versions, f"{provider_id} completed no TLS handshake with a trusted server"
    allowed = [v for v in TLS_VERSIONS if TLS_VERSIONS[v] >= TLS_VERSIONS[floor]]
    assert all(v in allowed for v in versions), (
        f"negotiated {versions}; the floor is {rule}"
    )
    evidence.decide(rule)
    if floor != "TLSv1.2":
        await _check_tls_1_2_refused(
            provider_id, carecert_control, floor, harness, provider_factory, tmp_path
        )
        evidence.note(
            f"found: a server offering only TLSv1.2 was refused. Required: "
            f"{floor} or later ({rule})"
        )
    evidence.note(
        f"found: the {provider_id} adapter negotiated "
        f"{', '.join(sorted(set(versions)))} with {tested}. Required: {floor} or "
        f"later ({rule})"
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
        provider = _adapter_for(
            provider_factory, provider_id, harness, server, tmp_path
        )
        error = await error_of(harness.read_patient(provider, harness.sample_patient))
        server.wait_for_handshakes(1)
        completed = list(server.versions)
        tested = _test_server(server)

    findings = check_certificate_rejection(provider_id, case, error, completed)
    assert not findings, control_failure(carecert_control, findings)
    reason = describe_tls_failure(error)
    evidence.note(
        f"found: {case}: the {provider_id} adapter refused the certificate of "
        f"{tested}: {reason}. Required: a certificate that chains to the "
        "configured CA bundle and names the host connected to, so a certificate "
        f"with this {case} must be refused"
    )


@pytest.mark.control(check="certificate")
async def test_adapter_refuses_key_not_pinned(
    provider_id,
    carecert_control,
    provider_factory,
    provider_harness,
    tmp_path,
    evidence,
):
    harness = provider_harness(provider_id)
    # The pin of a key the test server does not hold, so it cannot match.
    other_key = tls_authority().issue_cert("127.0.0.1")
    wrong_pin = spki_pin_sha256(
        ssl.PEM_cert_to_DER_cert(other_key.cert_chain_pems[0].bytes().decode())
    )
    received: list[HTTPRequest] = []
    with serve_tls(ca=tls_authority(), handler=_recording_handler(received)) as server:
        # Positive control: with the server's own pin the request is sent.
        right_pin = spki_pin_sha256(
            ssl.PEM_cert_to_DER_cert(
                ssl.get_server_certificate(("127.0.0.1", server.port))
            )
        )
        pinned = _adapter_for(
            provider_factory,
            provider_id,
            harness,
            server,
            tmp_path,
            certificate_pins=[right_pin],
        )
        await error_of(harness.read_patient(pinned, harness.sample_patient))
        sent_with_right_pin = len(received)
        received.clear()

        provider = _adapter_for(
            provider_factory,
            provider_id,
            harness,
            server,
            tmp_path,
            certificate_pins=[wrong_pin],
        )
        error = await error_of(harness.read_patient(provider, harness.sample_patient))
        # One handshake for the certificate fetch, one per request sent with the
        # right pin (the test server closes each connection) and the last one.
        expected_handshakes = sent_with_right_pin + 2
        server.wait_for_handshakes(expected_handshakes)
        completed = list(server.versions)
        tested = _test_server(server)

    assert sent_with_right_pin > 0, "with the server's own pin a request must arrive"
    findings = check_pin_rejection(provider_id, error, len(received))
    assert not findings, control_failure(carecert_control, findings)
    assert len(completed) == expected_handshakes, (
        f"the handshake with the wrong pin must complete before the pin is "
        f"compared; completed handshakes: {completed}"
    )
    evidence.note(
        f"found: with certificate_pins [{right_pin}] (the server's own key) the "
        f"{provider_id} adapter sent {sent_with_right_pin} request(s) to {tested}. "
        f"With certificate_pins [{wrong_pin}] it completed the handshake, compared "
        f"the server key with the pins and sent no request ({len(received)} "
        f"received): {str(error).rstrip('.')}. Required: the server key matches a "
        "pin in the configured certificate_pins, and a key that matches no pin is "
        "rejected before any request is sent"
    )
