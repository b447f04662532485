"""Reading the idempotency key that de-duplicates a simulator's writes."""

from __future__ import annotations

from starlette.requests import Request

from carecert.adapters.resilience import DEFAULT_IDEMPOTENCY_HEADER

__all__ = ["idempotency_key"]


def idempotency_key(
    request: Request, header: str = DEFAULT_IDEMPOTENCY_HEADER
) -> str | None:
    """Return the request's idempotency key without surrounding white space.

    Returns None when the header is missing or blank, which the simulators
    reject because a write without a key could be applied twice on a retry.
    """
    key = request.headers.get(header, "").strip()
    return key or None
