"""The evidence report: JSON schema, HTML page, digests and run metadata."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from carecert.harness.evidence import (
    CatalogueRecord,
    ControlResult,
    EvidenceItem,
    EvidenceSchemaError,
    RunMetadata,
    control_outcome,
    load_evidence,
    read_git_commit,
    read_git_dirty,
    summarize,
    validate_evidence,
    write_evidence,
)

SCRIPT_MESSAGE = "<script>alert('x')</script> host api.example.com is in US"
LABELS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "skipped": "SKIPPED",
    "not-applicable": "NOT APPLICABLE",
    "not-run": "NOT RUN",
}
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "harness" / "evidence.schema.json"


def result(
    control_id: str, outcome: str, *, provider: str = "nhs", **fields: Any
) -> ControlResult:
    values: dict[str, Any] = {
        "title": f"Title of {control_id}",
        "clause": "UK GDPR Art. 32(1)(a)",
        "family": "encryption",
        "severity": "high",
        "region": control_id.split("-")[0],
        "nodeid": f"tests/suites/test_x.py::test_{control_id}[{provider}]",
        "duration_s": 0.25,
        **fields,
    }
    return ControlResult(
        control_id=control_id, provider=provider, outcome=outcome, **values
    )


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    path = tmp_path / "cassettes" / "nhs" / "pds_get_patient.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("interactions: []\n", encoding="utf-8")
    return path


@pytest.fixture
def results(cassette: Path) -> list[ControlResult]:
    return [
        result(
            "UK-ENC-01",
            "passed",
            evidence=[
                EvidenceItem.for_file(cassette, "cassette", "PDS get patient"),
                EvidenceItem("note", None, None, "negotiated TLSv1.3"),
            ],
            decided_by="client minimum TLS 1.2",
        ),
        result("UK-RES-01", "failed", message=SCRIPT_MESSAGE, family="residency"),
        result("UK-CON-01", "error", message="KeyError: 'consent'"),
        result("UK-MFA-01", "skipped", provider="mock", message="no MFA fixture"),
        result("EU-RES-01", "not-applicable", provider="mock"),
        result("UK-RET-02", "not-run", provider="-", nodeid="-", duration_s=0.0),
    ]


@pytest.fixture
def metadata(tmp_path: Path) -> RunMetadata:
    return RunMetadata.collect(
        rootdir=tmp_path,
        started_at=START,
        finished_at=START + timedelta(seconds=42),
        command_line=["-p", "carecert", "--region", "UK"],
        regions=["UK", "EU"],
        providers=["nhs", "mock"],
        record_mode="none",
    )


@pytest.fixture
def written(
    tmp_path: Path, metadata: RunMetadata, results: list[ControlResult]
) -> tuple[Path, Path]:
    return write_evidence(tmp_path / "evidence", metadata, results)


class TagBalance(HTMLParser):
    """Collect unclosed or mismatched tags, ignoring void elements."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def articles(html: str) -> list[str]:
    return re.findall(r"<article\b.*?</article>", html, flags=re.DOTALL)


def test_written_files_parse(written: tuple[Path, Path]) -> None:
    json_path, html_path = written
    document = json.loads(json_path.read_text(encoding="utf-8"))
    checker = TagBalance()
    checker.feed(html_path.read_text(encoding="utf-8"))
    checker.close()

    assert json_path.name == "evidence.json"
    assert html_path.name == "evidence.html"
    assert document["schema"] == "carecert-evidence"
    assert document["schema_version"] == 2
    assert len(document["controls"]) == 6
    assert checker.problems == []
    assert checker.stack == []
    assert sorted(p.name for p in json_path.parent.iterdir()) == [
        "evidence.html",
        "evidence.json",
    ]


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

    jsonschema.Draft202012Validator.check_schema(schema)


def test_written_json_validates(written: tuple[Path, Path]) -> None:
    document = load_evidence(written[0])

    validate_evidence(document)
    assert document["run"]["regions"] == ["UK", "EU"]


@pytest.mark.parametrize(
    ("change", "json_path", "problem"),
    [
        (
            lambda d: d["controls"][0].update(outcome="maybe"),
            "$.controls[0].outcome",
            "'maybe' is not one of",
        ),
        (
            lambda d: d["run"].pop("git_commit"),
            "$.run",
            "'git_commit' is a required property",
        ),
        (
            lambda d: d.update(schema_version=1),
            "$.schema_version",
            "2 was expected",
        ),
        (
            lambda d: d["controls"][1]["evidence"].append(
                {"kind": "file", "path": "a", "sha256": "ABC", "description": ""}
            ),
            "$.controls[1].evidence[0].sha256",
            "'ABC'",
        ),
        (
            lambda d: d["run"].update(started_at="2026-03-01T09:30:00+02:00"),
            "$.run.started_at",
            "does not match",
        ),
    ],
    ids=["outcome", "missing-field", "version", "digest", "non-utc-time"],
)
def test_invalid_document_names_path(
    written: tuple[Path, Path], change: Any, json_path: str, problem: str
) -> None:
    document = json.loads(written[0].read_text(encoding="utf-8"))
    change(document)

    with pytest.raises(EvidenceSchemaError) as caught:
        validate_evidence(document)

    assert caught.value.json_path == json_path
    assert f"Invalid evidence document at {json_path}: " in str(caught.value)
    assert problem in str(caught.value)


def test_invalid_result_writes_nothing(tmp_path: Path, metadata: RunMetadata) -> None:
    bad = result("UK-ENC-01", "passed", severity="urgent")

    with pytest.raises(EvidenceSchemaError, match=r"\$\.controls\[0\]\.severity"):
        write_evidence(tmp_path / "out", metadata, [bad])

    assert not (tmp_path / "out").exists()


def test_html_shows_each_control(
    written: tuple[Path, Path], results: list[ControlResult]
) -> None:
    blocks = articles(written[1].read_text(encoding="utf-8"))

    assert len(blocks) == len(results)
    for control in results:
        matching = [b for b in blocks if f"{control.control_id}: " in b]
        assert len(matching) == 1, control.control_id
        block = matching[0]
        label = LABELS[control.outcome]
        assert f'class="badge outcome-{control.outcome}">{label}</span>' in block
        assert f"<td>{label}</td>" in block
        assert f"<td>{control.clause}</td>" in block
        assert f"<td>{control.provider}</td>" in block


def test_html_summary_by_region_provider(written: tuple[Path, Path]) -> None:
    html = written[1].read_text(encoding="utf-8")
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", summary, flags=re.DOTALL)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL) for row in rows]
    body = [[re.sub(r"<[^>]+>", "", c) for c in row] for row in cells[1:]]

    assert body == [
        ["EU", "mock", "0", "0", "1", "1", "INCOMPLETE"],
        ["UK", "-", "0", "0", "1", "1", "INCOMPLETE"],
        ["UK", "mock", "0", "0", "1", "1", "INCOMPLETE"],
        ["UK", "nhs", "1", "1", "1", "3", "FAIL"],
        ["All", "1", "1", "4", "6", "FAIL"],
    ]
    assert "Overall verdict: <strong>FAIL</strong>" in html


def test_message_with_script_escaped(written: tuple[Path, Path]) -> None:
    html = written[1].read_text(encoding="utf-8")

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_html_is_self_contained(written: tuple[Path, Path]) -> None:
    html = written[1].read_text(encoding="utf-8")

    for marker in ("<link", "<img", "<iframe", "src=", "@import", "url(", "http"):
        assert marker not in html, marker
    assert "<style>" in html


def test_html_names_json_digest(written: tuple[Path, Path]) -> None:
    json_path, html_path = written
    digest = hashlib.sha256(json_path.read_bytes()).hexdigest()

    assert f'<code class="digest">{digest}</code>' in html_path.read_text()


def test_file_digest_matches_hashlib(tmp_path: Path) -> None:
    # Larger than the 1 MiB read size, so several chunks are hashed.
    data = bytes(range(256)) * 10_000
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)

    item = EvidenceItem.for_file(path, "spec", "OpenAPI description")

    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.path == path.as_posix()
    assert item.kind == "spec"


def test_written_digest_matches_file(
    written: tuple[Path, Path], cassette: Path
) -> None:
    document = json.loads(written[0].read_text(encoding="utf-8"))
    passed = next(c for c in document["controls"] if c["control_id"] == "UK-ENC-01")
    html = written[1].read_text(encoding="utf-8")
    expected = hashlib.sha256(cassette.read_bytes()).hexdigest()

    assert passed["evidence"][0]["sha256"] == expected
    assert passed["evidence"][1] == {
        "kind": "note",
        "path": None,
        "sha256": None,
        "description": "negotiated TLSv1.3",
    }
    assert f'<code class="digest">{expected}</code>' in html


def test_for_file_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        EvidenceItem.for_file(tmp_path / "absent.yaml", "cassette", "missing")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kind": "log", "path": None, "sha256": None},
            "Invalid evidence kind 'log'",
        ),
        (
            {"kind": "file", "path": "a", "sha256": "abc"},
            "Invalid SHA-256 'abc'",
        ),
        (
            {"kind": "note", "path": "a", "sha256": None},
            "has a path or digest",
        ),
    ],
    ids=["kind", "digest", "note-with-path"],
)
def test_evidence_item_rejects_invalid(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EvidenceItem(description="x", **kwargs)


def test_for_file_rejects_note(cassette: Path) -> None:
    with pytest.raises(ValueError, match="got kind 'note'"):
        EvidenceItem.for_file(cassette, "note", "x")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"outcome": "passed-ish"}, "invalid outcome 'passed-ish'"),
        ({"outcome": "passed", "duration_s": -1.0}, "duration_s must be"),
        ({"outcome": "passed", "duration_s": float("nan")}, "duration_s must be"),
    ],
    ids=["outcome", "negative-duration", "nan-duration"],
)
def test_control_result_rejects_invalid(fields: dict[str, Any], message: str) -> None:
    outcome = fields.pop("outcome")

    with pytest.raises(ValueError, match=message):
        result("UK-ENC-01", outcome, **fields)


def test_metadata_timestamps_utc(tmp_path: Path) -> None:
    plus_two = timezone(timedelta(hours=2))
    metadata = RunMetadata.collect(
        rootdir=tmp_path,
        started_at=datetime(2026, 3, 1, 11, 30, tzinfo=plus_two),
        regions=["UK"],
        providers=["nhs"],
        record_mode="none",
    )
    run = metadata.to_dict()
    started = datetime.fromisoformat(run["started_at"])
    finished = datetime.fromisoformat(run["finished_at"])

    assert run["started_at"] == "2026-03-01T09:30:00.000Z"
    assert started.tzinfo is not None
    assert started.utcoffset() == timedelta(0)
    assert finished.tzinfo is not None
    assert finished.utcoffset() == timedelta(0)
    assert finished >= started
    assert metadata.started_at.tzinfo is UTC


def test_metadata_rejects_naive_time(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="started_at must be timezone-aware"):
        RunMetadata.collect(
            rootdir=tmp_path,
            started_at=datetime(2026, 3, 1, 9, 30),
            regions=["UK"],
            providers=[],
            record_mode="none",
        )


def test_metadata_rejects_reversed_times(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="finished_at .* is before started_at"):
        RunMetadata.collect(
            rootdir=tmp_path,
            started_at=START,
            finished_at=START - timedelta(seconds=1),
            regions=["UK"],
            providers=[],
            record_mode="none",
        )


def test_collect_fills_environment(metadata: RunMetadata) -> None:
    assert metadata.carecert_version
    assert re.fullmatch(r"3\.\d+\.\d+.*", metadata.python_version)
    assert metadata.platform
    assert metadata.command_line == ("-p", "carecert", "--region", "UK")
    assert metadata.git_commit is None  # tmp_path is not a git work tree


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_collect_reads_git_commit(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        completed = subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True
        )
        return completed.stdout.strip()

    git("init", "--quiet")
    assert read_git_commit(tmp_path) is None  # no commit yet
    (tmp_path / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git(
        "-c",
        "user.name=carecert test",
        "-c",
        "user.email=test@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "first",
    )

    assert read_git_commit(tmp_path) == git("rev-parse", "HEAD")


def test_git_commit_none_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    assert read_git_commit(tmp_path) is None


def test_git_commit_none_for_missing_dir(tmp_path: Path) -> None:
    assert read_git_commit(tmp_path / "absent") is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_dirty_follows_status(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    assert read_git_dirty(tmp_path) is False

    (tmp_path / "a.txt").write_text("a\n")

    assert read_git_dirty(tmp_path) is True


def test_git_dirty_none_outside_work_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert read_git_dirty(tmp_path / "absent") is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert read_git_dirty(tmp_path) is None


def test_metadata_records_dirty_state(metadata: RunMetadata) -> None:
    run = metadata.to_dict()

    assert run["git_dirty"] is None  # tmp_path is not a git work tree
    assert run["traffic_source"] == "cassettes"
    assert run["pytest_exit_status"] is None


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        (["passed", "passed"], "pass"),
        (["passed", "not-applicable"], "pass"),
        (["passed", "skipped"], "incomplete"),
        (["not-applicable"], "incomplete"),
        ([], "incomplete"),
        (["passed", "error"], "fail"),
        (["failed", "skipped"], "fail"),
        (["passed", "not-run"], "incomplete"),
        (["failed", "not-run"], "fail"),
    ],
    ids=[
        "all-passed",
        "passed-and-not-applicable",
        "skipped",
        "only-not-applicable",
        "empty",
        "error",
        "failed",
        "not-run",
        "failed-and-not-run",
    ],
)
def test_summary_verdict_rules(outcomes: list[str], verdict: str) -> None:
    summary = summarize(result("UK-ENC-01", outcome) for outcome in outcomes)

    assert summary["verdict"] == verdict
    assert summary["total"] == len(outcomes)


def test_summary_counts_by_group(results: list[ControlResult]) -> None:
    summary = summarize(results)

    assert summary["outcomes"] == {
        "passed": 1,
        "failed": 1,
        "error": 1,
        "skipped": 1,
        "not-applicable": 1,
        "not-run": 1,
    }
    assert sorted(summary["by_region"]) == ["EU", "UK"]
    assert summary["by_region"]["UK"]["total"] == 5
    assert summary["by_provider"]["nhs"]["verdict"] == "fail"
    assert summary["by_provider"]["mock"]["verdict"] == "incomplete"
    assert [(r["region"], r["provider"]) for r in summary["by_region_provider"]] == [
        ("EU", "mock"),
        ("UK", "-"),
        ("UK", "mock"),
        ("UK", "nhs"),
    ]


@pytest.mark.parametrize("exit_status", [1, 2, 3, 4])
def test_exit_status_fails_passed_run(exit_status: int) -> None:
    summary = summarize([result("UK-ENC-01", "passed")], exit_status=exit_status)

    assert summary["verdict"] == "fail"
    assert f"pytest exited with status {exit_status}" in summary["verdict_reason"]
    assert summary["by_provider"]["nhs"]["verdict"] == "pass"


@pytest.mark.parametrize("exit_status", [None, 0, 5])
def test_neutral_exit_status_keeps_pass(exit_status: int | None) -> None:
    summary = summarize([result("UK-ENC-01", "passed")], exit_status=exit_status)

    assert summary["verdict"] == "pass"
    assert "verdict_reason" not in summary


def test_not_run_gives_reason() -> None:
    summary = summarize([result("UK-ENC-01", "passed"), result("UK-CON-01", "not-run")])

    assert summary["verdict"] == "incomplete"
    assert summary["verdict_reason"] == (
        "1 catalogue control(s) of the selected regions did not run"
    )


def test_by_control_picks_outcome() -> None:
    summary = summarize(
        [
            result("UK-ENC-01", "passed"),
            result("UK-ENC-01", "not-applicable", provider="acme"),
            result("UK-CON-01", "passed"),
            result("UK-CON-01", "failed", nodeid="t.py::test_other[nhs]"),
            result("UK-RES-01", "passed"),
        ]
    )

    assert summary["by_control"] == [
        {
            "control_id": "UK-CON-01",
            "title": "Title of UK-CON-01",
            "region": "UK",
            "outcome": "failed",
            "results": 2,
            "outcomes": {**NO_OUTCOMES, "passed": 1, "failed": 1},
            "review": [],
        },
        {
            "control_id": "UK-ENC-01",
            "title": "Title of UK-ENC-01",
            "region": "UK",
            "outcome": "passed",
            "results": 2,
            "outcomes": {**NO_OUTCOMES, "passed": 1, "not-applicable": 1},
            "review": [],
        },
        {
            "control_id": "UK-RES-01",
            "title": "Title of UK-RES-01",
            "region": "UK",
            "outcome": "passed",
            "results": 1,
            "outcomes": {**NO_OUTCOMES, "passed": 1},
            "review": [],
        },
    ]


NO_OUTCOMES = dict.fromkeys(LABELS, 0)

# Each case: outcomes of one control's results, and the outcome it summarizes as.
CONTROL_OUTCOMES = [
    (["passed", "not-applicable", "not-applicable"], "passed"),
    (["not-applicable", "passed"], "passed"),
    (["passed", "skipped"], "passed"),
    (["passed", "failed"], "failed"),
    (["passed", "error"], "error"),
    (["passed", "not-run"], "not-run"),
    (["error", "failed"], "failed"),
    (["not-run", "error"], "error"),
    (["not-applicable", "skipped"], "skipped"),
    (["not-applicable"], "not-applicable"),
]


@pytest.mark.parametrize(("outcomes", "expected"), CONTROL_OUTCOMES)
def test_control_outcome_table(outcomes: list[str], expected: str) -> None:
    assert control_outcome(outcomes) == expected


def test_control_outcome_needs_results() -> None:
    with pytest.raises(ValueError, match="at least one outcome"):
        control_outcome([])


def test_not_applicable_region_stays_incomplete() -> None:
    # AU-CON-01 proved its key case in one sub-case, and FR has no passing result.
    summary = summarize(
        [
            result("AU-CON-01", "passed", nodeid="t.py::test_c[withdrawn]"),
            result("AU-CON-01", "not-applicable", nodeid="t.py::test_c[granted]"),
            result("FR-CON-01", "not-applicable"),
        ]
    )

    rows = {row["control_id"]: row for row in summary["by_control"]}
    assert rows["AU-CON-01"]["outcome"] == "passed"
    assert rows["AU-CON-01"]["outcomes"]["not-applicable"] == 1
    assert rows["FR-CON-01"]["outcome"] == "not-applicable"
    assert summary["by_region"]["AU"]["verdict"] == "pass"
    assert summary["by_region"]["FR"]["verdict"] == "incomplete"
    assert summary["verdict"] == "incomplete"


def test_html_lists_sub_outcomes(tmp_path: Path, metadata: RunMetadata) -> None:
    results = [
        result("AU-CON-01", "passed", nodeid="t.py::test_c[withdrawn]"),
        result("AU-CON-01", "not-applicable", nodeid="t.py::test_c[granted]"),
    ]
    _, html_path = write_evidence(tmp_path / "evidence", metadata, results)
    html = html_path.read_text(encoding="utf-8")
    section = html.split('<section id="by-control">')[1].split("</section>")[0]

    assert '<span class="badge outcome-passed">PASSED</span>' in section
    assert "1 passed, 1 not applicable" in section


def test_catalogue_recorded_in_run(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"schema_version: 1\n").hexdigest()
    record = CatalogueRecord("adapters/compliance/catalogue.yaml", 1, digest)
    metadata = RunMetadata.collect(
        rootdir=tmp_path,
        started_at=START,
        finished_at=START + timedelta(seconds=1),
        regions=["UK"],
        providers=["nhs"],
        record_mode="none",
        catalogue=record,
    )
    json_path, html_path = write_evidence(
        tmp_path / "evidence", metadata, [result("UK-ENC-01", "passed")]
    )
    run = json.loads(json_path.read_text(encoding="utf-8"))["run"]
    html = html_path.read_text(encoding="utf-8")

    assert run["catalogue"] == {
        "path": "adapters/compliance/catalogue.yaml",
        "schema_version": 1,
        "sha256": digest,
    }
    assert "<code>adapters/compliance/catalogue.yaml</code>, schema version 1" in html
    assert f'<code class="digest">{digest}</code>' in html


def test_catalogue_record_rejects_bad_digest() -> None:
    with pytest.raises(ValueError, match="Invalid SHA-256 'abc'"):
        CatalogueRecord("catalogue.yaml", 1, "abc")


def test_schema_requires_run_catalogue(written: tuple[Path, Path]) -> None:
    document = json.loads(written[0].read_text(encoding="utf-8"))
    del document["run"]["catalogue"]

    with pytest.raises(EvidenceSchemaError, match="catalogue"):
        validate_evidence(document)


def test_review_shown_on_control(tmp_path: Path, metadata: RunMetadata) -> None:
    note = "region UK parameter audit_retention_years: An estimate."
    results = [
        result("UK-RET-02", "passed", review=[note]),
        result("UK-ENC-01", "passed"),
    ]
    json_path, html_path = write_evidence(tmp_path / "evidence", metadata, results)
    controls = {
        c["control_id"]: c
        for c in json.loads(json_path.read_text(encoding="utf-8"))["controls"]
    }
    html = html_path.read_text(encoding="utf-8")
    by_article = {a.split("</h3>")[0]: a for a in articles(html)}
    retention = next(a for h, a in by_article.items() if "UK-RET-02" in h)
    encryption = next(a for h, a in by_article.items() if "UK-ENC-01" in h)

    assert controls["UK-RET-02"]["review"] == [note]
    assert controls["UK-ENC-01"]["review"] == []
    assert f"needs review by a compliance officer: {note}" in retention
    assert "needs review" not in encryption


UK_NOTE = "region UK parameter audit_retention_years: An estimate."
DE_NOTE = "region DE parameter consent: Not confirmed."
REVIEWED_RESULTS = [
    result("UK-RET-02", "passed", review=[UK_NOTE]),
    result("UK-RET-02", "passed", provider="acme", review=[UK_NOTE]),
    result("UK-CON-01", "failed", review=[DE_NOTE]),
    result("UK-CON-01", "passed", provider="acme", review=[UK_NOTE, DE_NOTE]),
    result("UK-ENC-01", "passed"),
    # A result that did not run rests on no parameter, so it is not counted.
    result("UK-RES-01", "not-run", provider="-", nodeid="-", review=[UK_NOTE]),
]


def test_summary_counts_review() -> None:
    summary = summarize(REVIEWED_RESULTS)

    assert summary["review"] == {"results": 4, "controls": 2}
    assert summary["verdict"] == "fail"


def test_summary_without_review() -> None:
    summary = summarize([result("UK-ENC-01", "passed")])

    assert summary["review"] == {"results": 0, "controls": 0}
    assert summary["by_control"][0]["review"] == []


def test_by_control_lists_review() -> None:
    rows = {row["control_id"]: row for row in summarize(REVIEWED_RESULTS)["by_control"]}

    assert rows["UK-RET-02"]["review"] == [UK_NOTE]
    assert rows["UK-CON-01"]["review"] == [DE_NOTE, UK_NOTE]
    assert rows["UK-ENC-01"]["review"] == []
    assert rows["UK-RES-01"]["review"] == [UK_NOTE]


def test_html_shows_review_count_and_column(
    tmp_path: Path, metadata: RunMetadata
) -> None:
    json_path, html_path = write_evidence(
        tmp_path / "evidence", metadata, REVIEWED_RESULTS
    )
    html = html_path.read_text(encoding="utf-8")
    header = html.split("<header>")[1].split("</header>")[0]
    section = html.split('<section id="by-control">')[1].split("</section>")[0]
    rows = {
        row.split("</td>")[0].strip().removeprefix("<td>"): row
        for row in section.split("<tr>")[2:]
    }

    assert json.loads(json_path.read_text(encoding="utf-8"))["summary"]["review"] == {
        "results": 4,
        "controls": 2,
    }
    assert (
        "4 result(s) of 2 control(s) rest on parameters marked for review "
        "by a compliance officer" in header
    )
    assert '<th scope="col">Review</th>' in section
    assert f"<li>{UK_NOTE}</li>" in rows["UK-RET-02"]
    assert f"<li>{DE_NOTE}</li>" in rows["UK-CON-01"]
    assert "needs review" not in rows["UK-ENC-01"]
    assert '<span class="muted">none</span>' in rows["UK-ENC-01"]


def test_html_headline_without_review(written: tuple[Path, Path]) -> None:
    html = written[1].read_text(encoding="utf-8")
    header = html.split("<header>")[1].split("</header>")[0]

    assert "marked for review" not in header


def test_schema_requires_summary_review(written: tuple[Path, Path]) -> None:
    document = json.loads(written[0].read_text(encoding="utf-8"))
    del document["summary"]["review"]

    with pytest.raises(EvidenceSchemaError, match="'review' is a required property"):
        validate_evidence(document)


def test_schema_requires_by_control_review(written: tuple[Path, Path]) -> None:
    document = json.loads(written[0].read_text(encoding="utf-8"))
    del document["summary"]["by_control"][0]["review"]

    with pytest.raises(EvidenceSchemaError, match="by_control"):
        validate_evidence(document)


def test_review_survives_dict_round_trip() -> None:
    original = result("UK-RET-02", "passed", review=["an estimate"])

    assert ControlResult.from_dict(original.to_dict()) == original


def test_html_shows_by_control_and_reason(written: tuple[Path, Path]) -> None:
    html = written[1].read_text(encoding="utf-8")
    section = html.split('<section id="by-control">')[1].split("</section>")[0]

    assert section.count("<tr>") == 1 + 6  # header and one row per control
    assert "<td>UK-RET-02</td>" in section
    assert '<span class="badge outcome-not-run">NOT RUN</span>' in section
    assert "of 6 results for 6 controls" in html
    assert "Reason: 1 control result(s) failed and 1 ended in an error." in html
    assert "no test of this control ran" in html


def test_html_names_simulator_traffic(tmp_path: Path) -> None:
    metadata = RunMetadata.collect(
        rootdir=tmp_path,
        started_at=START,
        regions=["UK"],
        providers=["nhs"],
        record_mode="none",
        traffic_source="simulators",
        pytest_exit_status=0,
    )

    json_path, html_path = write_evidence(
        tmp_path / "out", metadata, [result("UK-ENC-01", "passed")]
    )

    assert load_evidence(json_path)["run"]["traffic_source"] == "simulators"
    html = html_path.read_text(encoding="utf-8")
    assert "carecert&#39;s in-process provider simulators, not the providers" in html
    assert "<td>0</td>" in html


def test_metadata_rejects_unknown_traffic_source(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid traffic_source 'network'"):
        RunMetadata.collect(
            rootdir=tmp_path,
            started_at=START,
            regions=["UK"],
            providers=[],
            record_mode="none",
            traffic_source="network",  # type: ignore[arg-type]
        )


def test_result_dict_round_trip(results: list[ControlResult]) -> None:
    for original in results:
        assert ControlResult.from_dict(original.to_dict()) == original


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("passed", "error"),
        ("skipped", "error"),
        ("not-applicable", "error"),
        ("failed", "failed"),
        ("error", "error"),
    ],
)
def test_teardown_error_updates_result(outcome: str, expected: str) -> None:
    original = result("UK-ENC-01", outcome, message="first problem")

    updated = original.with_teardown_error("RuntimeError: close failed")

    assert updated.outcome == expected
    assert "error in teardown: RuntimeError: close failed" in updated.message
    if outcome in ("failed", "error"):
        assert updated.message.startswith("first problem\n")


def test_empty_run_writes_valid_report(tmp_path: Path, metadata: RunMetadata) -> None:
    json_path, html_path = write_evidence(tmp_path, metadata, [])

    assert load_evidence(json_path)["summary"]["verdict"] == "incomplete"
    assert "No control results were recorded." in html_path.read_text()


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium is not installed"
)
def test_chromium_renders_page(written: tuple[Path, Path]) -> None:
    completed = subprocess.run(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            written[1].as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "UK-ENC-01: " in completed.stdout
    assert "Overall verdict" in completed.stdout
