"""A transport wrapper that records what an adapter sends and receives."""

from __future__ import annotations

import httpx


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass requests to another transport and keep each request and response.

    Both bodies are read here, so that tests can inspect them after the
    adapter returns. ``requests`` lists every request sent, including one
    whose transport raised, while ``exchanges`` lists only the requests that
    got a response.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def paths(self) -> list[str]:
        """Return the path of each request, in order, without the query."""
        return [request.url.path for request in self.requests]

    def targets(self) -> list[str]:
        """Return the path and query of each request, in order."""
        return [request.url.raw_path.decode("ascii") for request in self.requests]
