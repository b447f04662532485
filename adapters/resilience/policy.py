"""Retry limits read from a provider's config, and the Retry-After header."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from carecert.adapters.errors import ConfigurationError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
"""HTTP statuses that mean "try again later" rather than "this request is wrong"."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a provider call is retried.

    ``attempts`` counts the first try, so 1 turns retries off. ``max_seconds``
    caps the time from the first try to the start of the last one, waits
    included. Each wait is drawn uniformly from zero to
    ``base_seconds * 2 ** (retry - 1)``, capped at ``max_wait_seconds``
    ("full jitter"). A Retry-After header replaces that wait, and a
    Retry-After longer than ``retry_after_max_seconds`` ends the retries.
    """

    attempts: int = 4
    max_seconds: float = 30.0
    base_seconds: float = 0.5
    max_wait_seconds: float = 8.0
    retry_after_max_seconds: float = 60.0

    @classmethod
    def from_config(cls, provider_id: str, config: Mapping[str, Any]) -> RetryPolicy:
        """Read ``retry_attempts``, ``retry_max_seconds``, ``retry_base_seconds``,
        ``retry_max_wait_seconds`` and ``retry_after_max_seconds`` from a config.
        """
        defaults = cls()
        attempts = config.get("retry_attempts", defaults.attempts)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ConfigurationError(
                f"{provider_id}: retry_attempts {attempts!r} is invalid. Give a "
                "whole number of tries of 1 or more. 1 turns retries off."
            )
        return cls(
            attempts=attempts,
            max_seconds=_seconds(provider_id, config, "retry_max_seconds"),
            base_seconds=_seconds(provider_id, config, "retry_base_seconds"),
            max_wait_seconds=_seconds(provider_id, config, "retry_max_wait_seconds"),
            retry_after_max_seconds=_seconds(
                provider_id, config, "retry_after_max_seconds"
            ),
        )

    def backoff_ceiling(self, retry_number: int) -> float:
        """Return the largest jittered wait before retry ``retry_number`` (from 1)."""
        exponent = min(retry_number - 1, 32)
        return float(min(self.max_wait_seconds, self.base_seconds * 2**exponent))


_FIELD_FOR_KEY = {
    "retry_max_seconds": "max_seconds",
    "retry_base_seconds": "base_seconds",
    "retry_max_wait_seconds": "max_wait_seconds",
    "retry_after_max_seconds": "retry_after_max_seconds",
}


def _seconds(provider_id: str, config: Mapping[str, Any], key: str) -> float:
    default = float(getattr(RetryPolicy(), _FIELD_FOR_KEY[key]))
    value = config.get(key)
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise ConfigurationError(
            f"{provider_id}: {key} {value!r} is invalid. "
            "Give a number of seconds of 0 or more, e.g. 30."
        )
    return seconds


def parse_retry_after(
    value: str | None, now: Callable[[], float] = time.time
) -> float | None:
    """Return the wait a Retry-After header requests in seconds, or None if invalid.

    RFC 9110 section 10.2.3 allows a number of seconds or an HTTP date. A date
    in the past gives 0. ``now`` returns Unix time, for tests.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment.timestamp() - now(), 0.0)
