"""Simulated network latency for mock providers, as ASGI middleware."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

from carecert.adapters.mock.faults import ASGIApp, Receive, Scope, Send

__all__ = ["LatencyMiddleware", "LatencySpec", "latency_sampler"]

LatencySpec = bool | float | Callable[[random.Random], float]
"""False for none, True for the default distribution, seconds for a fixed
delay, or a function that draws seconds from the given random generator."""

# Log-normal with a median of 80 ms, capped at 2 s: an estimate of a
# national API's typical response time, not a measurement.
_MEDIAN_SECONDS = 0.08
_SIGMA = 0.6
_MAX_SECONDS = 2.0


def default_latency(rng: random.Random) -> float:
    """Draw a delay from the default distribution, in seconds."""
    return min(rng.lognormvariate(math.log(_MEDIAN_SECONDS), _SIGMA), _MAX_SECONDS)


def latency_sampler(
    spec: LatencySpec, rng: random.Random
) -> Callable[[], float] | None:
    """Return a function drawing each request's delay, or None for no delay."""
    if spec is False or spec is None:
        return None
    if spec is True:
        return lambda: default_latency(rng)
    if isinstance(spec, int | float):
        if not math.isfinite(spec) or spec < 0:
            raise ValueError(
                f"simulate_latency {spec!r} is invalid. Give seconds of 0 or more."
            )
        delay = float(spec)
        return lambda: delay
    if callable(spec):
        return lambda: max(float(spec(rng)), 0.0)
    raise ValueError(
        f"simulate_latency {spec!r} is invalid. Give False, True, a number of "
        "seconds or a function of a random.Random that returns seconds."
    )


class LatencyMiddleware:
    """Delay each HTTP request by a drawn number of seconds before the app runs."""

    def __init__(
        self,
        app: ASGIApp,
        sample: Callable[[], float],
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.sample = sample
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.sleep(self.sample())
        await self.app(scope, receive, send)
