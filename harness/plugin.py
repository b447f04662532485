"""carecert's pytest plugin: options, markers, selection and evidence.

Loaded through the ``pytest11`` entry point. Precedence where several places
set one value: a command-line option wins over the ini setting, which wins
over the built-in default.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import carecert
from carecert.adapters.builtin import default_registry
from carecert.adapters.compliance.catalogue import load_catalogue
from carecert.harness import hooks
from carecert.harness._keys import EVIDENCE_KEY, STATE_KEY
from carecert.harness.evidence import ControlResult, RunMetadata, write_evidence
from carecert.harness.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    carecert_network_guard,
    carecert_state,
    evidence,
    harness_keys,
    provider_cassette,
    provider_factory,
    provider_harness,
    provider_registry,
)
from carecert.harness.selection import parse_regions, split_values
from carecert.harness.state import RECORD_MODES, CarecertState, TestEvidence

log = logging.getLogger("carecert.harness")

FAMILY_MARKERS = {
    "residency": "data residency controls: where provider traffic may go",
    "retention": "audit retention controls: how long access records are kept",
    "consent": "consent controls: no data leaves without a valid consent",
    "encryption": "encryption controls: TLS in transit, AES-256-GCM at rest",
    "mfa": "second-factor controls for user-restricted access",
    "audit": "audit logging controls",
    "access-control": "access control controls",
    "conformance": "OpenAPI conformance of recorded provider traffic",
}
NOT_APPLICABLE_PREFIX = "not applicable: "


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("carecert", "carecert compliance and conformance")
    group.addoption(
        "--record-mode",
        choices=RECORD_MODES,
        default=None,
        help="How cassettes are used: 'none' replays only and blocks the network "
        "(default); 'once', 'new_episodes' and 'all' record from the provider "
        "simulators as vcrpy does.",
    )
    group.addoption(
        "--region",
        action="append",
        default=[],
        help="Compliance region to test (UK, ...); repeat or separate with commas. "
        "Default: every region.",
    )
    group.addoption(
        "--provider",
        action="append",
        default=[],
        help="Provider id to test (nhs, ...); repeat or separate with commas. "
        "Default: every provider of the selected regions.",
    )
    group.addoption(
        "--control",
        action="append",
        default=[],
        help="Control id (UK-RES-01) or family (residency) to run; repeatable.",
    )
    group.addoption(
        "--mock-api",
        action="store_true",
        default=False,
        help="Run against the in-process provider simulators instead of cassettes.",
    )
    group.addoption(
        "--evidence-dir",
        default=None,
        help="Directory to write evidence.json and evidence.html into.",
    )
    group.addoption(
        "--cassette-dir",
        default=None,
        help="Directory of recorded cassettes. Default: the ini setting "
        "carecert_cassette_dir, else 'cassettes' under the rootdir.",
    )
    parser.addini(
        "carecert_cassette_dir",
        "Directory of recorded cassettes, relative to the rootdir.",
        default="cassettes",
    )
    parser.addini(
        "carecert_record_mode",
        "Default record mode (none, once, new_episodes, all).",
        default="none",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "control(control_id): ties a test to a catalogue control; its outcome "
        "goes into the evidence report.",
    )
    for family, description in FAMILY_MARKERS.items():
        config.addinivalue_line("markers", f"{family}: {description}")

    catalogue = load_catalogue()
    record_mode = config.getoption("--record-mode") or config.getini(
        "carecert_record_mode"
    )
    if record_mode not in RECORD_MODES:
        raise pytest.UsageError(
            f"carecert_record_mode = {record_mode!r} is invalid; "
            f"use one of {', '.join(RECORD_MODES)}."
        )
    rootdir = Path(config.rootpath)
    cassette_dir = Path(
        config.getoption("--cassette-dir")
        or rootdir / config.getini("carecert_cassette_dir")
    )
    evidence_dir = config.getoption("--evidence-dir")
    registry = default_registry()
    config.hook.pytest_carecert_register_providers(registry=registry)

    providers = split_values(config.getoption("--provider"))
    unknown = [p for p in providers if p not in registry]
    if unknown:
        known = ", ".join(sorted(r.provider_id for r in registry.registrations()))
        raise pytest.UsageError(
            f"--provider: unknown provider {', '.join(unknown)}. Registered: {known}."
        )
    config.stash[STATE_KEY] = CarecertState(
        catalogue=catalogue,
        registry=registry,
        regions=parse_regions(config.getoption("--region"), catalogue),
        providers=providers,
        controls=split_values(config.getoption("--control")),
        record_mode=record_mode,
        mock_api=bool(config.getoption("--mock-api")),
        cassette_dir=cassette_dir,
        evidence_dir=Path(evidence_dir) if evidence_dir else None,
        rootdir=rootdir,
        started_at=datetime.now(UTC),
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash[STATE_KEY]
    regions = ",".join(state.regions) or "all"
    source = "simulators" if state.mock_api else f"cassettes in {state.cassette_dir}"
    return [
        f"carecert {carecert.__version__}: regions={regions} "
        f"record-mode={state.record_mode} traffic={source}"
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each control test once per provider of the control's region."""
    marker = metafunc.definition.get_closest_marker("control")
    if marker is None or "provider_id" not in metafunc.fixturenames:
        return
    if any(
        "provider_id" in m.args[0]
        for m in metafunc.definition.iter_markers("parametrize")
    ):
        return
    state = metafunc.config.stash[STATE_KEY]
    control = state.catalogue.control(_control_id(metafunc.definition, marker))
    providers = [
        registration.provider_id
        for registration in state.registry.find_by_region(control.region)
        if not state.providers or registration.provider_id in state.providers
    ]
    if not providers:
        reason = f"not applicable: no provider registered for region {control.region}"
        metafunc.parametrize(
            "provider_id", [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
        )
        return
    metafunc.parametrize("provider_id", providers)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[STATE_KEY]
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("control")
        if marker is None:
            selected.append(item)
            continue
        control = state.catalogue.control(_control_id(item, marker))
        item.add_marker(getattr(pytest.mark, control.family))
        keep = (
            (not state.regions or control.region in state.regions)
            and (not state.providers or _provider_of(item) in (None, *state.providers))
            and (
                not state.controls or {control.id, control.family} & set(state.controls)
            )
        )
        (selected if keep else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    # Controls that read whole cassettes run after those that record them, so
    # a --record-mode run checks the traffic it has just recorded.
    selected.sort(key=_reads_recorded_traffic)
    items[:] = selected


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = item.get_closest_marker("control")
    if marker is None:
        return report
    done = report.when == "call" or (report.when == "setup" and not report.passed)
    if not done:
        return report
    state = item.config.stash[STATE_KEY]
    control = state.catalogue.control(_control_id(item, marker))
    gathered = item.stash.get(EVIDENCE_KEY, TestEvidence())
    state.results.append(
        ControlResult(
            control_id=control.id,
            title=control.title,
            clause=control.clause,
            family=control.family,
            severity=control.severity,
            region=control.region,
            provider=_provider_of(item) or "-",
            outcome=_outcome(report),
            nodeid=item.nodeid,
            duration_s=round(report.duration, 6),
            message=_message(report),
            evidence=list(gathered.items),
            decided_by=gathered.decided_by,
        )
    )
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if (
        state is None
        or state.evidence_dir is None
        or hasattr(session.config, "workerinput")
    ):
        return
    metadata = RunMetadata.collect(
        rootdir=state.rootdir,
        started_at=state.started_at,
        finished_at=datetime.now(UTC),
        command_line=list(session.config.invocation_params.args),
        regions=state.regions or sorted(state.catalogue.regions),
        providers=state.providers
        or [r.provider_id for r in state.registry.registrations()],
        record_mode=state.record_mode,
    )
    state.evidence_written = write_evidence(state.evidence_dir, metadata, state.results)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash.get(STATE_KEY, None)
    if state is None or state.evidence_written is None:
        return
    json_path, html_path = state.evidence_written
    failed = sum(1 for r in state.results if r.outcome in ("failed", "error"))
    terminalreporter.section("carecert evidence")
    terminalreporter.write_line(
        f"{len(state.results)} control result(s), {failed} failed or in error"
    )
    terminalreporter.write_line(f"evidence.json: {json_path.resolve()}")
    terminalreporter.write_line(f"evidence.html: {html_path.resolve()}")


def _reads_recorded_traffic(item: pytest.Item) -> bool:
    return any(
        item.get_closest_marker(family) for family in ("residency", "conformance")
    )


def _control_id(item: pytest.Item, marker: pytest.Mark) -> str:
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.control needs the control id as its first "
            "argument, e.g. @pytest.mark.control('UK-RES-01')."
        )
    return marker.args[0]


def _provider_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "provider_id" in callspec.params:
        return str(callspec.params["provider_id"])
    marker = item.get_closest_marker("control")
    provider = marker.kwargs.get("provider") if marker else None
    return str(provider) if provider else None


def _outcome(report: pytest.TestReport) -> str:
    if report.passed:
        return "passed"
    if report.skipped:
        reason = _message(report) or ""
        return "not-applicable" if NOT_APPLICABLE_PREFIX in reason else "skipped"
    return "failed" if report.when == "call" else "error"


def _message(report: pytest.TestReport) -> str | None:
    if report.passed:
        return None
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(report.longrepr) if report.longrepr else None
