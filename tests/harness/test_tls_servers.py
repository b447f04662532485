"""The TLS test servers: versions, certificates, handlers and clean shutdown."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from carecert.harness import tls_servers
from carecert.harness.tls_servers import (
    MISMATCHED_HOSTNAME,
    HTTPRequest,
    HTTPResponse,
    LegacyTLSUnavailable,
    TLSServer,
    describe_tls_failure,
    probe_tls_version,
    serve_legacy_tls,
    serve_tls,
    tls_authority,
)


@pytest.fixture
def ca() -> trustme.CA:
    return tls_authority()


def strict_client(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def handshake(server: TLSServer, context: ssl.SSLContext) -> str | None:
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server.hostname) as tls,
    ):
        return tls.version()


def test_authority_issues_pem(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca) as server:
        bundle = server.write_ca_bundle(tmp_path)

    assert bundle.read_bytes() == ca.cert_pem.bytes()
    assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_default_server_returns_json(ca: trustme.CA, tmp_path: Path) -> None:
    with serve_tls(ca=ca) as server:
        verify = ssl.create_default_context(
            cafile=str(server.write_ca_bundle(tmp_path))
        )
        response = httpx.get(f"{server.url}/status", verify=verify)

    assert server.url == f"https://127.0.0.1:{server.port}"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "path": "/status",
        "tls_version": "TLSv1.3",
    }
    assert server.versions == ["TLSv1.3"]
    assert server.handshake_errors == []


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"max_version": ssl.TLSVersion.TLSv1_2}, "TLSv1.2"),
        ({"min_version": ssl.TLSVersion.TLSv1_2}, "TLSv1.3"),
        ({"min_version": ssl.TLSVersion.TLSv1_3}, "TLSv1.3"),
    ],
    ids=["max-tls12", "min-tls12", "min-tls13"],
)
def test_version_bounds_apply(
    ca: trustme.CA, bounds: dict[str, ssl.TLSVersion], expected: str
) -> None:
    with serve_tls(ca=ca, **bounds) as server:
        version = handshake(server, strict_client(ca))
        assert server.wait_for_handshakes(1)

    assert version == expected
    assert server.versions == [expected]


def test_tls13_only_rejects_tls12_client(ca: trustme.CA) -> None:
    context = strict_client(ca)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with serve_tls(ca=ca, min_version=ssl.TLSVersion.TLSv1_3) as server:
        with pytest.raises(ssl.SSLError) as caught:
            handshake(server, context)
        assert server.wait_for_handshakes(1)

    assert "PROTOCOL_VERSION" in str(caught.value)
    assert server.versions == []
    assert "UNSUPPORTED_PROTOCOL" in server.handshake_errors[0]


def test_inverted_bounds_rejected(ca: trustme.CA) -> None:
    with pytest.raises(ValueError, match="min_version TLSv1_3 is above max_version"):
        with serve_tls(
            ca=ca,
            min_version=ssl.TLSVersion.TLSv1_3,
            max_version=ssl.TLSVersion.TLSv1_2,
        ):
            pass


def test_untrusted_server_uses_other_issuer(ca: trustme.CA) -> None:
    with serve_tls(ca=ca, trusted=False) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            handshake(server, strict_client(ca))
        # The certificate itself is sound: a client that trusts its issuer
        # completes the handshake, so only the trust anchor differs.
        trusting_issuer = handshake(server, strict_client(server.issuer))

    assert server.issuer is not server.ca
    assert server.ca is ca
    assert (
        caught.value.verify_code == 20
    )  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    assert trusting_issuer == "TLSv1.3"


def test_mismatched_name_fails_hostname_check(ca: trustme.CA) -> None:
    with serve_tls(ca=ca, certificate_names=(MISMATCHED_HOSTNAME,)) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            handshake(server, strict_client(ca))

    assert server.certificate_names == (MISMATCHED_HOSTNAME,)
    assert "mismatch" in caught.value.verify_message


def test_localhost_url_and_certificate(ca: trustme.CA) -> None:
    with serve_tls(ca=ca, hostname="localhost") as server:
        version = handshake(server, strict_client(ca))

    assert server.url == f"https://localhost:{server.port}"
    assert server.certificate_names == ("localhost",)
    assert version == "TLSv1.3"


def test_custom_handler_sees_request(ca: trustme.CA, tmp_path: Path) -> None:
    received: list[HTTPRequest] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        received.append(request)
        return HTTPResponse(201, b"created", "text/plain")

    with serve_tls(ca=ca, handler=handler) as server:
        verify = ssl.create_default_context(
            cafile=str(server.write_ca_bundle(tmp_path))
        )
        response = httpx.post(
            f"{server.url}/items?x=1",
            content=b'{"a": 1}',
            headers={"X-Test": "yes"},
            verify=verify,
        )

    assert response.status_code == 201
    assert response.text == "created"
    assert len(received) == 1
    assert received[0].method == "POST"
    assert received[0].path == "/items?x=1"
    assert received[0].body == b'{"a": 1}'
    assert received[0].headers["x-test"] == "yes"
    assert received[0].tls_version == "TLSv1.3"


def test_failing_handler_returns_500(
    ca: trustme.CA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: HTTPRequest) -> HTTPResponse:
        raise KeyError("no such fixture")

    with serve_tls(ca=ca, handler=handler) as server:
        verify = ssl.create_default_context(
            cafile=str(server.write_ca_bundle(tmp_path))
        )
        response = httpx.get(server.url, verify=verify)

    assert response.status_code == 500
    assert "KeyError" in response.text
    assert "handler failed" in caplog.text


def test_server_stops_on_exit(ca: trustme.CA) -> None:
    with serve_tls(ca=ca) as server:
        port = server.port

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_wait_times_out_without_handshake(ca: trustme.CA) -> None:
    with serve_tls(ca=ca) as server:
        assert server.wait_for_handshakes(1, timeout_s=0.1) is False


@pytest.mark.parametrize(
    ("version", "expected"),
    [(ssl.TLSVersion.TLSv1_1, "TLSv1.1"), (ssl.TLSVersion.TLSv1, "TLSv1")],
    ids=["tls11", "tls10"],
)
def test_legacy_server_offers_version(
    ca: trustme.CA, version: ssl.TLSVersion, expected: str
) -> None:
    try:
        with serve_legacy_tls(ca=ca, version=version) as server:
            second_probe = probe_tls_version(server)
            with pytest.raises(ssl.SSLError) as caught:
                handshake(server, strict_client(ca))
            assert server.wait_for_handshakes(3)
    except LegacyTLSUnavailable as exc:
        pytest.skip(str(exc))

    assert server.versions == [expected, expected]
    assert second_probe == expected
    assert "PROTOCOL_VERSION" in str(caught.value)
    assert len(server.handshake_errors) == 1


def test_legacy_rejects_modern_version(ca: trustme.CA) -> None:
    with pytest.raises(ValueError, match="needs a version below TLSv1_2"):
        with serve_legacy_tls(ca=ca, version=ssl.TLSVersion.TLSv1_2):
            pass


def test_legacy_unavailable_names_openssl(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssl, "HAS_TLSv1_1", False)

    with pytest.raises(LegacyTLSUnavailable) as caught:
        with serve_legacy_tls(ca=ca, version=ssl.TLSVersion.TLSv1_1):
            pass

    assert ssl.OPENSSL_VERSION in str(caught.value)
    assert "built without TLSv1_1" in str(caught.value)


def test_legacy_failed_probe_is_unavailable(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_handshake(server: TLSServer) -> str:
        # A real handshake that fails: this client accepts TLS 1.2 and up only.
        handshake(server, strict_client(server.issuer))
        return "unreachable"

    monkeypatch.setattr(tls_servers, "probe_tls_version", fail_handshake)

    with pytest.raises(LegacyTLSUnavailable) as caught:
        with serve_legacy_tls(ca=ca):
            pass

    message = str(caught.value)
    assert ssl.OPENSSL_VERSION in message
    assert "could not complete a TLSv1_1 handshake" in message
    assert "Client error: [SSL: TLSV1_ALERT_PROTOCOL_VERSION]" in message
    assert "Server error: SSLError: [SSL: UNSUPPORTED_PROTOCOL]" in message


def test_describe_certificate_failure(ca: trustme.CA) -> None:
    with serve_tls(ca=ca, trusted=False) as server:
        try:
            handshake(server, strict_client(ca))
        except ssl.SSLError as exc:
            wrapped = httpx.ConnectError("wrapped")
            wrapped.__cause__ = exc
        else:
            pytest.fail("untrusted server was accepted")

    description = describe_tls_failure(wrapped)
    assert description.startswith("certificate verification failed: ")
    assert "unable to get local issuer certificate" in description
    assert "verify code 20" in description


def test_describe_protocol_failure(ca: trustme.CA) -> None:
    context = strict_client(ca)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with serve_tls(ca=ca, min_version=ssl.TLSVersion.TLSv1_3) as server:
        with pytest.raises(ssl.SSLError) as caught:
            handshake(server, context)

    description = describe_tls_failure(caught.value)
    assert description.startswith("TLS protocol version rejected: ")
    assert "TLSV1_ALERT_PROTOCOL_VERSION" in description


def test_describe_without_tls_error() -> None:
    error = httpx.ConnectError("connection refused")
    error.__context__ = ConnectionRefusedError(111, "Connection refused")

    description = describe_tls_failure(error)

    assert description == "no TLS error in the chain: ConnectError: connection refused"


def test_default_handler_body_is_json() -> None:
    request = HTTPRequest("GET", "/x", {}, b"", "TLSv1.2")

    response = tls_servers.respond_ok(request)

    assert response.status == 200
    assert json.loads(response.body)["tls_version"] == "TLSv1.2"
