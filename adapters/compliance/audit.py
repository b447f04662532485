"""Audit store: one record per access to patient data, kept for the region's period.

SQLite is the default backend because it needs no server and keeps records in
one file that an auditor can be given. With a key, the columns that describe
the patient and the access are encrypted with AES-256-GCM (see crypto.py).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from carecert.adapters.compliance.crypto import AuditIntegrityError, FieldCipher
from carecert.adapters.errors import ConfigurationError, RetentionViolationError

__all__ = [
    "ENCRYPTED_COLUMNS",
    "AuditIntegrityError",
    "AuditRecord",
    "AuditStore",
    "add_years",
]

log = logging.getLogger("carecert.audit")

ENCRYPTED_COLUMNS = ("patient_system", "patient_value", "purpose", "actor", "detail")
"""Columns stored as AES-256-GCM ciphertext when the store has a key."""

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

# One row per setting. "encryption" is "none" or "aes-256-gcm", fixed when the
# store is first opened. "key_check" is a ciphertext that shows whether a
# key is the store's own before any record is read.
_META_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
)
"""
# Column names in table order, as SELECT * returns them.
_COLUMNS = (
    "id",
    "recorded_at",
    "retain_until",
    "region",
    "provider",
    "operation",
    "patient_system",
    "patient_value",
    "purpose",
    "actor",
    "outcome",
    "detail",
)
_KEY_CHECK_ID = 0
_KEY_CHECK_TEXT = "carecert audit key check"


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
    ``key`` (32 bytes, or their base64 text) encrypts ENCRYPTED_COLUMNS. A store
    keeps the mode it was created with: opening an encrypted store without its
    key, or with another key, raises ConfigurationError, and so does giving a
    key for a store that already contains unencrypted records. A value that fails
    authentication raises AuditIntegrityError when it is read.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        retention_years: dict[str, int],
        key: bytes | str | None = None,
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
        self._cipher = None if key is None else FieldCipher(key, self.path)
        self._warned_unencrypted = False
        self._lock = threading.Lock()
        self._open: sqlite3.Connection | None = None
        with self._lock:
            self._connection.execute(_SCHEMA)
            try:
                self._check_encryption_mode()
            except ConfigurationError:
                self._connection.close()
                self._open = None
                raise
            self._connection.commit()

    @property
    def _connection(self) -> sqlite3.Connection:
        # Reopened after close() so an adapter can be closed and used again. An
        # in-memory store loses its records on close, as SQLite does.
        if self._open is None:
            self._open = sqlite3.connect(self.path, check_same_thread=False)
            self._open.execute(_SCHEMA)
            self._open.execute(_META_SCHEMA)
        return self._open

    @property
    def encrypted(self) -> bool:
        """Whether this store encrypts ENCRYPTED_COLUMNS."""
        return self._cipher is not None

    def _check_encryption_mode(self) -> None:
        # The caller must hold the lock. A new or empty store takes the mode of
        # this open. A store created before encryption existed, which has no
        # mode row, keeps its unencrypted records.
        connection = self._connection
        row = connection.execute(
            "SELECT value FROM audit_meta WHERE name = 'encryption'"
        ).fetchone()
        existing = connection.execute("SELECT COUNT(*) FROM audit_record").fetchone()[0]
        if row is None or (str(row[0]) == "none" and not existing):
            mode = "none" if existing or self._cipher is None else "aes-256-gcm"
            connection.execute(
                "INSERT OR REPLACE INTO audit_meta (name, value)"
                " VALUES ('encryption', ?)",
                (mode,),
            )
            if self._cipher is not None and mode == "aes-256-gcm":
                check = self._cipher.encrypt(
                    _KEY_CHECK_TEXT, record_id=_KEY_CHECK_ID, column="key_check"
                )
                connection.execute(
                    "INSERT OR REPLACE INTO audit_meta (name, value)"
                    " VALUES ('key_check', ?)",
                    (check,),
                )
        else:
            mode = str(row[0])
        if mode == "none" and self._cipher is not None:
            raise ConfigurationError(
                f"Audit store {self.path} contains unencrypted records, so it cannot "
                "be opened with a key. Open it without audit_key, or start a new "
                "store file for encrypted records."
            )
        if mode == "aes-256-gcm":
            self._check_key(connection)

    def _check_key(self, connection: sqlite3.Connection) -> None:
        if self._cipher is None:
            raise ConfigurationError(
                f"Audit store {self.path} is encrypted with AES-256-GCM. Give its "
                "32-byte key as audit_key (AuditStore(key=...))."
            )
        row = connection.execute(
            "SELECT value FROM audit_meta WHERE name = 'key_check'"
        ).fetchone()
        try:
            if row is None:
                raise AuditIntegrityError("the key check value is missing")
            self._cipher.decrypt(
                bytes(row[0]), record_id=_KEY_CHECK_ID, column="key_check"
            )
        except AuditIntegrityError:
            raise ConfigurationError(
                f"audit_key is not the key that audit store {self.path} was "
                "written with, or its key check value was altered. Give the "
                "store's own key."
            ) from None

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
        fields = {
            "patient_system": patient_system,
            "patient_value": patient_value,
            "purpose": purpose,
            "actor": actor,
            "detail": detail,
        }
        if self._cipher is None:
            self._warn_unencrypted(fields)
            plain = fields
        else:
            # Written encrypted by _write_encrypted once the id is known.
            plain = dict.fromkeys(fields)
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
                    plain["patient_system"],
                    plain["patient_value"],
                    plain["purpose"],
                    plain["actor"],
                    outcome,
                    plain["detail"],
                ),
            )
            record_id = cursor.lastrowid
            assert record_id is not None
            if self._cipher is not None:
                # The ciphertext is bound to the record id, which SQLite
                # assigns on insert, so the values are written in a second
                # statement of the same transaction.
                self._write_encrypted(record_id, fields)
            self._connection.commit()
        return self.get(record_id)

    def _write_encrypted(self, record_id: int, fields: dict[str, str | None]) -> None:
        assert self._cipher is not None
        values = [
            None
            if fields[column] is None
            else self._cipher.encrypt(
                str(fields[column]), record_id=record_id, column=column
            )
            for column in ENCRYPTED_COLUMNS
        ]
        assignments = ", ".join(f"{column} = ?" for column in ENCRYPTED_COLUMNS)
        self._connection.execute(
            f"UPDATE audit_record SET {assignments} WHERE id = ?",
            (*values, record_id),
        )

    def _warn_unencrypted(self, fields: dict[str, str | None]) -> None:
        if self._warned_unencrypted or all(v is None for v in fields.values()):
            return
        self._warned_unencrypted = True
        log.warning(
            "Audit store %s stores patient data unencrypted. Set audit_key "
            "(32 bytes) to encrypt it with AES-256-GCM. Logged once per store.",
            self.path,
        )

    def get(self, record_id: int) -> AuditRecord:
        """Return record ``record_id`` or raise KeyError."""
        with self._lock:
            row = self._connection.execute(
                "SELECT * FROM audit_record WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            raise KeyError(f"No audit record with id {record_id} in {self.path}.")
        return self._record(row)

    def records(self, *, provider: str | None = None) -> list[AuditRecord]:
        """Return every record, oldest first, optionally for one provider."""
        query = "SELECT * FROM audit_record"
        params: tuple[str, ...] = ()
        if provider is not None:
            query += " WHERE provider = ?"
            params = (provider,)
        with self._lock:
            rows = self._connection.execute(query + " ORDER BY id", params).fetchall()
        return [self._record(row) for row in rows]

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

    def _record(self, row: tuple[object, ...]) -> AuditRecord:
        record = _record(row)

        def decoded(column: str) -> str | None:
            return self._decode(record.id, column, row[_COLUMNS.index(column)])

        return dataclasses.replace(
            record,
            patient_system=decoded("patient_system"),
            patient_value=decoded("patient_value"),
            purpose=decoded("purpose"),
            actor=decoded("actor"),
            detail=decoded("detail"),
        )

    def _decode(self, record_id: int, column: str, value: object) -> str | None:
        if value is None:
            return None
        if self._cipher is None:
            if isinstance(value, bytes):
                raise AuditIntegrityError(
                    f"Audit record {record_id} column {column} in {self.path} contains "
                    "ciphertext, but the store was opened without a key."
                )
            return str(value)
        if not isinstance(value, bytes):
            raise AuditIntegrityError(
                f"Audit record {record_id} column {column} in {self.path} contains "
                "plain text in an encrypted store, so it was altered."
            )
        return self._cipher.decrypt(value, record_id=record_id, column=column)

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
