"""Retrier: which failures are retried, how long it waits, what it raises."""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
from collections.abc import Callable

import httpx
import pytest

from carecert.adapters.errors import (
    ConfigurationError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
from carecert.adapters.resilience import Retrier, RetryPolicy, parse_retry_after
from carecert.adapters.transport import build_async_client

from .conftest import RecordedSleep

INFO = ProviderInfo(
    id="retry-test",
    name="Retry test provider",
    type=ProviderType.MOCK,
    country="GB",
    regions=("UK",),
    compliance=(),
    primary_auth=AuthMethod.API_KEY,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)

NOW = 1_800_000_000.0
URL = "https://provider.test/Appointment"

Outcome = httpx.Response | type[httpx.TransportError] | httpx.TransportError


class Script:
    """Return the next scripted response, or raise the next error, per request."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []
        self.raised: list[httpx.TransportError] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, httpx.Response):
            return outcome
        error = outcome if isinstance(outcome, Exception) else outcome("failed")
        error.request = request
        self.raised.append(error)
        raise error


class UpperBoundRandom(random.Random):
    """Draw the top of every range, so the jitter ceiling is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


def retrier(
    sleep: RecordedSleep, policy: RetryPolicy | None = None, **kwargs: object
) -> Retrier:
    return Retrier(
        INFO.id,
        policy or RetryPolicy(attempts=4),
        sleep=sleep,
        now=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )


async def run(
    script: Script,
    sleep: RecordedSleep,
    *,
    policy: RetryPolicy | None = None,
    replay_safe: bool = True,
    method: str = "POST",
    **kwargs: object,
) -> httpx.Response:
    async with build_async_client(
        INFO, {"transport": httpx.MockTransport(script)}
    ) as client:

        async def attempt() -> httpx.Response:
            return await client.request(method, URL)

        return await retrier(sleep, policy, **kwargs).send(
            "book", attempt, replay_safe=replay_safe
        )


# What is retried


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_status_retried(status: int, recorded_sleep: RecordedSleep):
    script = Script(httpx.Response(status), httpx.Response(201))

    response = await run(script, recorded_sleep)

    assert response.status_code == 201
    assert len(script.requests) == 2
    assert len(recorded_sleep.waits) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [200, 400, 401, 404, 409, 500, 501])
async def test_other_status_returned_at_once(
    status: int, recorded_sleep: RecordedSleep
) -> None:
    script = Script(httpx.Response(status), httpx.Response(201))

    response = await run(script, recorded_sleep)

    assert response.status_code == status
    assert len(script.requests) == 1
    assert recorded_sleep.waits == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.ReadError,
        httpx.WriteError,
        httpx.RemoteProtocolError,
    ],
)
async def test_transport_error_retried(
    error: type[httpx.TransportError], recorded_sleep: RecordedSleep
) -> None:
    script = Script(error, httpx.Response(200))

    response = await run(script, recorded_sleep)

    assert response.status_code == 200
    assert len(script.requests) == 2


@pytest.mark.asyncio
async def test_tls_failure_not_retried(recorded_sleep: RecordedSleep) -> None:
    error = httpx.ConnectError("handshake failed")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    script = Script(error, httpx.Response(200))

    with pytest.raises(ProviderUnavailableError) as raised:
        await run(script, recorded_sleep)

    assert len(script.requests) == 1
    assert raised.value.__cause__ is error


@pytest.mark.asyncio
async def test_unrelated_exception_propagates(recorded_sleep: RecordedSleep) -> None:
    calls = 0

    async def attempt() -> httpx.Response:
        nonlocal calls
        calls += 1
        raise ProviderError(INFO.id, "book", "token endpoint rejected us")

    with pytest.raises(ProviderError, match="token endpoint"):
        await retrier(recorded_sleep).send("book", attempt, replay_safe=True)

    assert calls == 1


# Final failures


@pytest.mark.asyncio
async def test_exhausted_503_chains_status_error(recorded_sleep: RecordedSleep):
    script = Script(httpx.Response(503, text="busy"))

    with pytest.raises(ProviderUnavailableError) as raised:
        await run(script, recorded_sleep, policy=RetryPolicy(attempts=3))

    error = raised.value
    assert len(script.requests) == 3
    assert len(recorded_sleep.waits) == 2
    assert str(error) == (
        "retry-test book: HTTP 503: the service is unavailable. Retry later."
    )
    assert isinstance(error.__cause__, httpx.HTTPStatusError)
    assert error.__cause__.response.status_code == 503
    assert "busy" not in str(error)


@pytest.mark.asyncio
async def test_exhausted_429_carries_retry_after(recorded_sleep: RecordedSleep):
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}))

    with pytest.raises(RateLimitedError) as raised:
        await run(script, recorded_sleep, policy=RetryPolicy(attempts=2))

    assert raised.value.retry_after == 3.0
    assert "Retry after 3 s" in str(raised.value)
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)


@pytest.mark.asyncio
async def test_exhausted_transport_chains_last_error(recorded_sleep: RecordedSleep):
    script = Script(httpx.ReadTimeout, httpx.ConnectError, httpx.ReadTimeout)

    with pytest.raises(ProviderUnavailableError) as raised:
        await run(script, recorded_sleep, policy=RetryPolicy(attempts=3))

    assert len(script.raised) == 3
    assert raised.value.__cause__ is script.raised[-1]
    assert "timed out" in str(raised.value)


@pytest.mark.asyncio
async def test_provider_error_builders_used(recorded_sleep: RecordedSleep) -> None:
    def raise_for_response(response: httpx.Response) -> None:
        raise ProviderUnavailableError(INFO.id, "book", "provider wording")

    def error_for_transport(exc: httpx.HTTPError) -> ProviderError:
        return ProviderUnavailableError(INFO.id, "book", "transport wording")

    async with build_async_client(
        INFO, {"transport": httpx.MockTransport(Script(httpx.Response(502)))}
    ) as client:

        async def attempt() -> httpx.Response:
            return await client.post(URL)

        with pytest.raises(ProviderUnavailableError, match="provider wording") as got:
            await retrier(recorded_sleep, RetryPolicy(attempts=2)).send(
                "book",
                attempt,
                replay_safe=True,
                raise_for_response=raise_for_response,
                error_for_transport=error_for_transport,
            )

    assert isinstance(got.value.__cause__, httpx.HTTPStatusError)


# Waits


@pytest.mark.asyncio
async def test_backoff_doubles_up_to_cap(recorded_sleep: RecordedSleep) -> None:
    script = Script(httpx.Response(503))
    policy = RetryPolicy(
        attempts=7, max_seconds=1_000, base_seconds=0.5, max_wait_seconds=6
    )

    with pytest.raises(ProviderUnavailableError):
        await run(script, recorded_sleep, policy=policy, rng=UpperBoundRandom())

    assert recorded_sleep.waits == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]


@pytest.mark.asyncio
async def test_jitter_stays_under_ceiling(recorded_sleep: RecordedSleep) -> None:
    script = Script(httpx.Response(503))
    policy = RetryPolicy(attempts=6, max_seconds=1_000, base_seconds=1.0)

    with pytest.raises(ProviderUnavailableError):
        await run(script, recorded_sleep, policy=policy, rng=random.Random(7))

    ceilings = [policy.backoff_ceiling(n) for n in range(1, 6)]
    assert len(recorded_sleep.waits) == 5
    for wait, ceiling in zip(recorded_sleep.waits, ceilings, strict=True):
        assert 0.0 <= wait <= ceiling
    assert len(set(recorded_sleep.waits)) == 5


@pytest.mark.asyncio
async def test_retry_after_seconds_honoured(recorded_sleep: RecordedSleep) -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)
    )

    await run(script, recorded_sleep)

    assert recorded_sleep.waits == [7.0]


@pytest.mark.asyncio
async def test_retry_after_date_honoured(recorded_sleep: RecordedSleep) -> None:
    date = email.utils.formatdate(NOW + 20, usegmt=True)
    script = Script(
        httpx.Response(503, headers={"Retry-After": date}), httpx.Response(200)
    )

    await run(script, recorded_sleep)

    assert recorded_sleep.waits == [20.0]


@pytest.mark.asyncio
async def test_retry_after_over_cap_stops(recorded_sleep: RecordedSleep) -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200)
    )
    policy = RetryPolicy(attempts=5, retry_after_max_seconds=60)

    with pytest.raises(RateLimitedError) as raised:
        await run(script, recorded_sleep, policy=policy)

    assert len(script.requests) == 1
    assert recorded_sleep.waits == []
    assert raised.value.retry_after == 3600.0


@pytest.mark.asyncio
async def test_total_time_capped(recorded_sleep: RecordedSleep) -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "2"}))
    policy = RetryPolicy(attempts=10, max_seconds=5)

    with pytest.raises(ProviderUnavailableError):
        await run(script, recorded_sleep, policy=policy)

    assert recorded_sleep.waits == [2.0, 2.0]
    assert len(script.requests) == 3


@pytest.mark.asyncio
async def test_one_attempt_disables_retries(recorded_sleep: RecordedSleep) -> None:
    script = Script(httpx.Response(503), httpx.Response(200))

    with pytest.raises(ProviderUnavailableError):
        await run(script, recorded_sleep, policy=RetryPolicy(attempts=1))

    assert len(script.requests) == 1


# Logging


@pytest.mark.asyncio
async def test_one_warning_per_retry(
    recorded_sleep: RecordedSleep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="carecert.retry")
    script = Script(
        httpx.Response(503, text="secret body", headers={"Retry-After": "1"}),
        httpx.ConnectError,
        httpx.Response(200),
    )

    await run(script, recorded_sleep)

    records = [r for r in caplog.records if r.name == "carecert.retry"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING]
    assert records[0].msg == "%s %s: attempt %d of %d failed (%s), retrying in %.2f s"
    assert records[0].args == ("retry-test", "book", 1, 4, "HTTP 503", 1.0)
    assert records[1].args[2:5] == (2, 4, "ConnectError")
    assert "secret body" not in caplog.text
    assert "Retry-After" not in caplog.text


# Config and header parsing


def test_policy_from_config() -> None:
    policy = RetryPolicy.from_config(
        "p", {"retry_attempts": 6, "retry_max_seconds": "12.5"}
    )

    assert policy.attempts == 6
    assert policy.max_seconds == 12.5
    assert policy.base_seconds == RetryPolicy().base_seconds


def test_policy_defaults() -> None:
    policy = RetryPolicy.from_config("p", {})

    assert policy == RetryPolicy()
    assert policy.attempts >= 2
    assert policy.max_seconds > 0


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"retry_attempts": 0}, "retry_attempts 0 is invalid"),
        ({"retry_attempts": "3"}, "retry_attempts '3' is invalid"),
        ({"retry_attempts": True}, "retry_attempts True is invalid"),
        ({"retry_max_seconds": "soon"}, "retry_max_seconds 'soon' is invalid"),
        ({"retry_max_seconds": -1}, "retry_max_seconds -1 is invalid"),
        ({"retry_after_max_seconds": "nan"}, "retry_after_max_seconds 'nan'"),
    ],
)
def test_invalid_policy_config(config: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        RetryPolicy.from_config("p", config)


def test_retry_sleep_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="retry_sleep must be an async"):
        Retrier.from_config("p", {"retry_sleep": 0})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("0", 0.0),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now: Callable[[], float] = lambda: NOW  # noqa: E731

    assert parse_retry_after(header, now) == expected
