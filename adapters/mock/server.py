"""Serving a simulator app with uvicorn on a loopback socket."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from carecert.adapters.endpoints import LOOPBACK_HOSTS

__all__ = ["STARTUP_TIMEOUT", "serve_on_loopback"]

STARTUP_TIMEOUT = 10.0
"""Seconds to wait for the server to listen, and for its thread to stop."""


@contextmanager
def serve_on_loopback(
    app: Any,
    *,
    name: str,
    host: str = "127.0.0.1",
    port: int = 0,
    certfile: str | None = None,
    keyfile: str | None = None,
    client_ca: str | None = None,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread and yield its base URL.

    ``name`` names the simulator in errors and its thread. Port 0 picks a
    free port. Only loopback hosts are allowed, so the simulator is never
    reachable from the network. TLS is on when ``certfile`` is given, and
    with ``client_ca`` (a PEM file) the server requires a client certificate
    signed by that CA.
    """
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"run_server host {host!r} is not a loopback address. "
            "Use 127.0.0.1 so the simulator stays on this machine."
        )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        ssl_ca_certs=client_ca,
        ssl_cert_reqs=ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread_name = f"{name.lower().replace(' ', '-')}-simulator"
    thread = threading.Thread(target=server.run, name=thread_name, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread, name)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        scheme = "https" if certfile else "http"
        authority = f"[{host}]" if ":" in host else host
        yield f"{scheme}://{authority}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)


def _wait_until_started(
    server: uvicorn.Server, thread: threading.Thread, name: str
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(
                f"The {name} simulator server stopped during startup; "
                "see the uvicorn error logged above."
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"The {name} simulator server did not start within "
                f"{STARTUP_TIMEOUT:g} s."
            )
        time.sleep(0.01)
