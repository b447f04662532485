"""Retry provider calls with tenacity: backoff with jitter, Retry-After, limits.

A Retrier sends one logical request through an ``attempt`` callable, which
sends it once and returns the response or raises an httpx error. It retries
HTTP 429, 502, 503 and 504, timeouts and connection errors, but a request
that is not replay-safe (see carecert.adapters.resilience.idempotency) only
after an error that proves nothing was sent. A final failure raises a carecert
error with the last httpx error chained as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, retry_if_result

from carecert.adapters.errors import (
    ConfigurationError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from carecert.adapters.http_errors import tls_cause
from carecert.adapters.resilience.idempotency import NOT_SENT_ERRORS
from carecert.adapters.resilience.policy import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

__all__ = ["Attempt", "Retrier", "Sleep"]

log = logging.getLogger("carecert.retry")

Sleep = Callable[[float], Awaitable[None]]
"""An async function that waits a number of seconds, like asyncio.sleep."""

Attempt = Callable[[], Awaitable[httpx.Response]]
"""Sends the request once and returns the response or raises an httpx error."""

_MAYBE_SENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.ProtocolError)


@dataclass(frozen=True)
class _GaveUp:
    state: RetryCallState


class Retrier:
    """Send requests for one provider with retries under a RetryPolicy.

    ``sleep`` waits between attempts, and tests pass a function that records the
    wait and returns at once. ``rng`` draws the jitter. ``clock`` is a
    monotonic clock in seconds and ``now`` returns Unix time, which
    Retry-After dates are compared with.
    """

    def __init__(
        self,
        provider: str,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._now = now

    @classmethod
    def from_config(cls, provider: str, config: Mapping[str, Any]) -> Retrier:
        """Build a Retrier from the retry keys of a provider config.

        Besides the RetryPolicy keys, ``retry_sleep`` replaces asyncio.sleep
        (tests use it to avoid real waits).
        """
        sleep = config.get("retry_sleep", asyncio.sleep)
        if not callable(sleep):
            raise ConfigurationError(
                f"{provider}: retry_sleep must be an async function taking "
                f"seconds, like asyncio.sleep, got {type(sleep).__name__}."
            )
        return cls(provider, RetryPolicy.from_config(provider, config), sleep=sleep)

    async def send(
        self,
        operation: str,
        attempt: Attempt,
        *,
        replay_safe: bool,
        raise_for_response: Callable[[httpx.Response], None] | None = None,
        error_for_transport: Callable[[httpx.HTTPError], ProviderError] | None = None,
    ) -> httpx.Response:
        """Send through ``attempt``, retrying as the policy allows.

        Returns the first response whose status is not retryable, whatever it
        is, so the caller still checks 4xx and 500. ``raise_for_response``
        raises the provider's own error for a final 429, 502, 503 or 504, and
        ``error_for_transport`` builds it for a final httpx error. Without
        them a generic RateLimitedError or ProviderUnavailableError is raised.
        """
        started = self._clock()
        retrying = AsyncRetrying(
            stop=partial(self._should_stop, started),
            wait=self._wait,
            retry=(
                retry_if_exception(partial(_may_retry_error, replay_safe))
                | retry_if_result(partial(_may_retry_response, replay_safe))
            ),
            sleep=self._sleep,
            before_sleep=partial(self._log_retry, operation),
            retry_error_callback=_GaveUp,
        )
        try:
            result = await retrying(attempt)
            if isinstance(result, _GaveUp):
                outcome = result.state.outcome
                assert outcome is not None
                result = outcome.result()
        except httpx.HTTPError as exc:
            build = error_for_transport or partial(self._transport_error, operation)
            raise build(exc) from exc
        response: httpx.Response = result
        if response.status_code in RETRYABLE_STATUSES:
            self._raise_status(operation, response, raise_for_response)
        return response

    # Tenacity strategies

    def _wait(self, state: RetryCallState) -> float:
        retry_after = self._retry_after(state)
        if retry_after is not None:
            return retry_after
        ceiling = self.policy.backoff_ceiling(state.attempt_number)
        return self._rng.uniform(0.0, ceiling)

    def _should_stop(self, started: float, state: RetryCallState) -> bool:
        if state.attempt_number >= self.policy.attempts:
            return True
        retry_after = self._retry_after(state)
        cap = self.policy.retry_after_max_seconds
        if retry_after is not None and retry_after > cap:
            return True
        # With an injected sleep the clock hardly moves, so the waits already
        # taken count as elapsed time.
        elapsed = max(self._clock() - started, state.idle_for)
        return elapsed + state.upcoming_sleep > self.policy.max_seconds

    def _retry_after(self, state: RetryCallState) -> float | None:
        outcome = state.outcome
        if outcome is None or outcome.failed:
            return None
        response: httpx.Response = outcome.result()
        return parse_retry_after(response.headers.get("Retry-After"), self._now)

    def _log_retry(self, operation: str, state: RetryCallState) -> None:
        outcome = state.outcome
        assert outcome is not None
        if outcome.failed:
            reason = type(outcome.exception()).__name__
        else:
            reason = f"HTTP {outcome.result().status_code}"
        log.warning(
            "%s %s: attempt %d of %d failed (%s), retrying in %.2f s",
            self.provider,
            operation,
            state.attempt_number,
            self.policy.attempts,
            reason,
            state.upcoming_sleep,
        )

    # Final errors

    def _raise_status(
        self,
        operation: str,
        response: httpx.Response,
        raise_for_response: Callable[[httpx.Response], None] | None,
    ) -> None:
        status_error = httpx.HTTPStatusError(
            f"HTTP {response.status_code}",
            request=response.request,
            response=response,
        )
        if raise_for_response is not None:
            try:
                raise_for_response(response)
            except ProviderError as error:
                raise error from status_error
        raise self._status_error(operation, response) from status_error

    def _status_error(self, operation: str, response: httpx.Response) -> ProviderError:
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), self._now
            )
            when = f"after {retry_after:.0f} s" if retry_after is not None else "later"
            return RateLimitedError(
                self.provider,
                operation,
                f"HTTP 429: the rate limit was exceeded. Retry {when}.",
                retry_after=retry_after,
            )
        return ProviderUnavailableError(
            self.provider,
            operation,
            f"HTTP {status}: the service is unavailable. Retry later.",
        )

    def _transport_error(
        self, operation: str, exc: httpx.HTTPError
    ) -> ProviderUnavailableError:
        if isinstance(exc, httpx.TimeoutException):
            problem = "the request timed out"
        else:
            problem = "the request failed before a complete response"
        return ProviderUnavailableError(
            self.provider,
            operation,
            f"{problem} ({type(exc).__name__}). Check the network and base URL, "
            "then retry later.",
        )


def _may_retry_error(replay_safe: bool, exc: BaseException) -> bool:
    if not isinstance(exc, httpx.TransportError) or tls_cause(exc) is not None:
        return False
    if isinstance(exc, NOT_SENT_ERRORS):
        return True
    return replay_safe and isinstance(exc, _MAYBE_SENT_ERRORS)


def _may_retry_response(replay_safe: bool, response: httpx.Response) -> bool:
    # A 429 or 503 proves the request reached the server, so a request that
    # is not replay-safe is not sent again even though it was probably not
    # applied.
    return replay_safe and response.status_code in RETRYABLE_STATUSES
