"""Check configured base URLs, which every HTTP adapter does the same way."""

from __future__ import annotations

from typing import Any

import httpx

from carecert.adapters.errors import ConfigurationError

__all__ = ["LOOPBACK_HOSTS", "checked_url", "url_origin"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""Hosts to which plain http is allowed, for simulators and local tests."""


def checked_url(provider_id: str, key: str, value: Any, *, example: str) -> str:
    """Return config ``key`` as an absolute URL without a trailing slash.

    Raises ConfigurationError unless the URL is https, or http to a loopback
    host, and has no query or fragment. ``example`` is a valid URL for the
    error message.
    """
    try:
        url = httpx.URL(str(value))
    except httpx.InvalidURL as exc:
        raise ConfigurationError(
            f"{provider_id}: {key} {value!r} is not a valid URL: {exc}."
        ) from exc
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError(
            f"{provider_id}: {key} {value!r} must be an absolute https URL, "
            f"e.g. {example}."
        )
    if url.scheme == "http" and url.host not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"{provider_id}: {key} {value!r} uses plain http, which is allowed "
            "only for 127.0.0.1, ::1 and localhost. Use https."
        )
    if url.query or url.fragment:
        raise ConfigurationError(
            f"{provider_id}: {key} {value!r} must not contain a query or fragment."
        )
    return str(url).rstrip("/")


def url_origin(url: str) -> str:
    """Return the scheme, host and port of ``url``, bracketing an IPv6 host."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"
