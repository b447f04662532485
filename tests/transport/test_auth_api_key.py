"""API keys in a header, alone and with a client-signed Bearer JWT."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from carecert.adapters.auth import ApiKeyAuth, ApiKeyJwtAuth, JWTAssertionSigner
from carecert.adapters.errors import ConfigurationError

API_KEY = "key-4d7e1f0a"
CLIENT_ID = "axa-client-17"
AUDIENCE = "https://api.insurer.example.test"


@pytest.fixture(scope="module")
def private_key() -> RSAKey:
    return RSAKey.generate_key(2048)


def make_signer(key: RSAKey) -> JWTAssertionSigner:
    return JWTAssertionSigner(
        provider_id="axa", client_id=CLIENT_ID, private_key=key, key_id="kid-7"
    )


def recorded_client(auth: httpx.Auth) -> tuple[httpx.Client, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(handler), auth=auth)
    return client, sent


def test_api_key_default_header() -> None:
    client, sent = recorded_client(ApiKeyAuth("acme", API_KEY))
    with client:
        client.get("http://testserver/patients")

    assert sent[0].headers["x-api-key"] == API_KEY
    assert "Authorization" not in sent[0].headers


@pytest.mark.asyncio
async def test_api_key_custom_header_async() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    auth = ApiKeyAuth("nhs", API_KEY, header_name="apikey")
    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        await client.get("http://testserver/patients")

    assert sent[0].headers["apikey"] == API_KEY
    assert "x-api-key" not in sent[0].headers


@pytest.mark.parametrize("header_name", ["", "x api key", "x-key\r\nEvil: 1", "é"])
def test_invalid_header_name_rejected(header_name: str) -> None:
    with pytest.raises(ConfigurationError, match="header name") as raised:
        ApiKeyAuth("acme", API_KEY, header_name=header_name)

    assert API_KEY not in str(raised.value)


def test_empty_api_key_rejected() -> None:
    with pytest.raises(ConfigurationError, match="api_key is missing"):
        ApiKeyAuth("acme", "")


def test_api_key_and_jwt_headers(private_key: RSAKey) -> None:
    auth = ApiKeyJwtAuth("axa", API_KEY, make_signer(private_key), audience=AUDIENCE)
    client, sent = recorded_client(auth)
    with client:
        client.get("http://testserver/claims")
        client.get("http://testserver/claims")

    public = RSAKey.import_key(private_key.as_pem(private=False))
    jtis = set()
    for request in sent:
        assert request.headers["x-api-key"] == API_KEY
        scheme, _, token = request.headers["Authorization"].partition(" ")
        assert scheme == "Bearer"
        decoded = jwt.decode(token, public, algorithms=["RS256"])
        assert decoded.header["kid"] == "kid-7"
        assert decoded.claims["iss"] == CLIENT_ID
        assert decoded.claims["sub"] == CLIENT_ID
        assert decoded.claims["aud"] == AUDIENCE
        assert decoded.claims["exp"] - decoded.claims["iat"] <= 300
        jtis.add(decoded.claims["jti"])
    assert len(jtis) == 2


def test_api_key_jwt_rejects_authorization_header(private_key: RSAKey) -> None:
    with pytest.raises(ConfigurationError, match="taken by the Bearer JWT"):
        ApiKeyJwtAuth(
            "axa",
            API_KEY,
            make_signer(private_key),
            audience=AUDIENCE,
            header_name="Authorization",
        )


def test_api_key_jwt_needs_audience(private_key: RSAKey) -> None:
    with pytest.raises(ConfigurationError, match="audience is empty"):
        ApiKeyJwtAuth("axa", API_KEY, make_signer(private_key), audience="")
