"""Secrets, tokens and keys stay out of logs, errors and repr() of auth objects."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey

from carecert.adapters.auth import (
    ApiKeyAuth,
    ApiKeyJwtAuth,
    JWTAssertionSigner,
    OAuth2BearerAuth,
    OAuth2TokenSource,
    PrivateKeyJwtClientAuth,
    Saml2BearerGrant,
    SamlAssertionSigner,
    TokenEndpointAuth,
)
from carecert.adapters.errors import AuthenticationError, CarecertError
from carecert.adapters.nhs.auth import ClientAssertionAuth

CLIENT_ID = "client-id-6c0d93"
CLIENT_SECRET = "client-secret-e41f7a"
API_KEY = "api-key-2b9d55"
ACCESS_TOKEN = "access-token-91aa04"
BASE_URL = "http://testserver"
TOKEN_URL = f"{BASE_URL}/oauth2/token"


class Exchange:
    """A token endpoint and API that record every credential they receive."""

    def __init__(self, *, reject_api: bool = False) -> None:
        self.reject_api = reject_api
        self.seen: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        for name in ("Authorization", "x-api-key"):
            if name in request.headers:
                self.seen.append(request.headers[name].partition(" ")[2] or "")
                self.seen.append(request.headers[name])
        if request.url.path == "/oauth2/token":
            form = dict(parse_qsl(request.content.decode()))
            self.seen.extend(
                form[name]
                for name in ("client_secret", "client_assertion", "assertion")
                if name in form
            )
            return httpx.Response(
                200, json={"access_token": ACCESS_TOKEN, "expires_in": 600}
            )
        if self.reject_api:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={})

    def secrets(self) -> list[str]:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        values = [CLIENT_SECRET, API_KEY, ACCESS_TOKEN, basic, *self.seen]
        return [value for value in values if value]


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwk(rsa_key: rsa.RSAPrivateKey) -> RSAKey:
    return RSAKey.import_key(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def saml_signer(rsa_key: rsa.RSAPrivateKey) -> SamlAssertionSigner:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    return SamlAssertionSigner(
        provider_id="hospital",
        issuer="https://idp.example.test",
        private_key_pem=rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def make_signer(jwk: RSAKey) -> JWTAssertionSigner:
    return JWTAssertionSigner(
        provider_id="acme", client_id=CLIENT_ID, private_key=jwk, key_id="kid-1"
    )


def token_sources(
    jwk: RSAKey, saml_signer: SamlAssertionSigner
) -> Iterator[OAuth2TokenSource]:
    for client_auth in (
        TokenEndpointAuth.client_secret_basic("acme", CLIENT_ID, CLIENT_SECRET),
        TokenEndpointAuth.client_secret_post("acme", CLIENT_ID, CLIENT_SECRET),
        TokenEndpointAuth.private_key_jwt(make_signer(jwk)),
    ):
        yield OAuth2TokenSource(
            provider_id="acme", token_url=TOKEN_URL, client_auth=client_auth
        )
    yield OAuth2TokenSource(
        provider_id="hospital",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.client_secret_basic(
            "hospital", CLIENT_ID, CLIENT_SECRET
        ),
        grant=Saml2BearerGrant(saml_signer, "clinician-7"),
    )
    yield ClientAssertionAuth(
        provider_id="nhs",
        api_key=API_KEY,
        private_key=jwk,
        key_id="kid-1",
        token_url=TOKEN_URL,
    )


def assert_no_secret(text: str, secrets: list[str]) -> None:
    assert "PRIVATE KEY" not in text
    for secret in secrets:
        assert secret not in text


@pytest.mark.asyncio
async def test_token_flows_log_no_secrets(
    jwk: RSAKey, saml_signer: SamlAssertionSigner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exchange = Exchange()
    sources = list(token_sources(jwk, saml_signer))

    transport = httpx.MockTransport(exchange.handler)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        for source in sources:
            client.auth = OAuth2BearerAuth(source, client)
            await client.get("/api")

    # Every flow fetched a token and used it, so the secrets were really sent.
    assert caplog.text.count("fetched access token") == len(sources)
    assert len(exchange.seen) > len(sources)
    assert_no_secret(caplog.text, exchange.secrets())
    for source in sources:
        assert_no_secret(repr(source), exchange.secrets())
        assert_no_secret(str(source), exchange.secrets())
        assert_no_secret(repr(source.client_auth), exchange.secrets())
        assert_no_secret(repr(source.grant), exchange.secrets())
        assert_no_secret(repr(client.auth), exchange.secrets())


@pytest.mark.asyncio
async def test_api_key_flows_log_no_secrets(
    jwk: RSAKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exchange = Exchange()
    auths: list[httpx.Auth] = [
        ApiKeyAuth("acme", API_KEY),
        ApiKeyJwtAuth("axa", API_KEY, make_signer(jwk), audience=BASE_URL),
    ]

    transport = httpx.MockTransport(exchange.handler)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        for auth in auths:
            await client.get("/api", auth=auth)

    assert API_KEY in exchange.seen
    assert_no_secret(caplog.text, exchange.secrets())
    for auth in auths:
        assert_no_secret(repr(auth), exchange.secrets())
        assert_no_secret(str(auth), exchange.secrets())


@pytest.mark.asyncio
async def test_401_error_has_no_secrets(
    jwk: RSAKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exchange = Exchange(reject_api=True)
    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.client_secret_post(
            "acme", CLIENT_ID, CLIENT_SECRET
        ),
    )

    transport = httpx.MockTransport(exchange.handler)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.auth = OAuth2BearerAuth(source, client)
        with pytest.raises(AuthenticationError) as raised:
            await client.get("/api")

    assert "retrying once" in caplog.text
    assert_no_secret(caplog.text, exchange.secrets())
    assert_no_secret(str(raised.value), exchange.secrets())
    assert_no_secret(repr(raised.value), exchange.secrets())


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403, 429, 500])
async def test_token_errors_have_no_secrets(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "invalid_client"})

    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.client_secret_basic(
            "acme", CLIENT_ID, CLIENT_SECRET
        ),
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(CarecertError) as raised:
            await source.access_token(client)

    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    for text in (str(raised.value), repr(raised.value)):
        assert CLIENT_SECRET not in text
        assert basic not in text


def test_signer_reprs_have_no_key_material(
    jwk: RSAKey, saml_signer: SamlAssertionSigner
) -> None:
    signer = make_signer(jwk)
    objects: list[Any] = [
        signer,
        PrivateKeyJwtClientAuth(signer),
        TokenEndpointAuth.private_key_jwt(signer),
        saml_signer,
        Saml2BearerGrant(saml_signer, "clinician-7"),
    ]
    private_numbers = jwk.as_dict(private=True)

    for item in objects:
        text = repr(item)
        assert "PRIVATE KEY" not in text
        assert CLIENT_ID not in text
        assert private_numbers["d"] not in text
