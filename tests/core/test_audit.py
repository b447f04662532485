"""Audit store: retention dates, deletion rules, purging and persistence."""

from __future__ import annotations

import base64
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.compliance import ComplianceGuard
from carecert.adapters.compliance.audit import (
    ENCRYPTED_COLUMNS,
    AuditIntegrityError,
    AuditRecord,
    AuditStore,
    add_years,
)
from carecert.adapters.compliance.crypto import FieldCipher
from carecert.adapters.errors import ConfigurationError, RetentionViolationError
from carecert.adapters.nhs.interface import NHSInterface

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


# Encryption at rest (AuditStore key=..., guard config audit_key).

INFO = NHSInterface.info
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


@pytest.fixture
def encrypted_path(tmp_path: Path) -> Path:
    return tmp_path / "encrypted.sqlite3"


def open_encrypted(path: Path, key: bytes | str = KEY) -> AuditStore:
    return AuditStore(path, retention_years=RETENTION, key=key)


def raw_row(path: Path, record_id: int) -> dict[str, object]:
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute(
            "SELECT * FROM audit_record WHERE id = ?", (record_id,)
        ).fetchone()
        return dict(row)


def update_raw(path: Path, sql: str, parameters: tuple[object, ...]) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(sql, parameters)
        connection.commit()


def test_encrypted_round_trip(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    store.close()

    reopened = open_encrypted(encrypted_path)
    read = reopened.get(record.id)
    reopened.close()

    assert read == record
    assert read.patient_value == "9000000009"
    assert read.patient_system == "https://fhir.nhs.uk/Id/nhs-number"
    assert read.purpose == "direct-care"
    assert read.actor == "clinician-1"
    assert read.detail is None


def test_encrypted_columns_contain_no_plaintext(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    store.close()

    row = raw_row(encrypted_path, record.id)
    file_bytes = encrypted_path.read_bytes()

    for column in ENCRYPTED_COLUMNS:
        if column == "detail":
            assert row[column] is None
            continue
        assert isinstance(row[column], bytes), column
        # 12-byte nonce and 16-byte tag around the ciphertext.
        assert len(row[column]) >= 28, column
    assert b"9000000009" not in file_bytes
    assert b"clinician-1" not in file_bytes
    assert row["provider"] == "nhs"


def test_encrypted_nonces_differ(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    first = write(store, T0)
    second = write(store, T0)
    store.close()

    first_value = raw_row(encrypted_path, first.id)["patient_value"]
    second_value = raw_row(encrypted_path, second.id)["patient_value"]
    assert isinstance(first_value, bytes)
    assert isinstance(second_value, bytes)
    assert first_value[:12] != second_value[:12]
    assert first_value != second_value


def test_base64_key_accepted(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path, base64.b64encode(KEY).decode())
    record = write(store, T0)
    store.close()

    reopened = open_encrypted(encrypted_path, KEY)
    assert reopened.get(record.id).patient_value == "9000000009"
    reopened.close()


def test_tampered_ciphertext_detected(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    stored = raw_row(encrypted_path, record.id)["patient_value"]
    assert isinstance(stored, bytes)
    flipped = stored[:-1] + bytes([stored[-1] ^ 0x01])
    update_raw(
        encrypted_path,
        "UPDATE audit_record SET patient_value = ? WHERE id = ?",
        (flipped, record.id),
    )

    with pytest.raises(AuditIntegrityError) as caught:
        store.get(record.id)
    with pytest.raises(AuditIntegrityError):
        store.records()
    store.close()

    message = str(caught.value)
    assert f"Audit record {record.id} column patient_value" in message
    assert "9000000009" not in message


def test_swapped_columns_detected(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    update_raw(
        encrypted_path,
        "UPDATE audit_record SET patient_value = purpose, purpose = patient_value "
        "WHERE id = ?",
        (record.id,),
    )

    with pytest.raises(AuditIntegrityError) as caught:
        store.get(record.id)
    store.close()

    assert f"Audit record {record.id} column patient_value" in str(caught.value)


def test_swapped_records_detected(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    first = write(store, T0)
    second = write(store, T0)
    moved = raw_row(encrypted_path, first.id)["actor"]
    update_raw(
        encrypted_path,
        "UPDATE audit_record SET actor = ? WHERE id = ?",
        (moved, second.id),
    )

    assert store.get(first.id).actor == "clinician-1"
    with pytest.raises(AuditIntegrityError) as caught:
        store.get(second.id)
    store.close()

    assert f"Audit record {second.id} column actor" in str(caught.value)


def test_plaintext_in_encrypted_store_detected(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    update_raw(
        encrypted_path,
        "UPDATE audit_record SET purpose = 'research' WHERE id = ?",
        (record.id,),
    )

    with pytest.raises(AuditIntegrityError) as caught:
        store.get(record.id)
    store.close()

    assert f"Audit record {record.id} column purpose" in str(caught.value)


def test_wrong_key_rejected(encrypted_path: Path) -> None:
    open_encrypted(encrypted_path).close()

    with pytest.raises(ConfigurationError) as caught:
        open_encrypted(encrypted_path, OTHER_KEY)

    assert "not the key" in str(caught.value)
    assert OTHER_KEY.hex() not in str(caught.value)


def test_wrong_key_detected_per_value(encrypted_path: Path) -> None:
    # Even with the key check value rewritten for another key, no record
    # written under the first key decrypts.
    store = open_encrypted(encrypted_path)
    record = write(store, T0)
    store.close()
    other = FieldCipher(OTHER_KEY, str(encrypted_path))
    check = other.encrypt("carecert audit key check", record_id=0, column="key_check")
    update_raw(
        encrypted_path,
        "UPDATE audit_meta SET value = ? WHERE name = 'key_check'",
        (check,),
    )

    reopened = open_encrypted(encrypted_path, OTHER_KEY)
    with pytest.raises(AuditIntegrityError):
        reopened.get(record.id)
    reopened.close()


def test_encrypted_store_needs_key(encrypted_path: Path) -> None:
    open_encrypted(encrypted_path).close()

    with pytest.raises(ConfigurationError) as caught:
        AuditStore(encrypted_path, retention_years=RETENTION)

    assert "audit_key" in str(caught.value)


def test_key_rejected_for_plain_store(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    plain = AuditStore(path, retention_years=RETENTION)
    write(plain, T0)
    plain.close()

    with pytest.raises(ConfigurationError) as caught:
        open_encrypted(path)

    assert "unencrypted records" in str(caught.value)


@pytest.mark.parametrize(
    "key", [b"short", "not base64!", 12345], ids=["short", "not-base64", "int"]
)
def test_invalid_key_rejected(key: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AuditStore(retention_years=RETENTION, key=key)  # type: ignore[arg-type]

    assert "32 bytes" in str(caught.value) or "base64" in str(caught.value)


def test_unencrypted_warning_once(
    store: AuditStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="carecert.audit")

    write(store, T0)
    write(store, T0)

    warnings = [r for r in caplog.records if r.name == "carecert.audit"]
    assert len(warnings) == 1
    assert "unencrypted" in warnings[0].getMessage()
    assert "9000000009" not in warnings[0].getMessage()


def test_encrypted_store_no_warning(
    encrypted_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="carecert.audit")
    store = open_encrypted(encrypted_path)

    write(store, T0)
    store.close()

    assert [r for r in caplog.records if r.name == "carecert.audit"] == []


def test_encrypted_purge_and_delete(encrypted_path: Path) -> None:
    store = open_encrypted(encrypted_path)
    record = write(store, T0)

    assert store.purge_expired(at=record.retain_until) == 1
    remaining = store.records()
    store.close()

    assert [r.operation for r in remaining] == ["audit.purge"]
    assert remaining[0].detail == "purged 1 record(s) past retention"


def test_guard_audit_key_encrypts(tmp_path: Path) -> None:
    path = tmp_path / "guard.sqlite3"
    guard = ComplianceGuard(
        INFO, {"audit_store": str(path), "audit_key": base64.b64encode(KEY).decode()}
    )

    assert guard.audit.encrypted
    guard.close()


def test_guard_audit_key_with_store_rejected() -> None:
    store = AuditStore(retention_years=RETENTION)

    with pytest.raises(ConfigurationError) as caught:
        ComplianceGuard(INFO, {"audit_store": store, "audit_key": KEY})
    store.close()

    assert "AuditStore(key=...)" in str(caught.value)


def test_empty_plain_store_takes_key(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    AuditStore(path, retention_years=RETENTION).close()

    store = open_encrypted(path)
    record = write(store, T0)
    store.close()

    assert store.encrypted
    assert isinstance(raw_row(path, record.id)["patient_value"], bytes)
