"""carecert's pytest plugin: options, markers, selection and evidence.

Loaded through the ``pytest11`` entry point. Precedence where several places
set one value: a command-line option wins over the ini setting, which wins
over the built-in default.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import carecert
from carecert.adapters.builtin import default_registry
from carecert.adapters.compliance.catalogue import CHECKS, Control, load_catalogue
from carecert.adapters.registry import ProviderRegistration
from carecert.harness import hooks
from carecert.harness._keys import STATE_KEY
from carecert.harness.errors import CassetteSecretError
from carecert.harness.evidence import (
    CatalogueRecord,
    ControlResult,
    RunMetadata,
    review_line,
    summarize,
    write_evidence,
)
from carecert.harness.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    NO_HARNESS_REASON,
    carecert_control,
    carecert_control_id,
    carecert_network_guard,
    carecert_region,
    carecert_rules,
    carecert_state,
    evidence,
    harness_keys,
    provider_cassette,
    provider_factory,
    provider_harness,
    provider_registry,
)
from carecert.harness.results import REPORT_ATTRIBUTE, build_result, not_run_results
from carecert.harness.selection import (
    check_cassette_dir,
    check_controls_in_regions,
    check_providers_in_regions,
    parse_controls,
    parse_providers,
    parse_regions,
)
from carecert.harness.state import RECORD_MODES, CarecertState

log = logging.getLogger("carecert.harness")

FAMILY_MARKERS = {
    "residency": "data residency controls: where provider traffic may go",
    "retention": "audit retention controls: how long access records are kept",
    "consent": "consent controls: no data leaves without a valid consent",
    "encryption": "encryption in transit controls: TLS version and certificate checks",
    "mfa": "second-factor controls for user-restricted access",
    "audit": "audit logging controls",
    "access-control": "access control controls",
    "conformance": "OpenAPI conformance of recorded provider traffic",
}


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
        help="Compliance region to test, such as UK, EU or DE (the catalogue lists "
        "them all); repeat or separate with commas. Default: every region.",
    )
    group.addoption(
        "--provider",
        action="append",
        default=[],
        help="Provider id to test (nhs, ...); repeat or separate with commas. "
        "Default: every provider of the selected regions and of their member "
        "regions.",
    )
    group.addoption(
        "--control",
        action="append",
        default=[],
        help="Control id (UK-RES-01) or family (residency) to run, in any letter "
        "case; repeat or separate with commas. Default: every control. The evidence "
        "report lists the controls left out as not run.",
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
        help="Directory to write evidence.json and evidence.html into; created if "
        "missing. Default: no evidence report.",
    )
    group.addoption(
        "--carecert-strict",
        action="store_true",
        default=False,
        help="Exit with status 1 when the evidence verdict is not PASS, that is "
        "when it is INCOMPLETE (controls not run, skipped or not applicable "
        "everywhere in a region) and pytest itself would exit 0 or 5. Default: "
        "only failed or errored tests make the exit status non-zero.",
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
        "control(control_id=None, *, check=None, provider=None): ties a test to a "
        "catalogue control, given by id or, with check=..., to every control whose "
        "catalogue entry names that check; its outcome goes into the evidence "
        "report.",
    )
    for family, description in FAMILY_MARKERS.items():
        config.addinivalue_line("markers", f"{family}: {description}")
    config.addinivalue_line(
        "markers",
        "carecert_deselected: set by carecert on control cases whose providers "
        "--provider left out; they are deselected and reported as not run.",
    )

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
    evidence_dir = _evidence_dir(config.getoption("--evidence-dir"))
    registry = default_registry()
    config.hook.pytest_carecert_register_providers(registry=registry)

    regions = parse_regions(config.getoption("--region"), catalogue)
    controls = parse_controls(config.getoption("--control"), catalogue)
    check_controls_in_regions(controls, regions, catalogue)
    providers = parse_providers(config.getoption("--provider"), registry)
    check_providers_in_regions(providers, regions, registry, catalogue)
    if config.getoption("--cassette-dir"):
        # Only a folder the user names: without one, a project that has no
        # cassettes yet still runs its own tests.
        replaying = record_mode == "none" and not config.getoption("--mock-api")
        check_cassette_dir(cassette_dir, replaying)
    config.stash[STATE_KEY] = CarecertState(
        catalogue=catalogue,
        registry=registry,
        regions=regions,
        providers=providers,
        controls=controls,
        strict=bool(config.getoption("--carecert-strict")),
        record_mode=record_mode,
        mock_api=bool(config.getoption("--mock-api")),
        cassette_dir=cassette_dir,
        evidence_dir=evidence_dir,
        rootdir=rootdir,
        started_at=datetime.now(UTC),
    )
    config.pluginmanager.register(
        ResultCollector(config.stash[STATE_KEY]), "carecert-results"
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
    """Parametrize control tests over their controls and providers.

    A test marked ``control(check="...")`` runs once per (control, provider)
    for every control of the selected regions with that check. A test marked
    with a control id runs once per provider of that control's region.
    """
    marker = metafunc.definition.get_closest_marker("control")
    if marker is None or "provider_id" not in metafunc.fixturenames:
        return
    if any(
        "provider_id" in m.args[0]
        for m in metafunc.definition.iter_markers("parametrize")
    ):
        return
    state = metafunc.config.stash[STATE_KEY]
    check = marker.kwargs.get("check")
    if check is not None and not marker.args:
        _parametrize_by_check(metafunc, state, str(check))
        return
    control = state.catalogue.control(_marker_control_id(metafunc.definition, marker))
    metafunc.parametrize(
        "provider_id",
        [
            pytest.param(provider_id, marks=marks)
            for provider_id, marks in _provider_params(state, control)
        ],
    )


def _parametrize_by_check(
    metafunc: pytest.Metafunc, state: CarecertState, check: str
) -> None:
    if check not in CHECKS:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: unknown check {check!r} in "
            f"@pytest.mark.control. Valid checks: {', '.join(sorted(CHECKS))}."
        )
    regions = set(state.regions or state.catalogue.regions)
    params = [
        pytest.param(
            control.id,
            provider_id,
            marks=marks,
            id=f"{control.id}-{provider_id or 'no-provider'}",
        )
        for control in state.catalogue.controls_with_check(check)
        if control.region in regions
        for provider_id, marks in _provider_params(state, control)
    ]
    metafunc.parametrize(("carecert_control_id", "provider_id"), params)


def _provider_params(
    state: CarecertState, control: Control
) -> list[tuple[str | None, list[pytest.MarkDecorator]]]:
    """Return (provider id, marks) pairs for the providers ``control`` applies to.

    Providers without a harness, and a region without providers, get a skip
    mark whose reason starts with "not applicable", so the evidence report
    shows them as not applicable rather than passed.
    """
    registrations = _providers_of_region(state, control.region)
    if not registrations and state.providers:
        if _providers_of_region(state, control.region, selected_only=False):
            # The region has providers, but --provider left them out: the
            # control is not run, which is not the same as not applicable.
            return [(None, [pytest.mark.carecert_deselected])]
    if not registrations:
        members = state.catalogue.children_of(control.region)
        served = f"region {control.region}" + (
            f" or its member regions {', '.join(members)}" if members else ""
        )
        reason = f"not applicable: no provider registered for {served}"
        return [(None, [pytest.mark.skip(reason=reason)])]
    params: list[tuple[str | None, list[pytest.MarkDecorator]]] = []
    for registration in registrations:
        marks = []
        if getattr(registration.provider_class, "carecert_harness", None) is None:
            reason = NO_HARNESS_REASON.format(
                provider_id=registration.provider_id,
                class_name=registration.provider_class.__name__,
            )
            marks.append(pytest.mark.skip(reason=reason))
        params.append((registration.provider_id, marks))
    return params


def _providers_of_region(
    state: CarecertState, region: str, *, selected_only: bool = True
) -> list[ProviderRegistration]:
    """Return the providers in ``region`` or in one of its member regions.

    With ``selected_only``, only those that --provider selects (all by default).
    """
    served = {region, *state.catalogue.children_of(region)}
    return [
        registration
        for registration in state.registry.registrations()
        if served & set(registration.info.regions)
        and (
            not selected_only
            or not state.providers
            or registration.provider_id in state.providers
        )
    ]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[STATE_KEY]
    state.collection_ran = True
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        control_id = _control_id(item)
        if control_id is None:
            selected.append(item)
            continue
        if item.get_closest_marker("carecert_deselected") is not None:
            deselected.append(item)
            continue
        control = state.catalogue.control(control_id)
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


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Record the controls of deselected items, deselected by carecert, -k or -m."""
    if not items:
        return
    state = items[0].config.stash.get(STATE_KEY, None)
    if state is not None:
        state.deselected_controls.update(_control_ids(state, items))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the control result to the report, as a dict that xdist can send."""
    report = yield
    if call.excinfo is not None:
        _hide_cassette_contents(report, call.excinfo.value)
    control_id = _control_id(item)
    if control_id is None:
        return report
    state = item.config.stash[STATE_KEY]
    control = state.catalogue.control(control_id)
    result = build_result(
        item,
        report,
        control,
        _provider_of(item),
        call.excinfo,
        review=state.catalogue.review_notes(control),
    )
    if result is not None:
        setattr(report, REPORT_ATTRIBUTE, result.to_dict())
    return report


class ResultCollector:
    """Collects control results in the process that writes the evidence.

    That is the only process of a plain run, and the controller of an xdist
    run, which receives its workers' reports in pytest_runtest_logreport.
    """

    def __init__(self, state: CarecertState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, REPORT_ATTRIBUTE, None)
        if data is not None:
            self.state.add_result(ControlResult.from_dict(data), report.when)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or hasattr(session.config, "workerinput"):
        return
    if session.config.option.collectonly:
        # No control ran, so a report would only list every control as not
        # run, and it would replace the report of an earlier real run.
        return
    if state.evidence_dir is None and not state.strict and not state.results:
        return
    regions = state.regions or sorted(state.catalogue.regions)
    # session.items is final only now: -k and -m deselect after carecert does.
    state.selected_controls = _control_ids(state, getattr(session, "items", []))
    results = state.results + _not_run(state, regions)
    state.results = results
    state.summary = summarize(results, exit_status=int(exitstatus))
    if state.evidence_dir is not None:
        state.evidence_written = _write_report(session, state, regions, exitstatus)
    if (
        state.strict
        and state.summary["verdict"] != "pass"
        and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    ):
        # The report keeps pytest's own exit status, because the verdict was
        # taken from it, so only the process exit status changes.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _write_report(
    session: pytest.Session,
    state: CarecertState,
    regions: list[str],
    exitstatus: int,
) -> tuple[Path, Path]:
    assert state.evidence_dir is not None
    metadata = RunMetadata.collect(
        rootdir=state.rootdir,
        started_at=state.started_at,
        finished_at=datetime.now(UTC),
        command_line=list(session.config.invocation_params.args),
        regions=regions,
        # The providers this run tested, not every registered one.
        providers=state.providers
        or sorted({r.provider for r in state.results if r.provider != "-"}),
        record_mode=state.record_mode,
        traffic_source=state.traffic_source,
        pytest_exit_status=int(exitstatus),
        catalogue=_catalogue_record(state),
    )
    return write_evidence(state.evidence_dir, metadata, state.results)


def _catalogue_record(state: CarecertState) -> CatalogueRecord:
    path = state.catalogue.path.absolute()
    try:
        display_path = path.relative_to(state.rootdir.absolute())
    except ValueError:
        display_path = path
    return CatalogueRecord(
        path=display_path.as_posix(),
        schema_version=state.catalogue.schema_version,
        sha256=state.catalogue.sha256,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    state = config.stash.get(STATE_KEY, None)
    if state is None or hasattr(config, "workerinput"):
        return
    if config.option.collectonly:
        if state.evidence_dir is not None:
            terminalreporter.section("carecert evidence")
            terminalreporter.write_line(
                f"--collect-only: no control ran, so no evidence report was "
                f"written to {state.evidence_dir.resolve()}; an earlier report "
                "there is unchanged."
            )
        return
    if state.summary is None:
        return
    terminalreporter.section("carecert evidence")
    for line in summary_lines(state.summary):
        terminalreporter.write_line(line)
    if state.evidence_written is not None:
        json_path, html_path = state.evidence_written
        terminalreporter.write_line(f"evidence.json: {json_path.resolve()}")
        terminalreporter.write_line(f"evidence.html: {html_path.resolve()}")
    if state.strict and state.summary["verdict"] != "pass":
        terminalreporter.write_line(
            "--carecert-strict: the verdict is not PASS, so pytest exits with status 1."
        )


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """Return the terminal lines for ``summarize()`` output.

    They give the verdict, the counts, and the results that rest on catalogue
    parameters marked for review, when there are any.
    """
    verdict = str(summary["verdict"]).upper()
    reason = summary.get("verdict_reason")
    outcomes = summary["outcomes"]
    tests = summary["total"] - outcomes["not-run"]
    rows = summary["by_control"]
    by_outcome = {outcome: 0 for outcome in outcomes}
    for row in rows:
        by_outcome[row["outcome"]] += 1
    not_run = sorted(r["control_id"] for r in rows if r["outcome"] == "not-run")
    lines = [
        f"verdict: {verdict}" + (f": {reason}" if reason else ""),
        f"{tests} control result(s): {_outcome_counts(outcomes)}",
        f"{len(rows) - len(not_run)} of {len(rows)} catalogue control(s) ran: "
        f"{_outcome_counts(by_outcome)}"
        + (f"; not run: {', '.join(not_run)}" if not_run else ""),
    ]
    review = review_line(summary)
    if review is not None:
        lines.append(review)
    return lines


def _outcome_counts(counts: dict[str, int]) -> str:
    labels = {
        "passed": "passed",
        "failed": "failed",
        "error": "in error",
        "skipped": "skipped",
        "not-applicable": "not applicable",
    }
    return ", ".join(f"{counts[outcome]} {label}" for outcome, label in labels.items())


def _not_run(state: CarecertState, regions: list[str]) -> list[ControlResult]:
    if not state.collection_ran:
        # An xdist controller: its workers collected and deselected.
        default = "deselected or not collected; no test of this control ran"
    else:
        default = (
            "not collected: no test of this control was found, for example "
            "because of a collection error or test paths that leave it out"
        )
    reasons = {
        control_id: (
            "deselected (by --control, --provider, -k or -m); "
            "no test of this control ran"
        )
        for control_id in state.deselected_controls - state.selected_controls
    }
    for control_id in state.selected_controls:
        reasons[control_id] = (
            "collected but not run, because the session stopped first "
            "(a collection error, -x or --maxfail, or an interrupt)"
        )
    return not_run_results(state.catalogue, regions, state.results, reasons, default)


def _evidence_dir(value: str | None) -> Path | None:
    """Check the --evidence-dir path at startup, so a bad one fails before the run."""
    if not value:
        return None
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(
            f"--evidence-dir: {path} exists and is not a directory. Pass a "
            "directory, or a path that does not exist yet."
        )
    absolute = path.absolute()
    existing = next(p for p in (absolute, *absolute.parents) if p.exists())
    if not existing.is_dir():
        raise pytest.UsageError(
            f"--evidence-dir: cannot create {path}, because {existing} is not a "
            "directory."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(
            f"--evidence-dir: cannot write to {path}, because {existing} is not "
            "writable."
        )
    return path


def _control_ids(state: CarecertState, items: list[pytest.Item]) -> set[str]:
    ids = {_control_id(item, strict=False) for item in items}
    return {i for i in ids if i is not None} & set(state.catalogue.controls)


def _hide_cassette_contents(report: pytest.TestReport, error: BaseException) -> None:
    """Replace the traceback of a CassetteSecretError failure with its message.

    A traceback shows function arguments, and with --showlocals local
    variables, which contain the cassette's contents. pytest shortens them only
    at low verbosity, and a secret near the start of a cassette shows even
    then. The message already names the file and the place of the secret.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    secret_error = next((e for e in chain if isinstance(e, CassetteSecretError)), None)
    if secret_error is None:
        return
    lines = [f"{type(secret_error).__name__}: {secret_error}"]
    if secret_error is not error:
        lines.insert(0, f"{type(error).__name__}: {error}")
    report.longrepr = "\n".join(lines)


def _reads_recorded_traffic(item: pytest.Item) -> bool:
    return any(
        item.get_closest_marker(family) for family in ("residency", "conformance")
    )


def _control_id(item: pytest.Item, *, strict: bool = True) -> str | None:
    """Return the id of the control ``item`` proves, or None for other tests.

    A test marked with a check takes the id from its parameters; it has none
    when no control of the selected regions uses the check.
    """
    marker = item.get_closest_marker("control")
    if marker is None:
        return None
    callspec = getattr(item, "callspec", None)
    # An empty parameter set gives a placeholder object, not a string.
    parametrized = callspec.params.get("carecert_control_id") if callspec else None
    if isinstance(parametrized, str):
        return parametrized
    if "check" in marker.kwargs and not marker.args:
        return None
    if not strict and not (marker.args and isinstance(marker.args[0], str)):
        return None
    return _marker_control_id(item, marker)


def _marker_control_id(item: pytest.Item, marker: pytest.Mark) -> str:
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.control needs the control id as its first "
            "argument, e.g. @pytest.mark.control('UK-RES-01'), or a check, e.g. "
            "@pytest.mark.control(check='tls-floor')."
        )
    return marker.args[0]


def _provider_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "provider_id" in callspec.params:
        provider_id = callspec.params["provider_id"]
        return None if provider_id is None else str(provider_id)
    marker = item.get_closest_marker("control")
    provider = marker.kwargs.get("provider") if marker else None
    return str(provider) if provider else None
