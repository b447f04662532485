"""Signed-JWT client authentication against NHS England's token endpoint."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette

from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)
from carecert.adapters.nhs.auth import (
    ASSERTION_LIFETIME,
    CLIENT_ASSERTION_TYPE,
    REFRESH_MARGIN,
    ClientAssertionAuth,
    load_private_key,
)

from ..support.credentials import new_rsa_key, public_key_pem

API_KEY = "test-api-key-7f3a9c"
KEY_ID = "test-key-1"
TOKEN_URL = "https://int.api.service.nhs.uk/oauth2/token"


class Clock:
    """A settable clock, in seconds since the epoch."""

    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def private_key(nhs_private_key_path: Path) -> RSAKey:
    return load_private_key("nhs", nhs_private_key_path)


@pytest.fixture
def public_key(nhs_public_key_pem: bytes) -> RSAKey:
    return RSAKey.import_key(nhs_public_key_pem)


def make_auth(
    private_key: RSAKey, clock: Callable[[], float] = time.time
) -> ClientAssertionAuth:
    return ClientAssertionAuth(
        provider_id="nhs",
        api_key=API_KEY,
        private_key=private_key,
        key_id=KEY_ID,
        token_url=TOKEN_URL,
        clock=clock,
    )


def simulator_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


def token_client(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


# Client assertion


def test_assertion_header_and_claims(private_key: RSAKey, public_key: RSAKey) -> None:
    clock = Clock()
    assertion = make_auth(private_key, clock).client_assertion()

    token = jwt.decode(assertion, public_key, algorithms=["RS512"])

    assert token.header == {"alg": "RS512", "typ": "JWT", "kid": KEY_ID}
    assert token.claims["iss"] == API_KEY
    assert token.claims["sub"] == API_KEY
    assert token.claims["aud"] == TOKEN_URL
    assert uuid.UUID(token.claims["jti"]).version == 4
    assert token.claims["exp"] <= clock.now + 5 * 60
    assert token.claims["exp"] > clock.now


def test_assertion_lifetime_within_five_minutes() -> None:
    assert 0 < ASSERTION_LIFETIME <= 300


def test_jti_unique_per_assertion(private_key: RSAKey, public_key: RSAKey) -> None:
    auth = make_auth(private_key)

    jtis = [
        jwt.decode(auth.client_assertion(), public_key, algorithms=["RS512"]).claims[
            "jti"
        ]
        for _ in range(50)
    ]

    assert len(set(jtis)) == 50


def test_assertion_fails_with_other_key(private_key: RSAKey) -> None:
    other_public = RSAKey.import_key(public_key_pem(new_rsa_key()))

    with pytest.raises(Exception, match="bad_signature"):
        jwt.decode(
            make_auth(private_key).client_assertion(),
            other_public,
            algorithms=["RS512"],
        )


# Token requests


@pytest.mark.asyncio
async def test_token_request_form(private_key: RSAKey) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200,
            json={"access_token": "t-1", "expires_in": "599", "token_type": "Bearer"},
        )

    async with token_client(handler) as client:
        token = await make_auth(private_key).access_token(client)

    assert token == "t-1"
    assert len(sent) == 1
    request = sent[0]
    assert request.method == "POST"
    assert str(request.url) == TOKEN_URL
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert form["client_assertion"].count(".") == 2


@pytest.mark.asyncio
async def test_token_cached_until_expiry(
    private_key: RSAKey, nhs_simulator: Starlette
) -> None:
    clock = Clock()
    auth = make_auth(private_key, clock)
    auth.token_url = "http://testserver/oauth2/token"
    state = nhs_simulator.state.simulator
    state.clock = clock

    async with simulator_client(nhs_simulator) as client:
        first = await auth.access_token(client)
        clock.now += 599 - REFRESH_MARGIN - 1
        second = await auth.access_token(client)
        requests_before_expiry = state.token_requests
        clock.now += 2
        third = await auth.access_token(client)

    assert first == second
    assert requests_before_expiry == 1
    assert third != first
    assert state.token_requests == 2


@pytest.mark.asyncio
async def test_concurrent_callers_share_one_fetch(
    private_key: RSAKey, nhs_simulator: Starlette
) -> None:
    auth = make_auth(private_key)
    auth.token_url = "http://testserver/oauth2/token"

    async with simulator_client(nhs_simulator) as client:
        tokens = await asyncio.gather(*(auth.access_token(client) for _ in range(10)))

    assert len(set(tokens)) == 1
    assert nhs_simulator.state.simulator.token_requests == 1


@pytest.mark.asyncio
async def test_invalidate_forces_new_token(
    private_key: RSAKey, nhs_simulator: Starlette
) -> None:
    auth = make_auth(private_key)
    auth.token_url = "http://testserver/oauth2/token"

    async with simulator_client(nhs_simulator) as client:
        first = await auth.access_token(client)
        auth.invalidate()
        second = await auth.access_token(client)

    assert first != second
    assert nhs_simulator.state.simulator.token_requests == 2


@pytest.mark.asyncio
async def test_numeric_expires_in_accepted(private_key: RSAKey) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": "t", "expires_in": 300})

    async with token_client(handler) as client:
        assert await make_auth(private_key).access_token(client) == "t"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    [
        (
            httpx.Response(
                401, json={"error": "invalid_client", "error_description": "bad kid"}
            ),
            AuthenticationError,
            "invalid_client: bad kid",
        ),
        (
            httpx.Response(400, json={"error": "invalid_request"}),
            AuthenticationError,
            "400",
        ),
        (
            httpx.Response(403, text="<html>"),
            AuthenticationError,
            "no OAuth error body",
        ),
        (
            httpx.Response(429, headers={"Retry-After": "7"}),
            RateLimitedError,
            "after 7 s",
        ),
        (httpx.Response(500), ProviderUnavailableError, "HTTP 500"),
        (httpx.Response(200, text="not json"), InvalidResponseError, "not JSON"),
        (
            httpx.Response(200, json={"expires_in": "599"}),
            InvalidResponseError,
            "access_token",
        ),
        (
            httpx.Response(200, json={"access_token": "t", "expires_in": "soon"}),
            InvalidResponseError,
            "expires_in 'soon'",
        ),
    ],
    ids=[
        "401",
        "400",
        "403-html",
        "429",
        "500",
        "bad-json",
        "no-token",
        "bad-expiry",
    ],
)
async def test_token_endpoint_errors(
    private_key: RSAKey, response: httpx.Response, error: type[Exception], fragment: str
) -> None:
    async with token_client(lambda request: response) as client:
        with pytest.raises(error) as raised:
            await make_auth(private_key).access_token(client)

    message = str(raised.value)
    assert message.startswith("nhs token request: ")
    assert fragment in message
    assert API_KEY not in message


@pytest.mark.asyncio
async def test_token_timeout_is_unavailable(private_key: RSAKey) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    async with token_client(handler) as client:
        with pytest.raises(ProviderUnavailableError, match="timed out") as raised:
            await make_auth(private_key).access_token(client)

    assert isinstance(raised.value.__cause__, httpx.ConnectTimeout)


# Secrets


@pytest.mark.asyncio
async def test_secrets_absent_from_repr_and_logs(
    private_key: RSAKey, nhs_simulator: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = make_auth(private_key)
    auth.token_url = "http://testserver/oauth2/token"

    async with simulator_client(nhs_simulator) as client:
        token = await auth.access_token(client)

    assert API_KEY not in repr(auth)
    assert token not in repr(auth)
    assert "fetched access token" in caplog.text
    assert API_KEY not in caplog.text
    assert token not in caplog.text


# Key loading


def test_missing_key_file_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.pem"

    with pytest.raises(ConfigurationError, match="absent.pem"):
        load_private_key("nhs", missing)


def test_garbage_key_rejected(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pem"
    path.write_text(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"
    )

    with pytest.raises(ConfigurationError, match="not a PEM RSA private key") as raised:
        load_private_key("nhs", path)

    assert "c2VjcmV0" not in str(raised.value)


def test_public_key_file_rejected(tmp_path: Path, nhs_public_key_pem: bytes) -> None:
    path = tmp_path / "public.pem"
    path.write_bytes(nhs_public_key_pem)

    with pytest.raises(ConfigurationError, match="contains a public key"):
        load_private_key("nhs", path)


def test_encrypted_key_needs_password(
    tmp_path: Path, nhs_rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "encrypted.pem"
    path.write_bytes(
        nhs_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass-phrase"),
        )
    )

    assert load_private_key("nhs", path, "pass-phrase").is_private
    with pytest.raises(ConfigurationError, match="password is wrong"):
        load_private_key("nhs", path)
