"""The one way adapters build their HTTP clients.

Every adapter client gets the TLS context from build_ssl_context, timeouts and
connection pool limits from the provider config and one INFO log line per
exchange. Keeping this in
one place means no adapter can skip certificate checks or log a header.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from typing import Any

import httpcore
import httpx

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderInfo
from carecert.adapters.tls import PinningBackend, build_ssl_context, certificate_pins

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_KEEPALIVE_EXPIRY",
    "DEFAULT_MAX_KEEPALIVE",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_TIMEOUT",
    "build_async_client",
    "build_limits",
    "build_pinned_transport",
    "build_timeout",
]

log = logging.getLogger("carecert.http")

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for each read, write and pool wait."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds allowed to open a connection, TLS handshake included."""

DEFAULT_POOL_SIZE = 20
"""Maximum open connections per client, so per provider instance."""

DEFAULT_MAX_KEEPALIVE = 10
"""Maximum idle connections kept open for reuse."""

DEFAULT_KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept open, the same as httpx 0.28's default."""


def build_async_client(
    info: ProviderInfo,
    config: Mapping[str, Any],
    *,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """Build the httpx.AsyncClient for one adapter instance.

    Config keys: the timeout keys of build_timeout, the pool keys of
    build_limits, the TLS keys that build_ssl_context reads,
    ``certificate_pins`` (see certificate_pins), and
    ``transport`` (an
    httpx.AsyncBaseTransport that replaces the network, as the harness does to
    reach an in-process simulator). The ``transport`` argument takes precedence
    over the config key. httpx ignores ``verify`` when a transport is given,
    so the TLS context applies only to real connections. It is built anyway,
    so that a bad TLS setting fails here. The same holds for the pool limits
    and ``certificate_pins``, which build_pinned_transport enforces.
    """
    ssl_context = build_ssl_context(info, config)
    pins = certificate_pins(info, config)
    limits = build_limits(info, config)
    chosen = transport if transport is not None else config.get("transport")
    if chosen is not None and not isinstance(chosen, httpx.AsyncBaseTransport):
        raise ConfigurationError(
            f"{info.id}: config key 'transport' must be an httpx.AsyncBaseTransport, "
            f"got {type(chosen).__name__}. Pass e.g. httpx.ASGITransport(app)."
        )

    # NOTE: the logged path can contain a patient identifier, as PDS puts the
    # NHS number there; treat the carecert.http log as personal data.
    async def log_exchange(response: httpx.Response) -> None:
        request = response.request
        log.info(
            "%s %s -> %d (provider %s)",
            request.method,
            _url_without_query(request.url),
            response.status_code,
            info.id,
        )

    if pins and chosen is not None:
        log.warning(
            "%s: certificate_pins are not checked, because config 'transport' "
            "(%s) replaces the network connection",
            info.id,
            type(chosen).__name__,
        )
    elif pins:
        chosen = build_pinned_transport(info, ssl_context, limits, pins)
    return httpx.AsyncClient(
        base_url=base_url or "",
        verify=ssl_context,
        timeout=build_timeout(info, config),
        limits=limits,
        transport=chosen,
        event_hooks={"response": [log_exchange]},
        follow_redirects=False,
    )


def build_pinned_transport(
    info: ProviderInfo,
    ssl_context: ssl.SSLContext,
    limits: httpx.Limits,
    pins: frozenset[str],
) -> httpx.AsyncHTTPTransport:
    """Build an httpx transport whose connections check ``pins`` (PinningBackend).

    httpx 0.28 has no option for an httpcore network backend, so the
    transport's connection pool is replaced by one built with the same
    settings. NOTE: this uses the private ``_pool`` attribute, so check it
    when upgrading httpx. The tests against real TLS servers fail if pins stop
    being enforced.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise ConfigurationError(
            f"{info.id}: certificate_pins needs httpx's AsyncHTTPTransport to keep "
            "an httpcore.AsyncConnectionPool in _pool, which this httpx version "
            f"({httpx.__version__}) does not. Pin httpx to 0.28."
        )
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinningBackend(info.id, pins),
    )
    return transport


def build_timeout(info: ProviderInfo, config: Mapping[str, Any]) -> httpx.Timeout:
    """Build the client timeouts from the config, in seconds.

    ``connect_timeout`` bounds opening a connection. ``read_timeout``,
    ``write_timeout`` and ``pool_timeout`` (the wait for a free pooled
    connection) default to ``timeout``.
    """
    timeout = _seconds(info, config, "timeout", DEFAULT_TIMEOUT)
    return httpx.Timeout(
        timeout,
        connect=_seconds(info, config, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
        read=_seconds(info, config, "read_timeout", timeout),
        write=_seconds(info, config, "write_timeout", timeout),
        pool=_seconds(info, config, "pool_timeout", timeout),
    )


def build_limits(info: ProviderInfo, config: Mapping[str, Any]) -> httpx.Limits:
    """Build the connection pool limits from the config.

    ``pool_size`` caps open connections and ``max_keepalive`` the idle ones
    kept for reuse (at most ``pool_size``). ``keepalive_expiry`` is in seconds.
    """
    pool_size = _count(info, config, "pool_size", DEFAULT_POOL_SIZE)
    max_keepalive = _count(
        info, config, "max_keepalive", min(DEFAULT_MAX_KEEPALIVE, pool_size)
    )
    if max_keepalive > pool_size:
        raise ConfigurationError(
            f"{info.id}: max_keepalive {max_keepalive} is larger than pool_size "
            f"{pool_size}. Give a max_keepalive of {pool_size} or less."
        )
    return httpx.Limits(
        max_connections=pool_size,
        max_keepalive_connections=max_keepalive,
        keepalive_expiry=_seconds(
            info, config, "keepalive_expiry", DEFAULT_KEEPALIVE_EXPIRY
        ),
    )


def _count(
    info: ProviderInfo, config: Mapping[str, Any], key: str, default: int
) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{info.id}: {key} {value!r} is invalid. "
            "Give a whole number of connections of 1 or more, e.g. 20."
        )
    return value


def _seconds(
    info: ProviderInfo, config: Mapping[str, Any], key: str, default: float
) -> float:
    value = config.get(key)
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise ConfigurationError(
            f"{info.id}: {key} {value!r} is invalid. "
            "Give a positive number of seconds, e.g. 30."
        )
    return seconds


def _url_without_query(url: httpx.URL) -> str:
    # Built from parts so that neither the query nor any userinfo is logged.
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.raw_path.split(b'?')[0].decode()}"
