"""An ASGI middleware that injects HTTP and connection faults into any app.

Each request draws from a seeded random generator, so the same seed and the
same request order give the same faults. A fault is injected either before
the wrapped app runs (the request is not applied) or after it (the app
applied the request and its response is replaced, cut short or delayed).

Connection-level faults are exceptions raised inside the app.
InProcessTransport turns them into the httpx errors a real socket would give.
Served by uvicorn, a reset or timeout ends the connection after the response
headers, so the client gets httpx.RemoteProtocolError, and a connect error
gets HTTP 500 from the server.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_FAULT_KINDS",
    "FaultInjector",
    "FaultKind",
    "FaultMiddleware",
    "FaultPhase",
    "InjectedFault",
    "SimulatedConnectError",
    "SimulatedReset",
    "SimulatedTimeout",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultKind(StrEnum):
    """Faults the injector can produce."""

    RATE_LIMITED = "429"
    INTERNAL_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    GATEWAY_TIMEOUT = "504"
    CONNECT_ERROR = "connect_error"
    RESET = "reset"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    INVALID_JSON = "invalid_json"
    SLOW_BODY = "slow_body"


class FaultPhase(StrEnum):
    """Whether a fault happens before or after the app handled the request."""

    BEFORE = "before"
    AFTER = "after"


_BOTH = (FaultPhase.BEFORE, FaultPhase.AFTER)

# A rate limiter or a refused connection stops a request before the app
# receives it, and a damaged body needs the app's response. So those kinds
# have one phase.
_PHASES: dict[FaultKind, tuple[FaultPhase, ...]] = {
    FaultKind.RATE_LIMITED: (FaultPhase.BEFORE,),
    FaultKind.INTERNAL_ERROR: _BOTH,
    FaultKind.BAD_GATEWAY: _BOTH,
    FaultKind.UNAVAILABLE: _BOTH,
    FaultKind.GATEWAY_TIMEOUT: _BOTH,
    FaultKind.CONNECT_ERROR: (FaultPhase.BEFORE,),
    FaultKind.RESET: _BOTH,
    FaultKind.TIMEOUT: _BOTH,
    FaultKind.TRUNCATED: (FaultPhase.AFTER,),
    FaultKind.INVALID_JSON: (FaultPhase.AFTER,),
    FaultKind.SLOW_BODY: (FaultPhase.AFTER,),
}

DEFAULT_FAULT_KINDS = tuple(FaultKind)

_STATUS_KINDS = {
    FaultKind.RATE_LIMITED: 429,
    FaultKind.INTERNAL_ERROR: 500,
    FaultKind.BAD_GATEWAY: 502,
    FaultKind.UNAVAILABLE: 503,
    FaultKind.GATEWAY_TIMEOUT: 504,
}

_SLOW_BODY_CHUNKS = 4


class SimulatedConnectError(ConnectionRefusedError):
    """Raised by the injector for a connection that was never opened."""


class SimulatedReset(ConnectionResetError):
    """Raised by the injector for a connection reset by the server."""


class SimulatedTimeout(TimeoutError):
    """Raised by the injector for a response that never arrives."""


@dataclass(frozen=True)
class InjectedFault:
    """One injected fault: the request's number from 0, what and when."""

    request_number: int
    kind: FaultKind
    phase: FaultPhase
    method: str
    path: str


class FaultInjector:
    """Choose and inject faults for a share ``rate`` (0 to 1) of requests.

    ``kinds`` lists the faults to draw from, uniformly, and ``phases``
    restricts when they happen. ``retry_after`` is the Retry-After value sent
    with 429. ``hang_seconds`` is how long a timeout fault waits before it
    fails, and ``slow_chunk_seconds`` the pause between the chunks of a slow
    body, both through ``sleep``. Apply it with FaultMiddleware, e.g.
    ``app.add_middleware(FaultMiddleware, injector=injector)``.
    """

    def __init__(
        self,
        rate: float,
        kinds: Iterable[FaultKind | str] = DEFAULT_FAULT_KINDS,
        seed: int | None = None,
        *,
        phases: Iterable[FaultPhase | str] = _BOTH,
        retry_after: str = "1",
        hang_seconds: float = 0.0,
        slow_chunk_seconds: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {rate!r} is invalid. Give 0.0 to 1.0.")
        self.rate = rate
        self.kinds = tuple(_fault_kind(kind) for kind in kinds)
        self.phases = tuple(FaultPhase(phase) for phase in phases)
        if not self.kinds:
            raise ValueError("kinds is empty. Name one or more FaultKind values.")
        for kind in self.kinds:
            if not set(_PHASES[kind]) & set(self.phases):
                raise ValueError(
                    f"fault kind {kind.value!r} cannot happen in phases "
                    f"{[p.value for p in self.phases]}. It needs one of "
                    f"{[p.value for p in _PHASES[kind]]}."
                )
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.slow_chunk_seconds = slow_chunk_seconds
        self.injected: list[InjectedFault] = []
        self.requests = 0
        self._sleep = sleep
        self._rng = random.Random(seed)

    def choose(self, method: str, path: str) -> InjectedFault | None:
        """Draw the fault for the next request, or None for no fault."""
        number = self.requests
        self.requests += 1
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        allowed = [phase for phase in _PHASES[kind] if phase in self.phases]
        fault = InjectedFault(number, kind, self._rng.choice(allowed), method, path)
        self.injected.append(fault)
        return fault

    async def handle(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Serve one ASGI call, injecting the fault drawn for it, if any."""
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        fault = self.choose(scope["method"], scope["path"])
        if fault is None:
            await app(scope, receive, send)
            return
        if fault.phase is FaultPhase.BEFORE:
            await self._fail(fault.kind, send)
            return
        captured = _CapturedResponse()
        await app(scope, receive, captured.send)
        await self._damage(fault.kind, captured, send)

    async def _fail(self, kind: FaultKind, send: Send) -> None:
        if kind in _STATUS_KINDS:
            await _send_error(send, _STATUS_KINDS[kind], self.retry_after)
        elif kind is FaultKind.CONNECT_ERROR:
            raise SimulatedConnectError("connection refused (injected fault)")
        elif kind is FaultKind.RESET:
            await _start_unfinished_response(send)
            raise SimulatedReset("connection reset by peer (injected fault)")
        elif kind is FaultKind.TIMEOUT:
            await self._sleep(self.hang_seconds)
            await _start_unfinished_response(send)
            raise SimulatedTimeout("no response in time (injected fault)")
        else:
            raise AssertionError(f"fault kind {kind} has no BEFORE phase")

    async def _damage(
        self, kind: FaultKind, captured: _CapturedResponse, send: Send
    ) -> None:
        body = captured.body
        if kind is FaultKind.TRUNCATED:
            # Content-Length still names the full body, as when a connection
            # drops mid-body.
            cut = body[: len(body) // 2]
            await _send_response(send, captured.status, captured.headers, cut)
        elif kind is FaultKind.INVALID_JSON:
            cut = body[: len(body) // 2]
            headers = _with_content_length(captured.headers, len(cut))
            await _send_response(send, captured.status, headers, cut)
        elif kind is FaultKind.SLOW_BODY:
            await self._send_slowly(captured, send)
        else:
            await self._fail(kind, send)

    async def _send_slowly(self, captured: _CapturedResponse, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": captured.status,
                "headers": captured.headers,
            }
        )
        body = captured.body
        size = max(1, -(-len(body) // _SLOW_BODY_CHUNKS))
        for offset in range(0, len(body), size):
            await self._sleep(self.slow_chunk_seconds)
            await send(
                {
                    "type": "http.response.body",
                    "body": body[offset : offset + size],
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class FaultMiddleware:
    """ASGI middleware that passes every call through a FaultInjector."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.injector.handle(self.app, scope, receive, send)


class _CapturedResponse:
    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self._body = bytearray()

    @property
    def body(self) -> bytes:
        return bytes(self._body)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self._body.extend(message.get("body", b""))


def _fault_kind(kind: FaultKind | str) -> FaultKind:
    try:
        return FaultKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in FaultKind)
        raise ValueError(
            f"Unknown fault kind {kind!r}. Known kinds: {known}."
        ) from None


def _with_content_length(
    headers: list[tuple[bytes, bytes]], length: int
) -> list[tuple[bytes, bytes]]:
    other_headers = [
        (name, value) for name, value in headers if name.lower() != b"content-length"
    ]
    return [*other_headers, (b"content-length", str(length).encode())]


async def _send_error(send: Send, status: int, retry_after: str) -> None:
    body = json.dumps(
        {"error": "injected_fault", "detail": f"HTTP {status} from FaultInjector"}
    ).encode()
    headers = [(b"content-type", b"application/json")]
    if status in (429, 503):
        headers.append((b"retry-after", retry_after.encode()))
    await _send_response(send, status, _with_content_length(headers, len(body)), body)


async def _start_unfinished_response(send: Send) -> None:
    # Headers promise a body that never comes, so a socket client sees the
    # connection close early instead of a complete HTTP 500.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"64")],
        }
    )


async def _send_response(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
