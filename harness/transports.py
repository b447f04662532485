"""httpx transports the suites use to prove that nothing was sent."""

from __future__ import annotations

import httpx

__all__ = ["CapturingTransport", "RecordingTransport"]


class RecordingTransport(httpx.AsyncBaseTransport):
    """Record every request that reaches it and return status 599.

    Compliance tests hand it to an adapter whose guard should stop the call
    first, then assert that ``requests`` is empty.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            599,
            json={
                "error": "RecordingTransport: this request should not have been sent"
            },
            request=request,
        )


class CapturingTransport(httpx.AsyncBaseTransport):
    """Pass requests to another transport and keep each exchange, bodies read.

    ``--mock-api`` runs use it to check the simulator traffic of this run,
    since no cassette is involved.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        # A response built from bytes can be read again by the client.
        captured = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            request=request,
        )
        self.exchanges.append((request, captured))
        return captured

    async def aclose(self) -> None:
        await self.inner.aclose()
