"""Audit store: retention dates, deletion rules, purging and persistence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.compliance.audit import AuditRecord, AuditStore, add_years
from carecert.adapters.errors import ConfigurationError, RetentionViolationError

# "ZZ" is a made-up region with a longer period than the UK's seven years.
RETENTION = {"UK": 7, "ZZ": 10}
T0 = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[AuditStore]:
    store = AuditStore(retention_years=RETENTION)
    yield store
    store.close()


def write(
    store: AuditStore, at: datetime, regions: tuple[str, ...] = ("UK",)
) -> AuditRecord:
    return store.record(
        regions=regions,
        provider="nhs",
        operation="patient.read",
        outcome="success",
        patient_system="https://fhir.nhs.uk/Id/nhs-number",
        patient_value="9000000009",
        purpose="direct-care",
        actor="clinician-1",
        at=at,
    )


def test_record_fields_stored(store: AuditStore) -> None:
    record = write(store, T0)
    assert record.recorded_at == T0
    assert record.region == "UK"
    assert record.provider == "nhs"
    assert record.operation == "patient.read"
    assert record.patient_value == "9000000009"
    assert record.actor == "clinician-1"
    assert record.detail is None
    assert store.get(record.id) == record


def test_retain_until_uk(store: AuditStore) -> None:
    record = write(store, T0)
    assert record.retain_until == datetime(2032, 1, 15, 10, 30, tzinfo=UTC)


def test_longest_region_period_wins(store: AuditStore) -> None:
    record = write(store, T0, regions=("UK", "ZZ"))
    assert record.retain_until == datetime(2035, 1, 15, 10, 30, tzinfo=UTC)
    assert record.region == "UK,ZZ"


def test_region_order_irrelevant(store: AuditStore) -> None:
    record = write(store, T0, regions=("ZZ", "UK"))
    assert record.retain_until == datetime(2035, 1, 15, 10, 30, tzinfo=UTC)


def test_recorded_at_stored_utc(store: AuditStore) -> None:
    local = datetime(2025, 1, 15, 11, 30, tzinfo=timezone(timedelta(hours=1)))
    record = write(store, local)
    assert record.recorded_at.utcoffset() == timedelta(0)
    assert record.recorded_at == T0


def test_leap_day_moves_to_march(store: AuditStore) -> None:
    leap_day = datetime(2024, 2, 29, 8, 0, tzinfo=UTC)
    record = write(store, leap_day)
    assert record.retain_until == datetime(2031, 3, 1, 8, 0, tzinfo=UTC)


def test_leap_day_to_leap_year() -> None:
    leap_day = datetime(2024, 2, 29, 8, 0, tzinfo=UTC)
    assert add_years(leap_day, 4) == datetime(2028, 2, 29, 8, 0, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2200, 12, 31),
        timezones=st.just(UTC),
    ),
    st.integers(min_value=1, max_value=50),
)
def test_add_years_never_short(moment: datetime, years: int) -> None:
    later = add_years(moment, years)
    assert later.year == moment.year + years
    assert (later.month, later.day) >= (moment.month, moment.day)
    assert later.time() == moment.time()
    assert later - moment >= timedelta(days=365 * years)


@given(st.integers(min_value=1, max_value=50))
def test_leap_day_never_short(years: int) -> None:
    leap_day = datetime(2024, 2, 29, 23, 59, tzinfo=UTC)
    february_28 = datetime(2024 + years, 2, 28, 23, 59, tzinfo=UTC)
    assert add_years(leap_day, years) >= february_28 + timedelta(days=1)


def test_early_delete_names_date(store: AuditStore) -> None:
    record = write(store, T0)
    with pytest.raises(RetentionViolationError) as caught:
        store.delete(record.id, at=record.retain_until - timedelta(seconds=1))
    assert "2032-01-15T10:30:00+00:00" in str(caught.value)
    assert store.get(record.id) == record


def test_delete_after_period(store: AuditStore) -> None:
    record = write(store, T0)
    store.delete(record.id, at=record.retain_until)
    with pytest.raises(KeyError):
        store.get(record.id)


def test_delete_unknown_id(store: AuditStore) -> None:
    with pytest.raises(KeyError) as caught:
        store.delete(42, at=T0)
    assert "42" in str(caught.value)


def test_purge_deletes_only_expired(store: AuditStore) -> None:
    old_uk = write(store, T0 - timedelta(days=8 * 365))
    old_long = write(store, T0 - timedelta(days=8 * 365), regions=("UK", "ZZ"))
    recent = write(store, T0 - timedelta(days=365))
    older_uk = write(store, T0 - timedelta(days=9 * 365))

    assert store.purge_expired(at=T0, actor="records-officer") == 2

    remaining = store.records()
    remaining_ids = [r.id for r in remaining]
    assert old_uk.id not in remaining_ids
    assert older_uk.id not in remaining_ids
    assert old_long.id in remaining_ids
    assert recent.id in remaining_ids

    purges = [r for r in remaining if r.operation == "audit.purge"]
    assert len(purges) == 1
    assert purges[0].provider == "carecert"
    assert purges[0].actor == "records-officer"
    assert purges[0].recorded_at == T0
    assert purges[0].region == "UK"
    assert purges[0].detail == "purged 2 record(s) past retention"


def test_purge_at_period_end(store: AuditStore) -> None:
    record = write(store, T0)
    assert store.purge_expired(at=record.retain_until - timedelta(seconds=1)) == 0
    assert store.purge_expired(at=record.retain_until) == 1


def test_purge_nothing_expired(store: AuditStore) -> None:
    write(store, T0)
    assert store.purge_expired(at=T0 + timedelta(days=1)) == 0
    assert [r.operation for r in store.records()] == ["patient.read"]


def test_records_by_provider(store: AuditStore) -> None:
    write(store, T0)
    store.record(regions=("UK",), provider="gp", operation="x", outcome="denied", at=T0)
    assert [r.provider for r in store.records(provider="gp")] == ["gp"]
    assert len(store.records()) == 2


def test_records_persist(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "audit.sqlite3"
    first = AuditStore(path, retention_years=RETENTION)
    written = write(first, T0, regions=("UK", "ZZ"))
    first.close()

    second = AuditStore(path, retention_years=RETENTION)
    try:
        assert second.records() == [written]
        assert write(second, T0).id == written.id + 1
    finally:
        second.close()


def test_unknown_region_named(store: AuditStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        write(store, T0, regions=("EU",))
    assert "'EU'" in str(caught.value)
    assert "UK, ZZ" in str(caught.value)


def test_empty_regions_rejected(store: AuditStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        write(store, T0, regions=())
    assert "regions is empty" in str(caught.value)


def test_no_retention_rejected() -> None:
    with pytest.raises(ConfigurationError):
        AuditStore(retention_years={})


def test_naive_record_time_rejected(store: AuditStore) -> None:
    with pytest.raises(ValueError) as caught:
        write(store, datetime(2025, 1, 15, 10, 30))
    assert "timezone-aware" in str(caught.value)


def test_naive_delete_time_rejected(store: AuditStore) -> None:
    record = write(store, T0)
    with pytest.raises(ValueError):
        store.delete(record.id, at=datetime(2040, 1, 1))


def test_new_store_file_is_private(tmp_path) -> None:
    path = tmp_path / "audit" / "store.sqlite3"

    store = AuditStore(path, retention_years={"UK": 7})
    store.close()

    assert path.stat().st_mode & 0o777 == 0o600
