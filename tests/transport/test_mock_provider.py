"""MockHealthcareProvider: templates, latency, errors, seeds, server mode."""

from __future__ import annotations

import logging
import random
import warnings

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carecert.adapters.errors import ConfigurationError, ProviderError
from carecert.adapters.mock import (
    SPECIALTIES,
    TEMPLATES,
    FaultKind,
    MockHealthcareProvider,
)
from carecert.adapters.models import AppointmentStatus
from carecert.adapters.registry import ProviderRegistry

from .conftest import RecordedSleep

# Booking with latency and errors on


@pytest.mark.asyncio
@pytest.mark.parametrize("template", ["spain_sas", "nhs"])
async def test_books_with_latency_and_errors(
    template: str, recorded_sleep: RecordedSleep
):
    mock_provider = MockHealthcareProvider(
        simulate_latency=True,
        error_rate=0.01,
        response_template=template,
        seed=1,
        sleep=recorded_sleep,
    )

    async with mock_provider:
        result = await mock_provider.book_appointment(
            patient_id="MOCK_001", specialty="cardiology"
        )

    assert result.patient.value == "MOCK_001"
    assert result.appointment_type == "cardiology"
    assert result.status is AppointmentStatus.BOOKED
    assert result.start is not None
    assert result.start.utcoffset() is not None
    assert len(mock_provider.state.bookings) == 1
    assert all(0 < wait <= 2.0 for wait in recorded_sleep.waits)


@pytest.mark.asyncio
async def test_templates_shape_bodies() -> None:
    async with MockHealthcareProvider(response_template="nhs") as nhs:
        nhs_booking = await nhs.book_appointment("MOCK_001", "cardiology")
        nhs_patient = await nhs.get_patient("MOCK_001")
    async with MockHealthcareProvider(response_template="spain_sas") as sas:
        sas_booking = await sas.book_appointment("MOCK_001", "cardiology")
        sas_patient = await sas.get_patient("MOCK_001")

    assert nhs_booking.id == "1"
    assert sas_booking.id == "SAS-000001"
    assert nhs_patient["resourceType"] == "Patient"
    assert sas_patient["nuhsa"] == "MOCK_001"
    assert nhs.info.country == "GB"
    assert sas.info.country == "ES"
    assert sas.info.id == "mock-spain_sas"


def test_unknown_template_lists_known() -> None:
    with pytest.raises(ConfigurationError) as raised:
        MockHealthcareProvider(response_template="atlantis")

    message = str(raised.value)
    assert "Unknown response_template 'atlantis'" in message
    for name in TEMPLATES:
        assert name in message


@pytest.mark.asyncio
async def test_config_mapping_and_registry() -> None:
    registry = ProviderRegistry()
    registry.register_provider(
        "mock", MockHealthcareProvider, {"response_template": "spain_sas"}
    )

    provider = registry.get_provider("mock")
    async with provider:
        assert isinstance(provider, MockHealthcareProvider)
        assert provider.template.name == "spain_sas"


@pytest.mark.asyncio
@pytest.mark.parametrize("value", ["", "  "])
async def test_empty_arguments_rejected(value: str) -> None:
    async with MockHealthcareProvider() as mock:
        with pytest.raises(ValueError, match="is empty"):
            await mock.book_appointment(value, "cardiology")
        with pytest.raises(ValueError, match="is empty"):
            await mock.book_appointment("MOCK_001", value)

    assert mock.state.requests == 0


# Latency


@pytest.mark.asyncio
async def test_fixed_latency(recorded_sleep: RecordedSleep) -> None:
    async with MockHealthcareProvider(
        simulate_latency=0.05, sleep=recorded_sleep
    ) as mock:
        await mock.book_appointment("MOCK_001", "cardiology")
        await mock.list_specialties()

    assert recorded_sleep.waits == [0.05, 0.05]


@pytest.mark.asyncio
async def test_latency_distribution(recorded_sleep: RecordedSleep) -> None:
    def uniform(rng: random.Random) -> float:
        return rng.uniform(0.01, 0.02)

    async with MockHealthcareProvider(
        simulate_latency=uniform, seed=4, sleep=recorded_sleep
    ) as mock:
        for _ in range(20):
            await mock.get_patient("MOCK_001")

    assert len(recorded_sleep.waits) == 20
    assert all(0.01 <= wait <= 0.02 for wait in recorded_sleep.waits)
    assert len(set(recorded_sleep.waits)) == 20


@pytest.mark.asyncio
async def test_no_latency_by_default(recorded_sleep: RecordedSleep) -> None:
    async with MockHealthcareProvider(sleep=recorded_sleep) as mock:
        await mock.book_appointment("MOCK_001", "cardiology")

    assert recorded_sleep.waits == []


@pytest.mark.parametrize("value", [-1, float("nan"), "slow"])
def test_invalid_latency(value: object) -> None:
    with pytest.raises(ValueError, match="simulate_latency"):
        MockHealthcareProvider(simulate_latency=value)  # type: ignore[arg-type]


# Errors, retries and seeds


async def book_many(seed: int, count: int, sleep: RecordedSleep) -> list[object]:
    outcomes: list[object] = []
    async with MockHealthcareProvider(
        error_rate=0.3, seed=seed, sleep=sleep, config={"retry_attempts": 2}
    ) as mock:
        for number in range(count):
            try:
                booked = await mock.book_appointment(f"MOCK_{number:03d}", "cardiology")
                outcomes.append(booked.id)
            except ProviderError as exc:
                outcomes.append(type(exc).__name__)
    outcomes.append([(f.kind, f.phase) for f in mock.injector.injected])
    return outcomes


@pytest.mark.asyncio
async def test_same_seed_same_run() -> None:
    first = await book_many(21, 60, RecordedSleep())
    second = await book_many(21, 60, RecordedSleep())
    other = await book_many(22, 60, RecordedSleep())

    assert first == second
    assert first != other
    assert any(isinstance(item, str) and "Error" in item for item in first)


@pytest.mark.asyncio
async def test_faults_retried_without_duplicates(
    recorded_sleep: RecordedSleep,
) -> None:
    async with MockHealthcareProvider(
        error_rate=0.3,
        seed=8,
        fault_kinds=["503", "reset", "timeout", "truncated"],
        sleep=recorded_sleep,
        config={"retry_attempts": 8, "retry_max_seconds": 1_000},
    ) as mock:
        booked = [
            await mock.book_appointment(f"MOCK_{n:03d}", "cardiology")
            for n in range(100)
        ]

    assert len(recorded_sleep.waits) > 10
    assert len({b.id for b in booked}) == 100
    assert len(mock.state.bookings) == 100
    patients = sorted(b.patient_id for b in mock.state.bookings.values())
    assert patients == [f"MOCK_{n:03d}" for n in range(100)]


@pytest.mark.asyncio
async def test_error_rate_one_fails(recorded_sleep: RecordedSleep) -> None:
    async with MockHealthcareProvider(
        error_rate=1.0,
        fault_kinds=[FaultKind.UNAVAILABLE],
        sleep=recorded_sleep,
        config={"retry_attempts": 3},
    ) as mock:
        with pytest.raises(ProviderError, match="HTTP 503"):
            await mock.book_appointment("MOCK_001", "cardiology")

    assert mock.injector.requests == 3
    assert len(recorded_sleep.waits) == 2


@pytest.mark.asyncio
async def test_resend_with_key_returns_first_booking() -> None:
    async with MockHealthcareProvider() as mock:
        first = await mock.book_appointment(
            "MOCK_001", "cardiology", idempotency_key="key-1"
        )
        again = await mock.book_appointment(
            "MOCK_001", "cardiology", idempotency_key="key-1"
        )

    assert again == first
    assert len(mock.state.bookings) == 1


# Caching


@pytest.mark.asyncio
async def test_reference_data_cached() -> None:
    async with MockHealthcareProvider() as mock:
        first = await mock.list_specialties()
        second = await mock.list_specialties()

    assert first == second == list(SPECIALTIES)
    assert mock.state.requests == 1


@pytest.mark.asyncio
async def test_patient_cached_only_with_key() -> None:
    async with MockHealthcareProvider() as plain:
        await plain.get_patient("MOCK_001")
        await plain.get_patient("MOCK_001")
    key = AESGCM.generate_key(bit_length=256)
    async with MockHealthcareProvider(config={"response_cache_key": key}) as keyed:
        await keyed.get_patient("MOCK_001")
        cached = await keyed.get_patient("MOCK_001")

    assert plain.state.requests == 2
    assert keyed.state.requests == 1
    assert cached["id"] == "MOCK_001"


# Lifecycle and server mode


@pytest.mark.asyncio
async def test_close_twice_and_reopen() -> None:
    mock = MockHealthcareProvider()
    async with mock:
        await mock.list_specialties()

    await mock.aclose()
    await mock.aclose()
    async with mock:
        assert await mock.book_appointment("MOCK_001", "cardiology")


@pytest.mark.asyncio
async def test_served_on_loopback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="carecert.http")
    server = MockHealthcareProvider(response_template="spain_sas")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with server.serve() as base_url:
            assert base_url.startswith("http://127.0.0.1:")
            client = MockHealthcareProvider(
                response_template="spain_sas", config={"base_url": base_url}
            )
            async with client:
                booked = await client.book_appointment("MOCK_001", "cardiology")
            async with httpx.AsyncClient(base_url=base_url) as raw:
                specialties = (await raw.get("/specialties")).json()

    assert booked.id == "SAS-000001"
    assert len(server.state.bookings) == 1
    assert client.state.bookings == {}
    assert specialties == list(SPECIALTIES)
    assert "127.0.0.1" in caplog.text
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
