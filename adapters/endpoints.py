"""Check configured base URLs, which every HTTP adapter does the same way."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import httpx

from carecert.adapters.errors import ConfigurationError

__all__ = [
    "LOOPBACK_HOSTS",
    "checked_url",
    "is_loopback_url",
    "reject_mixed_loopback",
    "url_origin",
]

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


def is_loopback_url(url: str) -> bool:
    """Return whether ``url`` points at localhost, 127.0.0.0/8 or ::1."""
    host = httpx.URL(url).host.lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reject_mixed_loopback(
    provider_id: str,
    api_endpoints: Sequence[tuple[str, str]],
    other_endpoints: Sequence[tuple[str, str]],
) -> None:
    """Raise ConfigurationError when a local API base sits beside a remote URL.

    Each endpoint is a pair of the config key that sets it and the resolved
    URL, default or configured. When any of ``api_endpoints`` points at a
    loopback host, every other endpoint must point at one too. Otherwise a
    suite run against a local simulator would send signed token requests or
    patient data to the provider's real hosts, which default URLs point at.
    """
    local = [(key, url) for key, url in api_endpoints if is_loopback_url(url)]
    if not local:
        return
    local_key, local_url = local[0]
    for key, url in (*api_endpoints, *other_endpoints):
        if is_loopback_url(url):
            continue
        host = httpx.URL(local_url).host
        raise ConfigurationError(
            f"{provider_id}: {local_key} points at {host} ({local_url}) but {key} "
            f"at {url}, so one adapter would mix a local server with a remote "
            f"host. Set {key} to your local endpoint too, or set {local_key} to "
            "the provider's host."
        )
