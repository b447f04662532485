"""The evidence report of a carecert run.

``write_evidence`` writes two files: ``evidence.json``, checked against
``evidence.schema.json``, for tools and archives, and ``evidence.html``, one
self-contained page for compliance reviewers. Each control result lists the
files behind it (cassettes, OpenAPI descriptions) with their SHA-256, so a
reviewer can check that the archived files are the ones the run used.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2
import jsonschema
from jsonschema.exceptions import best_match

import carecert

__all__ = [
    "EVIDENCE_KINDS",
    "OUTCOMES",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "ControlResult",
    "EvidenceItem",
    "EvidenceSchemaError",
    "CatalogueRecord",
    "RunMetadata",
    "load_evidence",
    "read_git_commit",
    "read_git_dirty",
    "control_outcome",
    "review_line",
    "summarize",
    "validate_evidence",
    "write_evidence",
]

SCHEMA_NAME = "carecert-evidence"
SCHEMA_VERSION = 2
# Version 2 added run.catalogue, controls[].review, summary.review and the
# outcome counts and review texts of summary.by_control. Documents of version
# 1 do not validate against it.

Outcome = Literal["passed", "failed", "error", "skipped", "not-applicable", "not-run"]
EvidenceKind = Literal["cassette", "spec", "note", "file"]
TrafficSource = Literal["cassettes", "simulators"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
EVIDENCE_KINDS: tuple[str, ...] = get_args(EvidenceKind)
TRAFFIC_SOURCES: tuple[str, ...] = get_args(TrafficSource)

# Outcomes from worst to best. control_outcome() uses this order for a control
# whose results include no pass, failure, error or not-run result.
WORST_FIRST: tuple[Outcome, ...] = (
    "failed",
    "error",
    "not-run",
    "skipped",
    "not-applicable",
    "passed",
)
# pytest exit statuses that leave the verdict to the control results: 0 (all
# tests passed) and 5 (no tests collected).
_NEUTRAL_EXIT_STATUSES = (0, 5)

_HERE = Path(__file__).resolve().parent
_SCHEMA_PATH = _HERE / "evidence.schema.json"
_TEMPLATE_DIR = _HERE / "templates"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# 40 hex digits in SHA-1 repositories, 64 in SHA-256 ones.
_GIT_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_CHUNK_BYTES = 1024 * 1024


class EvidenceSchemaError(ValueError):
    """An evidence document does not match evidence.schema.json.

    ``json_path`` locates the most relevant error, such as
    ``$.controls[0].outcome``. ``error_count`` is the number of errors found.
    """

    def __init__(self, json_path: str, problem: str, error_count: int) -> None:
        self.json_path = json_path
        self.error_count = error_count
        more = (
            f" ({error_count - 1} more error(s) after this one)"
            if error_count > 1
            else ""
        )
        super().__init__(
            f"Invalid evidence document at {json_path}: {problem}{more}. "
            f"Fix that field, or rewrite the file with write_evidence() from a "
            f"carecert that writes {SCHEMA_NAME} schema_version {SCHEMA_VERSION}."
        )


@dataclass(frozen=True)
class EvidenceItem:
    """A file or note that backs a control result.

    File kinds (``cassette``, ``spec``, ``file``) carry the path and its SHA-256
    digest. A ``note`` is free text, such as the negotiated TLS version, and has
    neither.
    """

    kind: EvidenceKind
    path: str | None
    sha256: str | None
    description: str

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(
                f"Invalid evidence kind {self.kind!r}. Use one of {EVIDENCE_KINDS}."
            )
        if self.kind == "note" and (self.path is not None or self.sha256 is not None):
            raise ValueError(
                f"Evidence note {self.description!r} has a path or digest. "
                "Use kind 'file' for a file, or pass path=None and sha256=None."
            )
        if self.sha256 is not None and not _SHA256.fullmatch(self.sha256):
            raise ValueError(
                f"Invalid SHA-256 {self.sha256!r} for {self.path!r}: expected 64 "
                "lowercase hex digits, as hashlib.sha256().hexdigest() returns."
            )

    @classmethod
    def for_file(
        cls, path: str | os.PathLike[str], kind: EvidenceKind, description: str
    ) -> EvidenceItem:
        """Hash the file at ``path`` in 1 MiB chunks and return its evidence item.

        Raises OSError (FileNotFoundError, PermissionError) if the file cannot be
        read, because evidence without its digest proves nothing.
        """
        if kind == "note":
            raise ValueError(
                f"EvidenceItem.for_file({os.fspath(path)!r}) got kind 'note'. "
                "Use 'cassette', 'spec' or 'file' for files."
            )
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                digest.update(chunk)
        return cls(kind, Path(path).as_posix(), digest.hexdigest(), description)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "sha256": self.sha256,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceItem:
        """Rebuild an item from ``to_dict()`` output."""
        return cls(data["kind"], data["path"], data["sha256"], data["description"])


@dataclass(frozen=True)
class ControlResult:
    """The outcome of one test of one catalogue control for one provider."""

    control_id: str
    title: str
    clause: str
    family: str
    severity: str
    region: str
    provider: str
    outcome: Outcome
    nodeid: str
    duration_s: float
    message: str | None = None
    evidence: Sequence[EvidenceItem] = ()
    decided_by: str | None = field(
        default=None,
        metadata={"doc": "The rule that decided the outcome, when several could."},
    )
    review: Sequence[str] = field(
        default=(),
        metadata={
            "doc": "What the catalogue marks as unconfirmed for this result, "
            "for a compliance officer to review: the control's own text, its "
            "region's parameters and any other region's deciding parameter."
        },
    )

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(
                f"{self.control_id} ({self.nodeid}): invalid outcome "
                f"{self.outcome!r}. Use one of {OUTCOMES}."
            )
        if not math.isfinite(self.duration_s) or self.duration_s < 0:
            raise ValueError(
                f"{self.control_id} ({self.nodeid}): duration_s must be a finite "
                f"number of seconds >= 0, got {self.duration_s!r}."
            )
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "review", tuple(self.review))

    def to_dict(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "title": self.title,
            "clause": self.clause,
            "family": self.family,
            "severity": self.severity,
            "region": self.region,
            "provider": self.provider,
            "outcome": self.outcome,
            "nodeid": self.nodeid,
            "duration_s": self.duration_s,
            "message": self.message,
            "evidence": [item.to_dict() for item in self.evidence],
            "decided_by": self.decided_by,
            "review": list(self.review),
        }

    def with_teardown_error(self, teardown_message: str | None) -> ControlResult:
        """Return this result updated with an error raised in its test's teardown.

        A teardown error turns a passed, skipped or not-applicable result into an
        error. A failed or errored result keeps its outcome, and both messages
        are kept.
        """
        message = f"error in teardown: {teardown_message or 'no message'}"
        if self.outcome in ("failed", "error"):
            combined = f"{self.message}\n{message}" if self.message else message
            return replace(self, message=combined)
        return replace(self, outcome="error", message=message)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ControlResult:
        """Rebuild a result from ``to_dict()`` output, as sent by xdist workers."""
        fields = dict(data)
        fields["evidence"] = [EvidenceItem.from_dict(e) for e in data["evidence"]]
        return cls(**fields)


@dataclass(frozen=True)
class CatalogueRecord:
    """The compliance catalogue a run applied: its path, schema version and digest."""

    path: str
    schema_version: int
    sha256: str

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(
                f"Invalid SHA-256 {self.sha256!r} for catalogue {self.path!r}: "
                "expected 64 lowercase hex digits."
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class RunMetadata:
    """Versions, platform, commit, times, selection and exit status of one run.

    Timestamps must be timezone-aware and are stored in UTC. ``git_dirty`` is
    None when git could not tell, and ``pytest_exit_status`` is None when the
    report is written outside a pytest session.
    """

    carecert_version: str
    python_version: str
    platform: str
    git_commit: str | None
    started_at: datetime
    finished_at: datetime
    command_line: Sequence[str]
    regions: Sequence[str]
    providers: Sequence[str]
    record_mode: str
    git_dirty: bool | None = None
    traffic_source: TrafficSource = "cassettes"
    pytest_exit_status: int | None = None
    catalogue: CatalogueRecord | None = field(
        default=None,
        metadata={"doc": "None only for a report written outside a pytest session."},
    )

    def __post_init__(self) -> None:
        if self.traffic_source not in TRAFFIC_SOURCES:
            raise ValueError(
                f"Invalid traffic_source {self.traffic_source!r}. "
                f"Use one of {TRAFFIC_SOURCES}."
            )
        for name in ("started_at", "finished_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(
                    f"RunMetadata.{name} must be timezone-aware, got {value!r}. "
                    "Use datetime.now(UTC)."
                )
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.finished_at < self.started_at:
            raise ValueError(
                f"RunMetadata.finished_at {self.finished_at.isoformat()} is before "
                f"started_at {self.started_at.isoformat()}."
            )
        for name in ("command_line", "regions", "providers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @classmethod
    def collect(
        cls,
        *,
        rootdir: Path,
        started_at: datetime,
        finished_at: datetime | None = None,
        command_line: Sequence[str] | None = None,
        regions: Sequence[str],
        providers: Sequence[str],
        record_mode: str,
        traffic_source: TrafficSource = "cassettes",
        pytest_exit_status: int | None = None,
        catalogue: CatalogueRecord | None = None,
    ) -> RunMetadata:
        """Gather versions, platform and the git commit and state of ``rootdir``.

        ``finished_at`` defaults to now, ``command_line`` to ``sys.argv[1:]``.
        """
        return cls(
            carecert_version=carecert.__version__,
            python_version=platform.python_version(),
            platform=platform.platform(),
            git_commit=read_git_commit(rootdir),
            git_dirty=read_git_dirty(rootdir),
            started_at=started_at,
            finished_at=finished_at or datetime.now(UTC),
            command_line=sys.argv[1:] if command_line is None else command_line,
            regions=regions,
            providers=providers,
            record_mode=record_mode,
            traffic_source=traffic_source,
            pytest_exit_status=pytest_exit_status,
            catalogue=catalogue,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "carecert_version": self.carecert_version,
            "python_version": self.python_version,
            "platform": self.platform,
            "git_commit": self.git_commit,
            "started_at": _timestamp(self.started_at),
            "finished_at": _timestamp(self.finished_at),
            "command_line": list(self.command_line),
            "regions": list(self.regions),
            "providers": list(self.providers),
            "record_mode": self.record_mode,
            "git_dirty": self.git_dirty,
            "traffic_source": self.traffic_source,
            "pytest_exit_status": self.pytest_exit_status,
            "catalogue": None if self.catalogue is None else self.catalogue.to_dict(),
        }


def read_git_commit(directory: Path) -> str | None:
    """Return ``git rev-parse HEAD`` in ``directory``, or None if that fails.

    None covers a directory outside a git work tree, a repository without
    commits, a missing git executable and a git that runs longer than 10 s.
    """
    completed = _run_git(directory, "rev-parse", "HEAD")
    if completed is None:
        return None
    commit = completed.stdout.strip()
    if completed.returncode != 0 or not _GIT_COMMIT.fullmatch(commit):
        return None
    return commit


def read_git_dirty(directory: Path) -> bool | None:
    """Tell whether ``git status --porcelain`` lists changes under ``directory``.

    Untracked files that git does not ignore count as changes. Returns None in
    the cases where read_git_commit() returns None, except a repository
    without commits, which git can still compare.
    """
    completed = _run_git(directory, "status", "--porcelain", "--", ".")
    if completed is None or completed.returncode != 0:
        return None
    return bool(completed.stdout.strip())


def _run_git(directory: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def summarize(
    results: Iterable[ControlResult], *, exit_status: int | None = None
) -> dict[str, Any]:
    """Count outcomes overall, per region, per provider and per pair of both.

    ``by_control`` gives each distinct control once, with the outcome that
    control_outcome() picks, the count of each outcome of its results and the
    distinct review texts of its results. ``review`` counts the passed and
    failed results, and their distinct controls, that carry a review text:
    their outcome rests on a catalogue parameter that a compliance officer has
    not yet confirmed. Other outcomes decided nothing about the provider.
    ``exit_status`` is pytest's: any value but 0 or 5 (no tests collected)
    makes the overall verdict "fail", because then pytest saw a problem, such
    as a collection error, that the control results may not show.
    """
    results = list(results)
    by_region: dict[str, list[ControlResult]] = {}
    by_provider: dict[str, list[ControlResult]] = {}
    by_pair: dict[tuple[str, str], list[ControlResult]] = {}
    for result in results:
        by_region.setdefault(result.region, []).append(result)
        by_provider.setdefault(result.provider, []).append(result)
        by_pair.setdefault((result.region, result.provider), []).append(result)
    summary: dict[str, Any] = {
        **_counts(results),
        "review": _review_counts(results),
        "by_control": _by_control(results),
        "by_region": {key: _counts(by_region[key]) for key in sorted(by_region)},
        "by_provider": {key: _counts(by_provider[key]) for key in sorted(by_provider)},
        "by_region_provider": [
            {
                "region": region,
                "provider": provider,
                **_counts(by_pair[region, provider]),
            }
            for region, provider in sorted(by_pair)
        ],
    }
    untested = sorted(
        region
        for region, counts in summary["by_region"].items()
        if counts["verdict"] == "incomplete"
    )
    if summary["verdict"] == "pass" and untested:
        # A region whose controls were all not applicable or not run must not
        # disappear under the PASS of another region in the same run.
        summary["verdict"] = "incomplete"
        summary["verdict_reason"] = (
            f"region(s) {', '.join(untested)} have no passing control; see the "
            "summary by region"
        )
    reason = _verdict_reason(summary["outcomes"], exit_status)
    if reason is not None:
        summary["verdict_reason"] = reason
        if exit_status not in (None, *_NEUTRAL_EXIT_STATUSES):
            summary["verdict"] = "fail"
    return summary


def write_evidence(
    directory: Path, metadata: RunMetadata, results: list[ControlResult]
) -> tuple[Path, Path]:
    """Write evidence.json and evidence.html into ``directory``, returning both paths.

    Controls are ordered by region, provider, control id and test node id. The
    JSON document is validated before it is written, and the HTML page names
    the JSON file's SHA-256.
    """
    ordered = sorted(
        results, key=lambda r: (r.region, r.provider, r.control_id, r.nodeid)
    )
    document = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "run": metadata.to_dict(),
        "summary": summarize(ordered, exit_status=metadata.pytest_exit_status),
        "controls": [result.to_dict() for result in ordered],
    }
    validate_evidence(document)

    directory.mkdir(parents=True, exist_ok=True)
    json_bytes = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    json_path = _write_atomically(directory / "evidence.json", json_bytes)
    html = (
        _environment()
        .get_template("evidence.html.j2")
        .render(
            document=document,
            review_line=review_line(document["summary"]),
            json_name=json_path.name,
            json_sha256=hashlib.sha256(json_bytes).hexdigest(),
        )
    )
    html_path = _write_atomically(directory / "evidence.html", html.encode())
    return json_path, html_path


def validate_evidence(data: dict[str, Any]) -> None:
    """Check ``data`` against evidence.schema.json, raising EvidenceSchemaError."""
    errors = list(jsonschema.Draft202012Validator(_schema()).iter_errors(data))
    if not errors:
        return
    error = best_match(errors)
    raise EvidenceSchemaError(error.json_path, error.message, len(errors))


def load_evidence(path: Path) -> dict[str, Any]:
    """Read an evidence.json file and validate it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        problem = f"{path} contains a JSON {type(data).__name__}, not an object"
        raise EvidenceSchemaError("$", problem, 1)
    validate_evidence(data)
    return data


def _counts(results: Sequence[ControlResult]) -> dict[str, Any]:
    tally = Counter(result.outcome for result in results)
    outcomes = {outcome: tally.get(outcome, 0) for outcome in OUTCOMES}
    if outcomes["failed"] or outcomes["error"]:
        verdict = "fail"
    elif outcomes["skipped"] or outcomes["not-run"] or not outcomes["passed"]:
        verdict = "incomplete"
    else:
        verdict = "pass"
    return {"total": len(results), "outcomes": outcomes, "verdict": verdict}


def _by_control(results: Sequence[ControlResult]) -> list[dict[str, Any]]:
    grouped: dict[str, list[ControlResult]] = {}
    for result in results:
        grouped.setdefault(result.control_id, []).append(result)
    rows = []
    for control_id in sorted(grouped):
        group = grouped[control_id]
        first = group[0]
        rows.append(
            {
                "control_id": control_id,
                "title": first.title,
                "region": first.region,
                "outcome": control_outcome(result.outcome for result in group),
                "results": len(group),
                "outcomes": _counts(group)["outcomes"],
                "review": list(
                    dict.fromkeys(note for result in group for note in result.review)
                ),
            }
        )
    return rows


def _review_counts(results: Sequence[ControlResult]) -> dict[str, int]:
    flagged = [
        result
        for result in results
        if result.review and result.outcome in ("passed", "failed")
    ]
    return {
        "results": len(flagged),
        "controls": len({result.control_id for result in flagged}),
    }


def review_line(summary: dict[str, Any]) -> str | None:
    """Return the sentence that counts results resting on unconfirmed parameters.

    Returns None when no result carries a review text.
    """
    review = summary["review"]
    if not review["results"]:
        return None
    return (
        f"{review['results']} result(s) of {review['controls']} control(s) rest "
        "on parameters marked for review by a compliance officer"
    )


def control_outcome(outcomes: Iterable[str]) -> str:
    """Return the one outcome that stands for a control with several results.

    A failure, an error or a result that did not run decides it, in that
    order. Otherwise one pass makes the control passed, because skipped and
    not-applicable results (such as a provider without the feature) do not
    weaken a case that was proven. A control with neither gets the worse of
    skipped and not-applicable.
    """
    present = set(outcomes)
    if not present:
        raise ValueError("control_outcome() needs at least one outcome.")
    for outcome in ("failed", "error", "not-run", "passed"):
        if outcome in present:
            return outcome
    return min(present, key=WORST_FIRST.index)


def _verdict_reason(outcomes: dict[str, int], exit_status: int | None) -> str | None:
    """Explain a verdict other than "pass", or return None for a pass."""
    problems = outcomes["failed"] + outcomes["error"]
    if problems:
        return (
            f"{outcomes['failed']} control result(s) failed and "
            f"{outcomes['error']} ended in an error"
        )
    if exit_status not in (None, *_NEUTRAL_EXIT_STATUSES):
        return (
            f"pytest exited with status {exit_status} ({_exit_code_name(exit_status)})"
            ", so the run had errors outside the control results, such as a "
            "collection error or a failed test without a control"
        )
    if outcomes["not-run"]:
        return (
            f"{outcomes['not-run']} catalogue control(s) of the selected regions "
            "did not run"
        )
    if outcomes["skipped"]:
        return f"{outcomes['skipped']} control result(s) were skipped"
    if not outcomes["passed"]:
        return "no control result passed"
    return None


def _exit_code_name(status: int | None) -> str:
    # pytest.ExitCode is not imported, so that this module works without pytest.
    names = {
        1: "TESTS_FAILED",
        2: "INTERRUPTED",
        3: "INTERNAL_ERROR",
        4: "USAGE_ERROR",
    }
    return names.get(status or 0, "unknown exit status")


def _timestamp(value: datetime) -> str:
    return (
        value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _write_atomically(path: Path, content: bytes) -> Path:
    # A reader never sees a half-written report: write a sibling, then rename.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return path


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
