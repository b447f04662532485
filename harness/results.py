"""Control results from pytest reports, and the controls that did not run.

A result is built where the test runs, in ``pytest_runtest_makereport``, and
travels on the report as a plain dict: pytest-xdist serializes a report's
extra attributes, so the controller receives results from its workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pytest

from carecert.adapters.compliance.catalogue import Catalogue, Control
from carecert.adapters.errors import ConfigurationError
from carecert.harness._keys import EVIDENCE_KEY
from carecert.harness.errors import CassetteError, NetworkBlockedError, SpecError
from carecert.harness.evidence import ControlResult, Outcome
from carecert.harness.state import TestEvidence

__all__ = [
    "HARNESS_ERRORS",
    "NOT_APPLICABLE_PREFIX",
    "REPORT_ATTRIBUTE",
    "build_result",
    "not_run_results",
]

REPORT_ATTRIBUTE = "carecert_result"
"""Name of the TestReport attribute that carries a result dict."""

NOT_APPLICABLE_PREFIX = "not applicable: "

HARNESS_ERRORS: tuple[type[BaseException], ...] = (
    CassetteError,
    NetworkBlockedError,
    SpecError,
    ConfigurationError,
)
"""Errors that stop carecert from evaluating a control.

A test that ends in one of them gets the outcome "error" and not "failed",
because it proves nothing about the provider's compliance. CassetteError
covers CassetteFormatError, CassetteSecretError and UnrecordedRequestError.
"""


def build_result(
    item: pytest.Item,
    report: pytest.TestReport,
    control: Control,
    provider: str | None,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    review: Sequence[str] = (),
) -> ControlResult | None:
    """Build the result that ``report`` gives ``control``, or return None for none.

    The call phase always gives one, setup only when it did not pass (then
    the test body never ran), and teardown only when it failed. ``review`` is
    what the catalogue marks as unconfirmed for the control. The review texts
    of the rule the test passed to ``evidence.decide()`` follow, once each.
    """
    if report.when == "setup" and report.passed:
        return None
    if report.when == "teardown" and not report.failed:
        return None
    gathered = item.stash.get(EVIDENCE_KEY, TestEvidence())
    return ControlResult(
        control_id=control.id,
        title=control.title,
        clause=control.clause,
        family=control.family,
        severity=control.severity,
        region=control.region,
        provider=provider or "-",
        outcome=_outcome(report, excinfo),
        nodeid=item.nodeid,
        duration_s=round(report.duration, 6),
        message=_message(report),
        evidence=list(gathered.items),
        decided_by=gathered.decided_by,
        review=tuple(dict.fromkeys((*review, *gathered.decided_review))),
    )


def not_run_results(
    catalogue: Catalogue,
    regions: Iterable[str],
    results: Iterable[ControlResult],
    reasons: dict[str, str],
    default_reason: str,
) -> list[ControlResult]:
    """Return a "not-run" result for each control of ``regions`` without a result.

    ``reasons`` maps control ids to why they did not run; other controls get
    ``default_reason``.
    """
    ran = {result.control_id for result in results}
    selected_regions = set(regions)
    return [
        ControlResult(
            control_id=control.id,
            title=control.title,
            clause=control.clause,
            family=control.family,
            severity=control.severity,
            region=control.region,
            provider="-",
            outcome="not-run",
            nodeid="-",
            duration_s=0.0,
            message=f"not run: {reasons.get(control.id, default_reason)}",
            review=catalogue.review_notes(control),
        )
        for control in catalogue.controls.values()
        if control.region in selected_regions and control.id not in ran
    ]


def _outcome(
    report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException] | None
) -> Outcome:
    if report.passed:
        return "passed"
    if report.skipped:
        reason = _message(report) or ""
        return "not-applicable" if NOT_APPLICABLE_PREFIX in reason else "skipped"
    if report.when != "call":
        return "error"
    if excinfo is not None and _is_harness_error(excinfo.value):
        return "error"
    return "failed"


def _is_harness_error(error: BaseException) -> bool:
    # An assertion, ConformanceFailure included, is a finding about the
    # provider even when a harness error occurred while handling it.
    if isinstance(error, AssertionError):
        return False
    return any(isinstance(e, HARNESS_ERRORS) for e in _related_errors(error))


def _related_errors(error: BaseException) -> Iterator[BaseException]:
    """Yield ``error``, its causes and contexts, and members of exception groups."""
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def _message(report: pytest.TestReport) -> str | None:
    if report.passed:
        return None
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(report.longrepr) if report.longrepr else None
