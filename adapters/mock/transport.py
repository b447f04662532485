"""An httpx transport to an in-process ASGI app that fails like a socket would."""

from __future__ import annotations

import httpx

from carecert.adapters.mock.faults import (
    SimulatedConnectError,
    SimulatedReset,
    SimulatedTimeout,
)

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.ASGITransport):
    """httpx.ASGITransport that maps injected faults to httpx errors.

    SimulatedConnectError becomes httpx.ConnectError, SimulatedReset
    httpx.ReadError and SimulatedTimeout httpx.ReadTimeout. A body shorter
    than its Content-Length raises httpx.RemoteProtocolError, as httpcore
    does for a connection closed mid-body.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except SimulatedConnectError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except SimulatedReset as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        body = await response.aread()
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) != len(body):
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                f"(received {len(body)} of {declared} bytes)",
                request=request,
            )
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            extensions=response.extensions,
        )
