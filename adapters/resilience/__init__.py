"""Retries, idempotency and caching for provider calls."""

from carecert.adapters.resilience.cache import ProviderCache
from carecert.adapters.resilience.idempotency import (
    DEFAULT_IDEMPOTENCY_HEADER,
    IDEMPOTENT_METHODS,
    NOT_SENT_ERRORS,
    is_replay_safe,
    new_idempotency_key,
)
from carecert.adapters.resilience.policy import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)
from carecert.adapters.resilience.response_cache import CacheRule, ResponseCache
from carecert.adapters.resilience.retry import Attempt, Retrier, Sleep

__all__ = [
    "DEFAULT_IDEMPOTENCY_HEADER",
    "IDEMPOTENT_METHODS",
    "NOT_SENT_ERRORS",
    "RETRYABLE_STATUSES",
    "Attempt",
    "CacheRule",
    "ProviderCache",
    "ResponseCache",
    "Retrier",
    "RetryPolicy",
    "Sleep",
    "is_replay_safe",
    "new_idempotency_key",
    "parse_retry_after",
]
