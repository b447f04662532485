"""A cache of provider instances, one per provider id and configuration.

The cache key is the provider id and an HMAC-SHA256 of the configuration
under a random per-cache key, so the key never contains a configured secret
in plaintext and cannot be used outside the process to confirm a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import HealthcareProvider

__all__ = ["ProviderCache"]

log = logging.getLogger("carecert.cache")

DEFAULT_MAX_PROVIDERS = 32


class ProviderCache:
    """Provider instances keyed by provider id and configuration.

    Holds at most ``max_size`` instances and evicts the least recently used.
    An evicted instance is not closed at once, because a caller may still
    use it. aclose() closes every instance the cache has built.
    """

    def __init__(self, max_size: int = DEFAULT_MAX_PROVIDERS) -> None:
        if max_size < 1:
            raise ConfigurationError(
                f"ProviderCache max_size {max_size!r} is invalid. Give 1 or more."
            )
        self.max_size = max_size
        self._hmac_key = secrets.token_bytes(32)
        self._instances: OrderedDict[tuple[str, str], HealthcareProvider] = (
            OrderedDict()
        )
        self._evicted: list[HealthcareProvider] = []

    def key(self, provider_id: str, config: Mapping[str, Any]) -> tuple[str, str]:
        """Return the cache key: the provider id and a keyed hash of ``config``."""
        canonical = json.dumps(
            _canonical(config), sort_keys=True, separators=(",", ":")
        ).encode()
        digest = hmac.new(self._hmac_key, canonical, hashlib.sha256).hexdigest()
        return provider_id, digest

    def get(
        self,
        provider_id: str,
        provider_class: type[HealthcareProvider],
        config: Mapping[str, Any],
    ) -> HealthcareProvider:
        """Return the cached instance for this id and config, building it once."""
        key = self.key(provider_id, config)
        instance = self._instances.get(key)
        if instance is not None:
            self._instances.move_to_end(key)
            return instance
        instance = provider_class(config)
        self._instances[key] = instance
        if len(self._instances) > self.max_size:
            _, evicted = self._instances.popitem(last=False)
            self._evicted.append(evicted)
            log.debug("evicted a %s instance from the provider cache", provider_id)
        return instance

    def __len__(self) -> int:
        return len(self._instances)

    def __contains__(self, key: object) -> bool:
        return key in self._instances

    async def aclose(self) -> None:
        """Close every cached and evicted instance and empty the cache."""
        instances = [*self._instances.values(), *self._evicted]
        self._instances.clear()
        self._evicted.clear()
        for instance in instances:
            await instance.aclose()


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, PurePath):
        return {"path": str(value)}
    # Objects such as transports, stores and callables compare by identity.
    # The cached instance keeps a reference to its config, so the id cannot
    # be reused while the entry exists.
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    return {"object": kind, "id": id(value)}
