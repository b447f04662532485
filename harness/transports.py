"""httpx transports the suites use to prove that nothing was sent."""

from __future__ import annotations

import httpx

__all__ = ["RecordingTransport"]


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
