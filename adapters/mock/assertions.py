"""Checks of the signed JWTs that clients send to the provider simulators.

A client assertion (RFC 7523) or partner JWT is signed with the client's
RSA key. The simulators verify the signature with joserfc, then check the
claims the way each provider does, using these shared pieces.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from joserfc.jwk import RSAKey
from starlette.requests import Request

from carecert.adapters.auth import MAX_ASSERTION_LIFETIME

__all__ = [
    "endpoint_url",
    "expiry_problem",
    "import_rsa_key",
    "jti_problem",
    "spend_jti",
]


def import_rsa_key(key: RSAKey | bytes | str) -> RSAKey:
    """Return ``key`` as a joserfc RSAKey, importing it from PEM if needed."""
    return key if isinstance(key, RSAKey) else RSAKey.import_key(key)


def endpoint_url(request: Request) -> str:
    """Return the URL the request was sent to without its query string.

    A client assertion's ``aud`` must be exactly this URL.
    """
    return str(request.url.replace(query=""))


def expiry_problem(exp: Any, now: float) -> str | None:
    """Return why an assertion's ``exp`` is not acceptable at ``now``, or None.

    ``exp`` must be a number after ``now`` and at most MAX_ASSERTION_LIFETIME
    seconds (five minutes) ahead, with one second allowed for clock steps.
    """
    if (
        not isinstance(exp, int | float)
        or not now < exp <= now + MAX_ASSERTION_LIFETIME + 1
    ):
        return "exp is missing, past, or more than five minutes ahead"
    return None


def spend_jti(
    used_jtis: MutableMapping[str, float], jti: str, expires_at: float, now: float
) -> bool:
    """Record ``jti`` as used until ``expires_at`` unless it is in use already.

    Returns False for a replayed ``jti``.
    """
    _forget_expired(used_jtis, now)
    if jti in used_jtis:
        return False
    used_jtis[jti] = float(expires_at)
    return True


def jti_problem(
    used_jtis: MutableMapping[str, float], jti: Any, expires_at: float, now: float
) -> str | None:
    """Return why ``jti`` is not acceptable, or None after recording it as used."""
    _forget_expired(used_jtis, now)
    if (
        not isinstance(jti, str)
        or not jti
        or not spend_jti(used_jtis, jti, expires_at, now)
    ):
        return "jti is missing or was used before"
    return None


def _forget_expired(used_jtis: MutableMapping[str, float], now: float) -> None:
    # An expired assertion is rejected on its exp, so its jti need not be kept.
    for expired in [jti for jti, until in used_jtis.items() if until <= now]:
        del used_jtis[expired]
