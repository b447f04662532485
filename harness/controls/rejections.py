"""Rejection check: a compliance guard stops an access before anything is sent.

The consent and second-factor controls both require that a rejected access
raises the guard's error and that no request leaves the adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable

from carecert.adapters.errors import CarecertError
from carecert.harness.controls.findings import Finding

__all__ = ["check_rejected_before_sending", "error_of"]


async def error_of(call: Awaitable[object]) -> CarecertError | None:
    """Await ``call`` and return the carecert error it raised, or None.

    Other exceptions propagate, because they are faults of the adapter or the
    test rather than a rejection.
    """
    try:
        await call
    except CarecertError as exc:
        return exc
    return None


def check_rejected_before_sending(
    subject: str,
    case: str,
    error: BaseException | None,
    expected: type[CarecertError],
    sent: int,
) -> list[Finding]:
    """Check that the access in ``case`` raised ``expected`` and sent nothing.

    ``sent`` is the number of requests the adapter's transport received.
    """
    findings: list[Finding] = []
    if not isinstance(error, expected):
        found = (
            "no error: the access went ahead"
            if error is None
            else f"{type(error).__name__}: {error}"
        )
        findings.append(Finding(subject, found, f"{expected.__name__} for {case}"))
    if sent:
        findings.append(
            Finding(subject, f"{sent} request(s) sent for {case}", "nothing sent")
        )
    return findings
