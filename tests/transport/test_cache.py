"""ProviderCache and ResponseCache: keys, TTLs and encrypted patient data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience import CacheRule, ProviderCache, ResponseCache

SECRET = "s3cret-client-secret-value"
NHS_NUMBER = "9000000009"
PATIENT_BODY = b'{"resourceType":"Patient","id":"9000000009","name":"Smith"}'
PATIENT = CacheRule(ttl_seconds=60, patient_data=True)
REFERENCE = CacheRule(ttl_seconds=300, patient_data=False)


class Clock:
    """A monotonic clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class CountingProvider(HealthcareProvider):
    """A provider that counts how often it is built and closed."""

    info = ProviderInfo(
        id="cache-test",
        name="Cache test provider",
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
    built: ClassVar[int] = 0

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        type(self).built += 1
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


@pytest.fixture(autouse=True)
def reset_count() -> None:
    CountingProvider.built = 0


# Provider instances


def test_same_config_same_instance() -> None:
    cache = ProviderCache()

    first = cache.get("p", CountingProvider, {"api_key": SECRET, "pool_size": 4})
    second = cache.get("p", CountingProvider, {"pool_size": 4, "api_key": SECRET})

    assert first is second
    assert CountingProvider.built == 1


def test_other_config_other_instance() -> None:
    cache = ProviderCache()

    first = cache.get("p", CountingProvider, {"api_key": SECRET})
    second = cache.get("p", CountingProvider, {"api_key": SECRET + "x"})
    third = cache.get("q", CountingProvider, {"api_key": SECRET})

    assert len({id(first), id(second), id(third)}) == 3
    assert len(cache) == 3


def test_key_holds_no_secret() -> None:
    cache = ProviderCache()

    provider_id, digest = cache.key("p", {"api_key": SECRET, "nested": [SECRET]})

    assert provider_id == "p"
    assert SECRET not in digest
    assert len(digest) == 64
    assert ProviderCache().key("p", {"api_key": SECRET})[1] != digest


def test_objects_in_config_compare_by_identity() -> None:
    cache = ProviderCache()
    transport, other = object(), object()

    first = cache.get("p", CountingProvider, {"transport": transport})
    again = cache.get("p", CountingProvider, {"transport": transport})
    second = cache.get("p", CountingProvider, {"transport": other})

    assert first is again
    assert first is not second


@pytest.mark.asyncio
async def test_lru_eviction_and_close() -> None:
    cache = ProviderCache(max_size=2)

    a = cache.get("a", CountingProvider, {})
    b = cache.get("b", CountingProvider, {})
    cache.get("a", CountingProvider, {})
    c = cache.get("c", CountingProvider, {})

    assert cache.key("a", {}) in cache
    assert cache.key("b", {}) not in cache
    assert cache.key("c", {}) in cache
    await cache.aclose()
    assert [p.closed for p in (a, b, c)] == [1, 1, 1]  # type: ignore[attr-defined]
    assert len(cache) == 0


def test_invalid_size() -> None:
    with pytest.raises(ConfigurationError, match="max_size 0 is invalid"):
        ProviderCache(max_size=0)


# Responses


def test_reference_data_cached_until_ttl() -> None:
    clock = Clock()
    cache = ResponseCache(clock=clock)

    assert cache.put("specialties", b"[1,2]", REFERENCE)
    clock.now += 299
    hit = cache.get("specialties", REFERENCE)
    clock.now += 2
    expired = cache.get("specialties", REFERENCE)

    assert hit == b"[1,2]"
    assert expired is None
    assert len(cache) == 0


def test_patient_data_not_cached_without_key() -> None:
    cache = ResponseCache()

    stored = cache.put(f"patient:{NHS_NUMBER}", PATIENT_BODY, PATIENT)

    assert stored is False
    assert cache.get(f"patient:{NHS_NUMBER}", PATIENT) is None
    assert len(cache) == 0


def test_patient_data_encrypted_at_rest() -> None:
    cache = ResponseCache(encryption_key=AESGCM.generate_key(bit_length=256))
    key = f"patient:{NHS_NUMBER}"

    assert cache.put(key, PATIENT_BODY, PATIENT)

    (slot, entry) = next(iter(cache._entries.items()))
    assert NHS_NUMBER not in slot
    assert b"Smith" not in entry.data
    assert NHS_NUMBER.encode() not in entry.data
    assert entry.nonce is not None
    assert len(entry.nonce) == 12
    assert len(entry.data) == len(PATIENT_BODY) + 16
    assert cache.get(key, PATIENT) == PATIENT_BODY


def test_nonce_differs_per_entry() -> None:
    cache = ResponseCache(encryption_key=AESGCM.generate_key(bit_length=256))

    cache.put("patient:a", PATIENT_BODY, PATIENT)
    cache.put("patient:b", PATIENT_BODY, PATIENT)

    nonces = {entry.nonce for entry in cache._entries.values()}
    ciphertexts = {entry.data for entry in cache._entries.values()}
    assert len(nonces) == 2
    assert len(ciphertexts) == 2


def test_tampered_ciphertext_is_miss(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="carecert.cache")
    cache = ResponseCache(encryption_key=AESGCM.generate_key(bit_length=256))
    key = f"patient:{NHS_NUMBER}"
    cache.put(key, PATIENT_BODY, PATIENT)
    slot, entry = next(iter(cache._entries.items()))
    flipped = bytes([entry.data[0] ^ 1]) + entry.data[1:]
    cache._entries[slot] = type(entry)(entry.expires_at, entry.nonce, flipped)

    assert cache.get(key, PATIENT) is None
    assert len(cache) == 0
    assert "failed AES-GCM authentication" in caplog.text
    assert NHS_NUMBER not in caplog.text


def test_ciphertext_bound_to_its_key() -> None:
    cache = ResponseCache(encryption_key=AESGCM.generate_key(bit_length=256))
    cache.put("patient:a", b"alice", PATIENT)
    cache.put("patient:b", b"bob", PATIENT)
    slot_a = cache._slot("patient:a")
    slot_b = cache._slot("patient:b")

    cache._entries[slot_b] = cache._entries[slot_a]

    assert cache.get("patient:b", PATIENT) is None
    assert cache.get("patient:a", PATIENT) == b"alice"


@pytest.mark.parametrize("key", [b"short", "x" * 32, b"x" * 16, b"x" * 33])
def test_invalid_encryption_key(key: Any) -> None:
    with pytest.raises(ConfigurationError, match="exactly 32 bytes"):
        ResponseCache(encryption_key=key)


@pytest.mark.parametrize("size", [0, -1, "10", True])
def test_invalid_size_rejected(size: Any) -> None:
    with pytest.raises(ConfigurationError, match="response cache size is invalid"):
        ResponseCache.from_config({"response_cache_size": size})


def test_lru_bound() -> None:
    cache = ResponseCache(max_entries=2)

    cache.put("a", b"1", REFERENCE)
    cache.put("b", b"2", REFERENCE)
    cache.get("a", REFERENCE)
    cache.put("c", b"3", REFERENCE)

    assert cache.get("a", REFERENCE) == b"1"
    assert cache.get("b", REFERENCE) is None
    assert cache.get("c", REFERENCE) == b"3"


@pytest.mark.asyncio
async def test_fetch_loads_once_per_ttl() -> None:
    clock = Clock()
    cache = ResponseCache(clock=clock)
    loads = 0

    async def load() -> bytes:
        nonlocal loads
        loads += 1
        return b"body"

    for _ in range(3):
        assert await cache.fetch("specialties", REFERENCE, load) == b"body"
    clock.now += 301
    await cache.fetch("specialties", REFERENCE, load)
    await cache.fetch("uncacheable", None, load)
    await cache.fetch("uncacheable", None, load)

    assert loads == 4


def test_from_config() -> None:
    key = AESGCM.generate_key(bit_length=256)

    assert ResponseCache.from_config({"response_cache_key": key}).encrypts
    assert not ResponseCache.from_config({}).encrypts
