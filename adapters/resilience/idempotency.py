"""Rules for sending a request again after a failure.

A request that may have reached the server is sent again only if repeating it
cannot change the outcome. That is so when its method is idempotent (RFC 9110
section 9.2.2), or when it carries an idempotency key in a header that the
provider de-duplicates on. NHS England de-duplicates on X-Request-ID. For
other providers carecert defaults to the Idempotency-Key header.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import httpx

__all__ = [
    "DEFAULT_IDEMPOTENCY_HEADER",
    "IDEMPOTENT_METHODS",
    "NOT_SENT_ERRORS",
    "is_replay_safe",
    "new_idempotency_key",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

DEFAULT_IDEMPOTENCY_HEADER = "Idempotency-Key"

NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Errors raised before any byte of the request left the client.

Any request may be retried after one of these. Read and write errors,
read timeouts and protocol errors may come after the server received the
request, so they are not in this list.
"""


def is_replay_safe(
    method: str,
    headers: Mapping[str, str] | httpx.Headers,
    idempotency_header: str | None,
) -> bool:
    """Return True if sending this request twice has the effect of sending it once.

    ``idempotency_header`` is the header the provider de-duplicates on, or None
    if it honours none. A key only counts if it is present and not empty.
    """
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    if idempotency_header is None:
        return False
    key = httpx.Headers(headers).get(idempotency_header, "")
    return bool(key.strip())


def new_idempotency_key() -> str:
    """Return a new random idempotency key (a UUID4), to reuse on every retry."""
    return str(uuid.uuid4())
