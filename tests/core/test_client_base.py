"""HttpProvider: the client lifecycle and request sending that adapters share."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance.audit import AuditStore
from carecert.adapters.errors import (
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    ResourceNotFoundError,
)
from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)

BASE_URL = "https://api.example.test"


class HeaderAuth(httpx.Auth):
    """Stamps the id of the client it was built for, to tell auths apart."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Test {id(self.client)}"
        yield request


class ExampleProvider(HttpProvider):
    """The smallest HttpProvider: a fixed auth hook and a status mapper."""

    info = ProviderInfo(
        id="client-base-test",
        name="HttpProvider test provider",
        type=ProviderType.MOCK,
        country="GB",
        regions=("UK",),
        compliance=("UK GDPR",),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(ProviderHost("api.example.test", "GB", "test API"),),
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.auth_builds: list[httpx.AsyncClient] = []
        self.status_checks: list[tuple[str, int]] = []
        self._open()

    def _build_auth(self, client: httpx.AsyncClient) -> httpx.Auth:
        self.auth_builds.append(client)
        return HeaderAuth(client)

    def _default_headers(self) -> dict[str, str]:
        return {"X-Api-Key": "test-key"}

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        self.status_checks.append((operation, response.status_code))
        if response.status_code == 404:
            raise ResourceNotFoundError(self.info.id, operation, "HTTP 404: gone.")
        if response.status_code >= 400:
            raise ProviderUnavailableError(
                self.info.id, operation, f"HTTP {response.status_code}."
            )


class Server:
    """A MockTransport that records requests.

    It returns the listed statuses in turn, then repeats the last one.
    """

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status, json={"ok": status < 400})


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def audit() -> Iterator[AuditStore]:
    store = AuditStore(retention_years={"UK": 7})
    yield store
    store.close()


@pytest.fixture
def make_provider(audit: AuditStore) -> Callable[..., ExampleProvider]:
    def build(server: Server, **config: Any) -> ExampleProvider:
        return ExampleProvider(
            {
                "transport": server.transport,
                "audit_store": audit,
                "retry_sleep": no_sleep,
                "retry_attempts": 3,
                **config,
            }
        )

    return build


# Lifecycle


def test_client_built_at_construction(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    provider = make_provider(Server(200))

    client = provider._http()

    assert not client.is_closed
    assert provider._http() is client
    assert provider.auth_builds == [client]


@pytest.mark.asyncio
async def test_async_with_closes_client(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    async with make_provider(Server(200)) as provider:
        client = provider._http()

    assert client.is_closed


@pytest.mark.asyncio
async def test_aclose_twice_is_safe(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    provider = make_provider(Server(200))

    await provider.aclose()
    await provider.aclose()

    assert provider._client is None


@pytest.mark.asyncio
async def test_initialize_rebuilds_after_aclose(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)
    first = provider._http()
    await provider.aclose()

    await provider.initialize()
    second = provider._http()

    assert first.is_closed
    assert second is not first
    assert not second.is_closed
    assert provider.auth_builds == [first, second]
    await provider.aclose()


@pytest.mark.asyncio
async def test_send_after_aclose_uses_new_auth(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)
    await provider.aclose()

    await provider._send("read", "GET", f"{BASE_URL}/items")

    client = provider._http()
    assert server.requests[0].headers["Authorization"] == f"Test {id(client)}"
    await provider.aclose()


@pytest.mark.asyncio
async def test_aclose_closes_guard(
    make_provider: Callable[..., ExampleProvider],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = make_provider(Server(200))
    closes: list[bool] = []
    monkeypatch.setattr(provider.guard, "close", lambda: closes.append(True))

    await provider.aclose()
    await provider.aclose()

    assert closes == [True, True]


@pytest.mark.asyncio
async def test_guard_closes_owned_store(
    make_provider: Callable[..., ExampleProvider],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.sqlite3"
    provider = make_provider(Server(200), audit_store=str(path))
    store = provider.guard.audit
    closed: list[bool] = []
    original = store.close

    def close() -> None:
        closed.append(True)
        original()

    store.close = close  # type: ignore[method-assign]

    await provider.aclose()

    assert closed == [True]


# Requests


@pytest.mark.asyncio
async def test_body_sent_as_utf8_json(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(201)
    provider = make_provider(server)

    await provider._send("create", "POST", f"{BASE_URL}/items", body={"name": "José"})

    request = server.requests[0]
    assert request.content == json.dumps({"name": "José"}, ensure_ascii=False).encode()
    assert request.headers["Content-Type"] == "application/fhir+json"
    assert request.headers["Accept"] == "application/fhir+json"
    assert request.headers["X-Api-Key"] == "test-key"
    assert request.headers["Authorization"].startswith("Test ")


@pytest.mark.asyncio
async def test_content_sent_unchanged(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)

    await provider._send(
        "upload",
        "PUT",
        f"{BASE_URL}/file",
        content=b"\x00raw",
        headers={"Content-Type": "text/plain", "Accept": "application/json"},
    )

    request = server.requests[0]
    assert request.content == b"\x00raw"
    assert request.headers["Content-Type"] == "text/plain"
    assert request.headers["Accept"] == "application/json"


@pytest.mark.asyncio
async def test_body_and_content_rejected(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)

    with pytest.raises(TypeError, match="body or content"):
        await provider._send("x", "POST", BASE_URL, body={}, content=b"{}")

    assert server.requests == []


@pytest.mark.asyncio
async def test_without_auth_sends_no_authorization(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)

    await provider._send("read", "GET", f"{BASE_URL}/items", with_auth=False)

    assert "Authorization" not in server.requests[0].headers


@pytest.mark.asyncio
async def test_empty_params_keep_url_query(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)
    url = f"{BASE_URL}/Condition?patient=1&_getpages=a%7Cb"

    await provider._send("search", "GET", url, params={})

    assert str(server.requests[0].url) == url


@pytest.mark.asyncio
async def test_params_added_to_url(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(200)
    provider = make_provider(server)

    await provider._send("search", "GET", f"{BASE_URL}/items", params={"q": "a"})

    assert server.requests[0].url.params["q"] == "a"


# Retries and replay safety


@pytest.mark.asyncio
async def test_get_retried_after_503(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 200)
    provider = make_provider(server)

    response = await provider._send("read", "GET", f"{BASE_URL}/items")

    assert response.status_code == 200
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_post_without_key_not_retried(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 201)
    provider = make_provider(server)

    with pytest.raises(ProviderUnavailableError, match="HTTP 503"):
        await provider._send("create", "POST", f"{BASE_URL}/items", body={"a": 1})

    assert len(server.requests) == 1
    assert provider.status_checks == [("create", 503)]


@pytest.mark.asyncio
async def test_post_with_key_retried_same_key(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 201)
    provider = make_provider(server)

    response = await provider._send(
        "create",
        "POST",
        f"{BASE_URL}/items",
        body={"a": 1},
        headers={"Idempotency-Key": "key-1"},
    )

    assert response.status_code == 201
    assert len(server.requests) == 2
    keys = [request.headers["Idempotency-Key"] for request in server.requests]
    assert keys == ["key-1", "key-1"]


@pytest.mark.asyncio
async def test_blank_key_not_replay_safe(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 201)
    provider = make_provider(server)

    with pytest.raises(ProviderUnavailableError):
        await provider._send(
            "create",
            "POST",
            f"{BASE_URL}/items",
            body={"a": 1},
            headers={"Idempotency-Key": " "},
        )

    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_idempotency_header_per_class(
    make_provider: Callable[..., ExampleProvider],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ExampleProvider, "idempotency_header", "If-None-Exist")
    server = Server(503, 201)
    provider = make_provider(server)

    await provider._send(
        "create",
        "POST",
        f"{BASE_URL}/items",
        body={"a": 1},
        headers={"If-None-Exist": "identifier=x"},
    )

    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_no_idempotency_header_not_retried(
    make_provider: Callable[..., ExampleProvider],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ExampleProvider, "idempotency_header", None)
    server = Server(503, 201)
    provider = make_provider(server)

    with pytest.raises(ProviderUnavailableError):
        await provider._send(
            "create",
            "POST",
            f"{BASE_URL}/items",
            body={"a": 1},
            headers={"Idempotency-Key": "key-1"},
        )

    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_replay_safe_overrides_method(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 200)
    provider = make_provider(server)

    response = await provider._send(
        "lookup", "POST", f"{BASE_URL}/lookup", body={"a": 1}, replay_safe=True
    )

    assert response.status_code == 200
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_replay_safe_false_stops_get_retry(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503, 200)
    provider = make_provider(server)

    with pytest.raises(ProviderUnavailableError):
        await provider._send("read", "GET", f"{BASE_URL}/items", replay_safe=False)

    assert len(server.requests) == 1


# Final errors


@pytest.mark.asyncio
async def test_final_4xx_uses_status_mapper(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(404)
    provider = make_provider(server)

    with pytest.raises(ResourceNotFoundError, match="gone"):
        await provider._send("read", "GET", f"{BASE_URL}/items")

    assert len(server.requests) == 1
    assert provider.status_checks == [("read", 404)]


@pytest.mark.asyncio
async def test_retries_exhausted_uses_status_mapper(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    server = Server(503)
    provider = make_provider(server)

    with pytest.raises(ProviderUnavailableError, match="HTTP 503") as raised:
        await provider._send("read", "GET", f"{BASE_URL}/items")

    assert len(server.requests) == 3
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)


@pytest.mark.asyncio
async def test_transport_error_mapped(audit: AuditStore) -> None:
    attempts: list[httpx.Request] = []

    def fail_to_connect(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    provider = ExampleProvider(
        {
            "transport": httpx.MockTransport(fail_to_connect),
            "audit_store": audit,
            "retry_sleep": no_sleep,
            "retry_attempts": 2,
        }
    )

    with pytest.raises(ProviderError, match="failed before a response") as raised:
        await provider._send("create", "POST", f"{BASE_URL}/items", body={"a": 1})

    assert isinstance(raised.value, ProviderUnavailableError)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    # A refused connection sent nothing, so even a POST without a key retries.
    assert len(attempts) == 2


# Mapping


def test_map_value_error_invalid_response(
    make_provider: Callable[..., ExampleProvider],
) -> None:
    provider = make_provider(Server(200))

    def mapper(body: Any) -> Any:
        raise ValueError("'X' is not a valid code")

    with pytest.raises(InvalidResponseError, match="coded value is invalid"):
        provider._map("read", "item", mapper, {})
