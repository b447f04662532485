"""Audit store: one record per access to patient data, kept for the region's period.

SQLite is the default backend because it needs no server and keeps records in
one file that an auditor can be given.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from carecert.adapters.errors import ConfigurationError, RetentionViolationError

__all__ = ["AuditRecord", "AuditStore", "add_years"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_record (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    retain_until TEXT NOT NULL,
    region TEXT NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    patient_system TEXT,
    patient_value TEXT,
    purpose TEXT,
    actor TEXT,
    outcome TEXT NOT NULL,
    detail TEXT
)
"""


@dataclass(frozen=True)
class AuditRecord:
    """One audited event, as stored."""

    id: int
    recorded_at: datetime
    retain_until: datetime
    region: str
    provider: str
    operation: str
    patient_system: str | None
    patient_value: str | None
    purpose: str | None
    actor: str | None
    outcome: str
    detail: str | None


def add_years(moment: datetime, years: int) -> datetime:
    """Add calendar years; 29 February moves to 1 March so the period is never short."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, month=3, day=1)


class AuditStore:
    """SQLite-backed audit records with per-region retention.

    ``retention_years`` maps a region code to the years its records must be
    kept (UK: 7). A record is written with the longest period of the regions
    it falls under, and ``delete`` raises RetentionViolationError before then.
    """

    def __init__(
        self, path: str | Path = ":memory:", *, retention_years: dict[str, int]
    ) -> None:
        if not retention_years:
            raise ConfigurationError(
                "AuditStore needs retention_years for at least one region."
            )
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Records name patients, so only the owner may read a new store.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._retention_years = dict(retention_years)
        self._lock = threading.Lock()
        self._open: sqlite3.Connection | None = None
        with self._lock:
            self._connection.execute(_SCHEMA)
            self._connection.commit()

    @property
    def _connection(self) -> sqlite3.Connection:
        # Reopened after close() so an adapter can be closed and used again. An
        # in-memory store loses its records on close, as SQLite does.
        if self._open is None:
            self._open = sqlite3.connect(self.path, check_same_thread=False)
            self._open.execute(_SCHEMA)
        return self._open

    def retention_years(self, region: str) -> int:
        """Return how many years records of ``region`` are kept."""
        try:
            return self._retention_years[region]
        except KeyError:
            known = ", ".join(sorted(self._retention_years))
            raise ConfigurationError(
                f"AuditStore has no retention period for region {region!r}; "
                f"known regions: {known}."
            ) from None

    def record(
        self,
        *,
        regions: tuple[str, ...],
        provider: str,
        operation: str,
        outcome: str,
        patient_system: str | None = None,
        patient_value: str | None = None,
        purpose: str | None = None,
        actor: str | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> AuditRecord:
        """Write one audit record and return it."""
        recorded_at = _utc(at, "record")
        if not regions:
            raise ConfigurationError(
                f"AuditStore.record: regions is empty for {provider} {operation}; "
                "give the regions whose retention period applies."
            )
        years = max(self.retention_years(region) for region in regions)
        retain_until = add_years(recorded_at, years)
        region = ",".join(regions)
        with self._lock:
            cursor = self._connection.execute(
                "INSERT INTO audit_record (recorded_at, retain_until, region, provider,"
                " operation, patient_system, patient_value, purpose, actor, outcome,"
                " detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    recorded_at.isoformat(),
                    retain_until.isoformat(),
                    region,
                    provider,
                    operation,
                    patient_system,
                    patient_value,
                    purpose,
                    actor,
                    outcome,
                    detail,
                ),
            )
            self._connection.commit()
            record_id = cursor.lastrowid
        assert record_id is not None
        return self.get(record_id)

    def get(self, record_id: int) -> AuditRecord:
        """Return record ``record_id`` or raise KeyError."""
        with self._lock:
            row = self._connection.execute(
                "SELECT * FROM audit_record WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            raise KeyError(f"No audit record with id {record_id} in {self.path}.")
        return _record(row)

    def records(self, *, provider: str | None = None) -> list[AuditRecord]:
        """Return every record, oldest first, optionally for one provider."""
        query = "SELECT * FROM audit_record"
        params: tuple[str, ...] = ()
        if provider is not None:
            query += " WHERE provider = ?"
            params = (provider,)
        with self._lock:
            rows = self._connection.execute(query + " ORDER BY id", params).fetchall()
        return [_record(row) for row in rows]

    def delete(self, record_id: int, *, at: datetime | None = None) -> None:
        """Delete a record whose retention period has ended, or raise."""
        now = _utc(at, "delete")
        record = self.get(record_id)
        if now < record.retain_until:
            raise RetentionViolationError(
                f"Audit record {record_id} ({record.region}, {record.operation}) "
                "must be "
                f"kept until {record.retain_until.isoformat()}; deletion at "
                f"{now.isoformat()} is refused."
            )
        with self._lock:
            self._connection.execute(
                "DELETE FROM audit_record WHERE id = ?", (record_id,)
            )
            self._connection.commit()

    def purge_expired(
        self, *, at: datetime | None = None, actor: str | None = None
    ) -> int:
        """Delete every record past its period, audit the purge, return the count."""
        now = _utc(at, "purge_expired")
        expired = [r for r in self.records() if r.retain_until <= now]
        for record in expired:
            self.delete(record.id, at=now)
        if expired:
            regions = tuple(sorted({p for r in expired for p in r.region.split(",")}))
            self.record(
                regions=regions,
                provider="carecert",
                operation="audit.purge",
                outcome="success",
                actor=actor,
                detail=f"purged {len(expired)} record(s) past retention",
                at=now,
            )
        return len(expired)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None


def _utc(at: datetime | None, method: str) -> datetime:
    # astimezone() would read a naive datetime as the machine's local time, so
    # retention dates would depend on where the harness runs.
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError(f"AuditStore.{method}: at must be timezone-aware, got {at!r}")
    return at.astimezone(UTC)


def _record(row: tuple[object, ...]) -> AuditRecord:
    (
        record_id,
        recorded_at,
        retain_until,
        region,
        provider,
        operation,
        patient_system,
        patient_value,
        purpose,
        actor,
        outcome,
        detail,
    ) = row
    return AuditRecord(
        id=int(record_id),  # type: ignore[call-overload]
        recorded_at=datetime.fromisoformat(str(recorded_at)),
        retain_until=datetime.fromisoformat(str(retain_until)),
        region=str(region),
        provider=str(provider),
        operation=str(operation),
        patient_system=patient_system,  # type: ignore[arg-type]
        patient_value=patient_value,  # type: ignore[arg-type]
        purpose=purpose,  # type: ignore[arg-type]
        actor=actor,  # type: ignore[arg-type]
        outcome=str(outcome),
        detail=detail,  # type: ignore[arg-type]
    )
