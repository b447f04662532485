"""Session and per-test state of the carecert plugin."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from carecert.adapters.compliance.catalogue import Catalogue
from carecert.adapters.registry import ProviderRegistry
from carecert.harness.evidence import (
    ControlResult,
    EvidenceItem,
    EvidenceKind,
    TrafficSource,
)

__all__ = ["RECORD_MODES", "CarecertState", "TestEvidence"]

RECORD_MODES = ("none", "once", "new_episodes", "all")


@dataclass
class CarecertState:
    """State of the carecert plugin for one pytest session."""

    catalogue: Catalogue
    registry: ProviderRegistry
    regions: list[str]
    providers: list[str]
    controls: list[str]
    record_mode: str
    mock_api: bool
    cassette_dir: Path
    evidence_dir: Path | None
    rootdir: Path
    started_at: datetime
    strict: bool = field(
        default=False,
        metadata={"doc": "--carecert-strict: a verdict other than pass exits 1."},
    )
    results: list[ControlResult] = field(default_factory=list)
    evidence_written: tuple[Path, Path] | None = None
    summary: dict[str, Any] | None = field(
        default=None,
        metadata={"doc": "summarize() output for the terminal, set at session end."},
    )
    collection_ran: bool = field(
        default=False,
        metadata={"doc": "False on an xdist controller, which collects no tests."},
    )
    selected_controls: set[str] = field(default_factory=set)
    deselected_controls: set[str] = field(default_factory=set)

    @property
    def replaying(self) -> bool:
        """True when traffic comes from cassettes and the network is blocked."""
        return self.record_mode == "none" and not self.mock_api

    @property
    def traffic_source(self) -> TrafficSource:
        """Source of provider traffic. Recording runs use the simulators too."""
        return "cassettes" if self.replaying else "simulators"

    def add_result(self, result: ControlResult, when: str) -> None:
        """Store a test's result, or merge a teardown error into its earlier one."""
        if when == "teardown":
            for index in range(len(self.results) - 1, -1, -1):
                if self.results[index].nodeid == result.nodeid:
                    earlier = self.results[index]
                    self.results[index] = earlier.with_teardown_error(result.message)
                    return
        self.results.append(result)


@dataclass
class TestEvidence:
    """Evidence one test gathered: files with their SHA-256, and notes."""

    rootdir: Path | None = None
    items: list[EvidenceItem] = field(default_factory=list)
    decided_by: str | None = None
    decided_review: tuple[str, ...] = ()
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def add_file(self, path: Path | str, kind: EvidenceKind, description: str) -> None:
        """Add a file once, with its SHA-256 digest.

        Paths under the rootdir are stored relative to it, so a report stays
        readable when it is moved to another machine.
        """
        path = Path(path)
        key = (kind, str(path))
        if key in self._seen:
            return
        self._seen.add(key)
        item = EvidenceItem.for_file(path, kind, description)
        if self.rootdir is not None and path.is_absolute():
            try:
                shown = path.relative_to(self.rootdir)
            except ValueError:
                shown = path
            item = replace(item, path=str(shown))
        self.items.append(item)

    def note(self, description: str) -> None:
        """Add a free-text observation, such as a negotiated TLS version."""
        self.items.append(
            EvidenceItem(kind="note", path=None, sha256=None, description=description)
        )

    def decide(self, rule: str) -> None:
        """Record which rule decided the outcome (e.g. the stricter of two regions).

        A DecidingRule from ControlRules also records its review texts, so the
        result is flagged when another region's unconfirmed parameter decided.
        """
        self.decided_by = str(rule)
        self.decided_review = tuple(getattr(rule, "review", ()))


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
