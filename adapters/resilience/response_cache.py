"""A TTL cache of provider responses, encrypting patient data with AES-256-GCM.

A provider marks an operation cacheable with a CacheRule. Entries whose rule
sets ``patient_data`` are stored only as AES-256-GCM ciphertext under the
32-byte key the user supplies. Each has a random 96-bit nonce and the cache
key as associated data, so a ciphertext moved to another key fails
authentication. Without a key, patient data is not cached at all. Entries are
stored under an HMAC of the cache key, so identifiers in the key are not kept
in plaintext either.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carecert.adapters.errors import ConfigurationError

__all__ = ["CacheRule", "ResponseCache"]

log = logging.getLogger("carecert.cache")

KEY_BYTES = 32
NONCE_BYTES = 12
DEFAULT_MAX_ENTRIES = 1024


@dataclass(frozen=True)
class CacheRule:
    """Caching policy of one operation: its TTL and whether it returns patient data."""

    ttl_seconds: float
    patient_data: bool


@dataclass(frozen=True)
class _Entry:
    expires_at: float
    nonce: bytes | None
    data: bytes


class ResponseCache:
    """Response bodies by cache key, each kept until its rule's TTL passes.

    ``encryption_key`` is 32 random bytes (e.g. ``AESGCM.generate_key(256)``),
    required to cache patient data. At most ``max_entries`` are kept, and
    the least recently used goes first. ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        *,
        encryption_key: bytes | None = None,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if encryption_key is not None and (
            not isinstance(encryption_key, bytes) or len(encryption_key) != KEY_BYTES
        ):
            raise ConfigurationError(
                "response cache encryption_key is invalid. Give exactly 32 bytes, "
                "e.g. from AESGCM.generate_key(bit_length=256)."
            )
        if isinstance(max_entries, bool) or not isinstance(max_entries, int):
            max_entries = 0
        if max_entries < 1:
            raise ConfigurationError(
                "response cache size is invalid. Give a whole number of entries "
                "of 1 or more, e.g. 1024."
            )
        self._aead = None if encryption_key is None else AESGCM(encryption_key)
        self._index_key = secrets.token_bytes(32)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ResponseCache:
        """Build a cache from ``response_cache_key`` (32 bytes, optional) and
        ``response_cache_size`` (entries)."""
        return cls(
            encryption_key=config.get("response_cache_key"),
            max_entries=config.get("response_cache_size", DEFAULT_MAX_ENTRIES),
        )

    @property
    def encrypts(self) -> bool:
        """True if the cache has a key, so it can cache patient data."""
        return self._aead is not None

    def get(self, key: str, rule: CacheRule) -> bytes | None:
        """Return the cached body for ``key``, or None if absent or expired."""
        slot = self._slot(key)
        entry = self._entries.get(slot)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._entries[slot]
            return None
        self._entries.move_to_end(slot)
        if entry.nonce is None:
            return None if rule.patient_data else entry.data
        if self._aead is None:
            return None
        try:
            return self._aead.decrypt(entry.nonce, entry.data, key.encode())
        except InvalidTag:
            # The key itself may hold a patient identifier, so it is not logged.
            log.warning(
                "response cache entry failed AES-GCM authentication. "
                "Dropped it and treated it as a miss."
            )
            del self._entries[slot]
            return None

    def put(self, key: str, body: bytes, rule: CacheRule) -> bool:
        """Store ``body`` under ``key`` for the rule's TTL and return whether it was.

        Patient data is stored only if the cache has an encryption key.
        """
        if rule.ttl_seconds <= 0:
            return False
        nonce: bytes | None = None
        data = body
        if rule.patient_data:
            if self._aead is None:
                return False
            nonce = os.urandom(NONCE_BYTES)
            data = self._aead.encrypt(nonce, body, key.encode())
        slot = self._slot(key)
        self._entries[slot] = _Entry(self._clock() + rule.ttl_seconds, nonce, data)
        self._entries.move_to_end(slot)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return True

    async def fetch(
        self, key: str, rule: CacheRule | None, load: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """Return the cached body for ``key``, else load, store and return it.

        With ``rule`` None the operation is not cacheable and ``load`` always runs.
        """
        if rule is None:
            return await load()
        cached = self.get(key, rule)
        if cached is not None:
            return cached
        body = await load()
        self.put(key, body, rule)
        return body

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _slot(self, key: str) -> str:
        return hmac.new(self._index_key, key.encode(), hashlib.sha256).hexdigest()
