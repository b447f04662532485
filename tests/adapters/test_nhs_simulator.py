"""The NHS simulator: token checks, PDS rules, openapi.yaml conformance, sockets."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import RSAKey
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from starlette.applications import Starlette

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.auth import CLIENT_ASSERTION_TYPE, load_private_key
from carecert.adapters.nhs.simulator import create_app, run_server

from ..support.config import Config
from ..support.credentials import new_rsa_key
from ..support.recording import RecordingTransport
from ..support.tls import ServerTLSFiles, write_server_tls_files

API_KEY = "test-api-key-7f3a9c"
KEY_ID = "test-key-1"
BASE = "http://testserver"
TOKEN_URL = f"{BASE}/oauth2/token"
PDS = f"{BASE}/personal-demographics/FHIR/R4"
GP = f"{BASE}/gp-connect/FHIR/R4"
OPENAPI = Path(__file__).resolve().parents[2] / "adapters" / "nhs" / "openapi.yaml"


@pytest.fixture
def signing_key(nhs_private_key_path: Path) -> RSAKey:
    return load_private_key("nhs", nhs_private_key_path)


def assertion(
    key: RSAKey, *, header: dict[str, Any] | None = None, **claims: Any
) -> str:
    """Sign a client assertion; keyword arguments replace or (as None) drop claims."""
    now = int(time.time())
    body = {
        "iss": API_KEY,
        "sub": API_KEY,
        "aud": TOKEN_URL,
        "jti": str(uuid.uuid4()),
        "exp": now + 300,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    protected = header or {"alg": "RS512", "typ": "JWT", "kid": KEY_ID}
    algorithm = protected["alg"]
    return jwt.encode(protected, body, key, algorithms=[algorithm])


def form(client_assertion: str, **fields: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **fields,
    }


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def bearer(client: httpx.AsyncClient, key: RSAKey) -> str:
    response = await client.post("/oauth2/token", data=form(assertion(key)))
    assert response.status_code == 200
    return str(response.json()["access_token"])


def fhir_headers(token: str | None, **extra: str) -> dict[str, str]:
    headers = {"X-Request-ID": str(uuid.uuid4()), **extra}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def spine_code(response: httpx.Response) -> str:
    return str(response.json()["issue"][0]["details"]["coding"][0]["code"])


# Token endpoint


@pytest.mark.asyncio
async def test_token_issued(nhs_simulator: Starlette, signing_key: RSAKey) -> None:
    async with client_for(nhs_simulator) as client:
        response = await client.post("/oauth2/token", data=form(assertion(signing_key)))

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "599"
    assert body["access_token"] in nhs_simulator.state.simulator.tokens


def other_key() -> RSAKey:
    private = new_rsa_key()
    return RSAKey.import_key(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


REJECTED_ASSERTIONS: list[tuple[str, Callable[[RSAKey], str], str]] = [
    ("other-key", lambda key: assertion(other_key()), "signature"),
    ("wrong-aud", lambda key: assertion(key, aud="https://elsewhere/token"), "aud"),
    ("expired", lambda key: assertion(key, exp=int(time.time()) - 1), "in the past"),
    ("no-exp", lambda key: assertion(key, exp=None), "exp is missing"),
    (
        "too-long",
        lambda key: assertion(key, exp=int(time.time()) + 900),
        "five minutes",
    ),
    ("no-jti", lambda key: assertion(key, jti=None), "jti is missing"),
    (
        "wrong-iss",
        lambda key: assertion(key, iss="other", sub="other"),
        "registered API key",
    ),
    ("iss-not-sub", lambda key: assertion(key, sub="other"), "iss and sub"),
    (
        "wrong-kid",
        lambda key: assertion(key, header={"alg": "RS512", "typ": "JWT", "kid": "x"}),
        "kid",
    ),
    (
        "rs256",
        lambda key: assertion(
            key, header={"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
        ),
        "signature or format",
    ),
    ("garbage", lambda key: "not.a.jwt", "signature or format"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("build", "fragment"),
    [(build, fragment) for _, build, fragment in REJECTED_ASSERTIONS],
    ids=[name for name, _, _ in REJECTED_ASSERTIONS],
)
async def test_bad_assertion_rejected(
    nhs_simulator: Starlette,
    signing_key: RSAKey,
    build: Callable[[RSAKey], str],
    fragment: str,
) -> None:
    async with client_for(nhs_simulator) as client:
        response = await client.post("/oauth2/token", data=form(build(signing_key)))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert fragment in response.json()["error_description"]


@pytest.mark.asyncio
async def test_replayed_jti_rejected(
    nhs_simulator: Starlette, signing_key: RSAKey
) -> None:
    signed = assertion(signing_key)

    async with client_for(nhs_simulator) as client:
        first = await client.post("/oauth2/token", data=form(signed))
        second = await client.post("/oauth2/token", data=form(signed))

    assert first.status_code == 200
    assert second.status_code == 401
    assert "jti has been used before" in second.json()["error_description"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
    ],
)
async def test_bad_form_rejected(
    nhs_simulator: Starlette, signing_key: RSAKey, fields: dict[str, str], error: str
) -> None:
    async with client_for(nhs_simulator) as client:
        response = await client.post(
            "/oauth2/token", data=form(assertion(signing_key), **fields)
        )

    assert response.status_code == 400
    assert response.json()["error"] == error


# PDS rules


@pytest.mark.asyncio
async def test_patient_needs_token(nhs_simulator: Starlette) -> None:
    async with client_for(nhs_simulator) as client:
        missing = await client.get(
            f"{PDS}/Patient/9000000009", headers=fhir_headers(None)
        )
        unknown = await client.get(
            f"{PDS}/Patient/9000000009", headers=fhir_headers("made-up")
        )

    assert (missing.status_code, spine_code(missing)) == (401, "ACCESS_DENIED")
    assert (unknown.status_code, spine_code(unknown)) == (401, "ACCESS_DENIED")


@pytest.mark.asyncio
async def test_expired_token_rejected(
    nhs_public_key_pem: bytes, signing_key: RSAKey
) -> None:
    now = [time.time()]
    app = create_app(public_key=nhs_public_key_pem, clock=lambda: now[0])

    async with client_for(app) as client:
        token = await bearer(client, signing_key)
        now[0] += 600
        response = await client.get(
            f"{PDS}/Patient/9000000009", headers=fhir_headers(token)
        )

    assert response.status_code == 401


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 400, "MISSING_VALUE"),
        ({"X-Request-ID": "not-a-uuid"}, 400, "INVALID_VALUE"),
    ],
)
async def test_request_id_checked(
    nhs_simulator: Starlette,
    signing_key: RSAKey,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    async with client_for(nhs_simulator) as client:
        token = await bearer(client, signing_key)
        response = await client.get(
            f"{PDS}/Patient/9000000009",
            headers={"Authorization": f"Bearer {token}", **headers},
        )

    assert (response.status_code, spine_code(response)) == (status, code)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("9000000000", 400, "INVALID_RESOURCE_ID"),
        ("9111231130", 404, "RESOURCE_NOT_FOUND"),
    ],
)
async def test_patient_lookup_errors(
    nhs_simulator: Starlette, signing_key: RSAKey, number: str, status: int, code: str
) -> None:
    async with client_for(nhs_simulator) as client:
        token = await bearer(client, signing_key)
        response = await client.get(
            f"{PDS}/Patient/{number}", headers=fhir_headers(token)
        )

    assert (response.status_code, spine_code(response)) == (status, code)
    assert response.headers["Content-Type"] == "application/fhir+json"


@pytest.mark.asyncio
async def test_headers_mirrored(nhs_simulator: Starlette, signing_key: RSAKey) -> None:
    async with client_for(nhs_simulator) as client:
        token = await bearer(client, signing_key)
        headers = fhir_headers(token, **{"X-Correlation-ID": "trace-1"})
        response = await client.get(f"{PDS}/Patient/9000000009", headers=headers)

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == headers["X-Request-ID"]
    assert response.headers["X-Correlation-ID"] == "trace-1"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.json()["meta"]["versionId"] == "1"


@pytest.mark.asyncio
async def test_restricted_patient_stripped(
    nhs_public_key_pem: bytes, signing_key: RSAKey
) -> None:
    # The stored record has an address; the simulator must still leave it out.
    from carecert.adapters.models import Address
    from carecert.adapters.nhs.synthetic import synthetic_patients

    patients = synthetic_patients()
    stored = patients["9000000025"]
    patient = stored.patient.model_copy(
        update={"addresses": (Address(use="home", line=("x",)),)}
    )
    patients["9000000025"] = type(stored)(patient)
    app = create_app(patients=patients, public_key=nhs_public_key_pem)

    async with client_for(app) as client:
        token = await bearer(client, signing_key)
        response = await client.get(
            f"{PDS}/Patient/9000000025", headers=fhir_headers(token)
        )

    body = response.json()
    assert body["meta"]["security"][0]["code"] == "R"
    assert "address" not in body
    assert "telecom" not in body
    assert "generalPractitioner" not in body


# GP record and booking


@pytest.mark.asyncio
async def test_bad_parameters_rejected(
    nhs_simulator: Starlette, signing_key: RSAKey
) -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "includeAll"}]}

    async with client_for(nhs_simulator) as client:
        token = await bearer(client, signing_key)
        response = await client.post(
            f"{GP}/Patient/$gpc.getstructuredrecord",
            headers=fhir_headers(token),
            content=json.dumps(body),
        )

    assert (response.status_code, spine_code(response)) == (422, "INVALID_PARAMETER")


@pytest.mark.asyncio
async def test_double_booking_conflicts(nhs_config: Config) -> None:
    from datetime import UTC, datetime

    from carecert.adapters.errors import ProviderError

    start = datetime(2030, 3, 4, 10, tzinfo=UTC)

    async with NHSInterface(nhs_config()) as nhs:
        await nhs.book_gp_appointment("9000000009", "Y12345", "routine", start=start)
        with pytest.raises(ProviderError, match="HTTP 409 DUPLICATE_REJECTED"):
            await nhs.book_gp_appointment(
                "9000000017", "Y12345", "routine", start=start
            )


# Conformance with openapi.yaml


def fhir_json(value: bytes, **parameters: str) -> Any:
    # openapi-core passes media type parameters such as charset as keywords.
    return json.loads(value)


def openapi() -> OpenAPI:
    config = OpenAPIConfig(
        extra_media_type_deserializers={"application/fhir+json": fhir_json}
    )
    return OpenAPI.from_file_path(str(OPENAPI), config=config)


@pytest.mark.asyncio
@pytest.mark.parametrize("charset", ["", "; charset=utf-8"])
async def test_traffic_matches_openapi(
    nhs_config: Config, nhs_simulator: Starlette, charset: str
) -> None:
    recorder = RecordingTransport(httpx.ASGITransport(app=nhs_simulator))
    spec = openapi()

    async with NHSInterface(nhs_config(transport=recorder)) as nhs:
        await nhs.get_patient_record("9000000009")
        await nhs.get_patient_record("9000000025", "demographics")
        await nhs.book_gp_appointment("9000000017", "Y12345", "routine")

    assert len(recorder.exchanges) == 5
    for request, response in recorder.exchanges:
        content_type = request.headers.get("Content-Type", "")
        if content_type == "application/fhir+json":
            content_type += charset
        openapi_request = MockRequest(
            "https://int.api.service.nhs.uk",
            request.method.lower(),
            request.url.path,
            headers=dict(request.headers),
            data=request.content or None,
            content_type=content_type,
        )
        openapi_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers["Content-Type"] + charset,
        )
        spec.validate_request(openapi_request)
        spec.validate_response(openapi_request, openapi_response)


# Sockets


@pytest.mark.asyncio
async def test_adapter_over_real_socket(
    nhs_config: Config, nhs_simulator: Starlette
) -> None:
    with run_server(nhs_simulator) as base:
        assert base.startswith("http://127.0.0.1:")
        config = nhs_config(base_url=f"{base}/personal-demographics/FHIR/R4")
        del config["transport"]

        async with NHSInterface(config) as nhs:
            record = await nhs.get_patient_record("9000000009")

    assert record.patient.id == "9000000009"
    assert len(record.medications) == 1


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> ServerTLSFiles:
    return write_server_tls_files(trustme.CA(), tmp_path_factory.mktemp("nhs-tls"))


@pytest.mark.asyncio
async def test_adapter_over_tls(
    nhs_config: Config, nhs_simulator: Starlette, tls_files: ServerTLSFiles
) -> None:
    with run_server(
        nhs_simulator,
        ssl_certfile=str(tls_files.certificate),
        ssl_keyfile=str(tls_files.key),
    ) as base:
        assert base.startswith("https://127.0.0.1:")
        config = nhs_config(
            base_url=f"{base}/personal-demographics/FHIR/R4",
            ca_bundle=str(tls_files.ca),
        )
        del config["transport"]

        async with NHSInterface(config) as nhs:
            record = await nhs.get_patient_record("9000000009", "demographics")

    assert record.patient.id == "9000000009"


@pytest.mark.asyncio
async def test_untrusted_certificate_rejected(
    nhs_config: Config, nhs_simulator: Starlette, tls_files: ServerTLSFiles
) -> None:
    with run_server(
        nhs_simulator,
        ssl_certfile=str(tls_files.certificate),
        ssl_keyfile=str(tls_files.key),
    ) as base:
        config = nhs_config(base_url=f"{base}/personal-demographics/FHIR/R4")
        del config["transport"]

        async with NHSInterface(config) as nhs:
            with pytest.raises(ProviderUnavailableError) as raised:
                await nhs.get_patient_record("9000000009", "demographics")

    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert "certificate failed verification" in str(raised.value)
    assert "Set ca_bundle" in str(raised.value)


def test_run_server_rejects_public_host() -> None:
    with pytest.raises(ValueError, match="'0.0.0.0' is not a loopback address"):
        with run_server(create_app(), host="0.0.0.0"):
            pass
