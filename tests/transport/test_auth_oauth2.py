"""OAuth 2.0 client credentials: client authentication, caching and 401 retry."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import httpx
import pytest
import pytest_asyncio
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.auth import (
    CLIENT_ASSERTION_TYPE,
    REFRESH_MARGIN,
    ClientCredentialsGrant,
    JWTAssertionSigner,
    OAuth2BearerAuth,
    OAuth2TokenSource,
    TokenEndpointAuth,
)
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

CLIENT_ID = "client-5b1e"
CLIENT_SECRET = "s3cret-value-91c2"
BASE_URL = "http://testserver"
TOKEN_URL = f"{BASE_URL}/oauth2/token"


class Clock:
    """A settable clock, in seconds since the epoch."""

    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class TokenServer:
    """A token endpoint and one protected API route, in process."""

    expires_in: float = 600
    token_delay: float = 0.0
    reject_every_token: bool = False
    stale_401_step: float = 0.0
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    api_requests: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth2/token", self.token, methods=["POST"]),
                Route("/api", self.api, methods=["GET", "POST"]),
            ]
        )

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.token_requests.append(
            {"form": form, "authorization": request.headers.get("Authorization")}
        )
        # Holding the response open lets concurrent callers pile up.
        await asyncio.sleep(self.token_delay)
        token = f"token-{len(self.token_requests)}"
        self.valid_tokens.add(token)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            }
        )

    async def api(self, request: Request) -> Response:
        body = await request.body()
        authorization = request.headers.get("Authorization", "")
        self.api_requests.append({"authorization": authorization, "body": body})
        token = authorization.removeprefix("Bearer ")
        if self.reject_every_token or token not in self.valid_tokens:
            # Spreads the 401s out in time, so some arrive after a refresh.
            await asyncio.sleep(len(self.api_requests) * self.stale_401_step)
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"token": token, "body": body.decode()})


@pytest.fixture
def server() -> TokenServer:
    return TokenServer()


@pytest_asyncio.fixture
async def client(server: TokenServer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=server.app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def secret_source(
    method: str = "client_secret_basic", clock: Callable[[], float] | None = None
) -> OAuth2TokenSource:
    build = getattr(TokenEndpointAuth, method)
    return OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=build("acme", CLIENT_ID, CLIENT_SECRET),
        grant=ClientCredentialsGrant(["patient.read", "appointment.write"]),
        **({"clock": clock} if clock else {}),
    )


def bearer_client(server: TokenServer, source: OAuth2TokenSource) -> httpx.AsyncClient:
    """Build a client that fetches tokens and sends them on its own requests."""
    transport = httpx.ASGITransport(app=server.app())
    client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
    client.auth = OAuth2BearerAuth(source, client)
    return client


# Client authentication at the token endpoint


@pytest.mark.asyncio
async def test_client_secret_basic_request(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    token = await secret_source("client_secret_basic").access_token(client)

    assert token == "token-1"
    sent = server.token_requests[0]
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent["authorization"] == f"Basic {expected}"
    assert sent["form"] == {
        "grant_type": "client_credentials",
        "scope": "patient.read appointment.write",
    }


@pytest.mark.asyncio
async def test_client_secret_post_request(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    await secret_source("client_secret_post").access_token(client)

    sent = server.token_requests[0]
    assert sent["authorization"] is None
    assert sent["form"]["grant_type"] == "client_credentials"
    assert sent["form"]["client_id"] == CLIENT_ID
    assert sent["form"]["client_secret"] == CLIENT_SECRET


@pytest.mark.asyncio
async def test_private_key_jwt_request(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    key = RSAKey.generate_key(2048)
    signer = JWTAssertionSigner(
        provider_id="acme",
        client_id=CLIENT_ID,
        private_key=key,
        key_id="kid-1",
        algorithm="RS384",
    )
    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.private_key_jwt(signer),
    )

    await source.access_token(client)

    sent = server.token_requests[0]
    assert sent["authorization"] is None
    assert sent["form"]["grant_type"] == "client_credentials"
    assert sent["form"]["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert "client_secret" not in sent["form"]
    public = RSAKey.import_key(key.as_pem(private=False))
    assertion = jwt.decode(
        sent["form"]["client_assertion"], public, algorithms=["RS384"]
    )
    assert assertion.header["kid"] == "kid-1"
    assert assertion.claims["iss"] == CLIENT_ID
    assert assertion.claims["sub"] == CLIENT_ID
    assert assertion.claims["aud"] == TOKEN_URL


@pytest.mark.asyncio
async def test_public_client_sends_only_client_id(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.public_client(CLIENT_ID),
    )

    await source.access_token(client)

    assert server.token_requests[0]["form"] == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
    }


@pytest.mark.parametrize("secret", ["", None])
def test_empty_client_secret_rejected(secret: Any) -> None:
    with pytest.raises(ConfigurationError, match="client_secret is missing"):
        TokenEndpointAuth.client_secret_basic("acme", CLIENT_ID, secret)


@pytest.mark.asyncio
async def test_basic_credentials_form_urlencoded(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before base64,
    # so a ":" in the client id cannot split it from the secret.
    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=TOKEN_URL,
        client_auth=TokenEndpointAuth.client_secret_basic(
            "acme", "client:1", "p%ss word+/é"
        ),
    )

    await source.access_token(client)

    sent = server.token_requests[0]["authorization"]
    decoded = base64.b64decode(sent.removeprefix("Basic ")).decode()
    assert decoded == "client%3A1:p%25ss+word%2B%2F%C3%A9"
    user, secret = decoded.split(":")
    assert unquote_plus(user) == "client:1"
    assert unquote_plus(secret) == "p%ss word+/é"


# Caching and refresh


@pytest.mark.asyncio
async def test_token_refreshed_shortly_before_expiry(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    source = secret_source(clock=clock)

    first = await source.access_token(client)
    clock.now += server.expires_in - REFRESH_MARGIN - 1
    second = await source.access_token(client)
    requests_before_margin = len(server.token_requests)
    clock.now += 1
    third = await source.access_token(client)

    assert first == second
    assert requests_before_margin == 1
    assert third != first
    assert len(server.token_requests) == 2


@pytest.mark.asyncio
async def test_short_token_refreshed_at_half_life(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    server.expires_in = 20
    clock = Clock()
    source = secret_source(clock=clock)

    first = await source.access_token(client)
    clock.now += 9
    second = await source.access_token(client)
    clock.now += 1
    third = await source.access_token(client)

    assert first == second
    assert third != first


@pytest.mark.asyncio
async def test_concurrent_expired_callers_one_request(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    server.token_delay = 0.05
    clock = Clock()
    source = secret_source(clock=clock)
    await source.access_token(client)
    clock.now += server.expires_in + 1

    tokens = await asyncio.gather(*(source.access_token(client) for _ in range(100)))

    assert set(tokens) == {"token-2"}
    assert len(server.token_requests) == 2


@pytest.mark.asyncio
async def test_invalidate_ignores_stale_token(
    server: TokenServer, client: httpx.AsyncClient
) -> None:
    source = secret_source()
    first = await source.access_token(client)
    source.invalidate(first)
    second = await source.access_token(client)

    source.invalidate(first)
    third = await source.access_token(client)

    assert second != first
    assert third == second
    assert len(server.token_requests) == 2


# Bearer auth on API requests


@pytest.mark.asyncio
async def test_bearer_header_sent(server: TokenServer) -> None:
    async with bearer_client(server, secret_source()) as client:
        response = await client.get("/api")

    assert response.status_code == 200
    assert server.api_requests[0]["authorization"] == "Bearer token-1"
    # The token request went out without a Bearer header of its own.
    assert server.token_requests[0]["authorization"].startswith("Basic ")


@pytest.mark.asyncio
async def test_concurrent_requests_expired_token_one_fetch(
    server: TokenServer,
) -> None:
    server.token_delay = 0.05
    clock = Clock()
    source = secret_source(clock=clock)
    async with bearer_client(server, source) as client:
        await client.get("/api")
        clock.now += server.expires_in + 1

        responses = await asyncio.gather(*(client.get("/api") for _ in range(100)))

    assert [r.status_code for r in responses] == [200] * 100
    assert len(server.token_requests) == 2
    assert {r.json()["token"] for r in responses} == {"token-2"}


@pytest.mark.asyncio
async def test_401_refreshes_and_retries_once(server: TokenServer) -> None:
    async with bearer_client(server, secret_source()) as client:
        await client.get("/api")
        server.valid_tokens.clear()

        response = await client.post("/api", content=b"payload-1")

    assert response.status_code == 200
    assert response.json() == {"token": "token-2", "body": "payload-1"}
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 3
    assert server.api_requests[2]["body"] == b"payload-1"


@pytest.mark.asyncio
async def test_second_401_raises_without_loop(server: TokenServer) -> None:
    server.reject_every_token = True

    async with bearer_client(server, secret_source()) as client:
        with pytest.raises(AuthenticationError) as raised:
            await client.get("/api?page=2")

    assert len(server.api_requests) == 2
    assert len(server.token_requests) == 2
    error = raised.value
    assert error.provider == "acme"
    assert error.operation == "GET /api"
    assert str(error).startswith("acme GET /api: HTTP 401 again")
    assert "Check that the client is allowed" in str(error)


@pytest.mark.asyncio
async def test_concurrent_401s_share_one_refresh(server: TokenServer) -> None:
    server.token_delay = 0.05
    async with bearer_client(server, secret_source()) as client:
        await client.get("/api")
        server.valid_tokens.clear()

        responses = await asyncio.gather(*(client.get("/api") for _ in range(100)))

    assert [r.status_code for r in responses] == [200] * 100
    assert len(server.token_requests) == 2


@pytest.mark.asyncio
async def test_late_401s_keep_new_token(server: TokenServer) -> None:
    server.stale_401_step = 0.001
    async with bearer_client(server, secret_source()) as client:
        await client.get("/api")
        server.valid_tokens.clear()

        responses = await asyncio.gather(*(client.get("/api") for _ in range(50)))

    assert [r.status_code for r in responses] == [200] * 50
    assert len(server.token_requests) == 2


def test_sync_client_rejected(server: TokenServer) -> None:
    async_client = httpx.AsyncClient()
    auth = OAuth2BearerAuth(secret_source(), async_client)
    transport = httpx.MockTransport(lambda request: httpx.Response(200))

    with httpx.Client(transport=transport, auth=auth) as client:
        with pytest.raises(ConfigurationError, match="Use it with httpx.AsyncClient"):
            client.get("http://testserver/api")


# Token endpoint failures


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    [
        (
            httpx.Response(
                401,
                json={"error": "invalid_client", "error_description": "unknown"},
            ),
            AuthenticationError,
            "HTTP 401 (invalid_client: unknown). Check the client id",
        ),
        (
            httpx.Response(400, json={"error": "invalid_scope"}),
            AuthenticationError,
            "HTTP 400 (invalid_scope)",
        ),
        (httpx.Response(403, text="<html>"), AuthenticationError, "no OAuth error"),
        (
            httpx.Response(429, headers={"Retry-After": "7"}),
            RateLimitedError,
            "after 7 s",
        ),
        (httpx.Response(503), ProviderUnavailableError, "HTTP 503"),
        (httpx.Response(302), ProviderError, "HTTP 302"),
        (httpx.Response(200, text="not json"), InvalidResponseError, "not JSON"),
        (
            httpx.Response(200, json={"expires_in": 60}),
            InvalidResponseError,
            "no access_token",
        ),
        (
            httpx.Response(200, json={"access_token": "t", "expires_in": 0}),
            InvalidResponseError,
            "expires_in 0",
        ),
    ],
    ids=[
        "401",
        "400",
        "403-html",
        "429",
        "503",
        "302",
        "bad-json",
        "no-token",
        "zero-expiry",
    ],
)
async def test_token_endpoint_errors(
    response: httpx.Response, error: type[Exception], fragment: str
) -> None:
    transport = httpx.MockTransport(lambda request: response)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(error) as raised:
            await secret_source().access_token(client)

    message = str(raised.value)
    assert message.startswith("acme token request: ")
    assert fragment in message
    assert CLIENT_SECRET not in message


@pytest.mark.asyncio
async def test_token_timeout_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderUnavailableError, match="timed out") as raised:
            await secret_source().access_token(client)

    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)


@pytest.mark.asyncio
async def test_token_rejection_during_api_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(401, json={"error": "invalid_client"})
        return httpx.Response(200)

    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.auth = OAuth2BearerAuth(secret_source(), client)
        with pytest.raises(AuthenticationError, match="invalid_client"):
            await client.get("/api")
