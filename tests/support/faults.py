"""Fault-injection settings shared by the adapters' retry tests."""

from __future__ import annotations

from carecert.adapters.mock.faults import (
    FaultInjector,
    FaultKind,
    FaultPhase,
    InjectedFault,
)

RETRYABLE_FAULTS = [
    FaultKind.BAD_GATEWAY,
    FaultKind.UNAVAILABLE,
    FaultKind.GATEWAY_TIMEOUT,
    FaultKind.RESET,
    FaultKind.TIMEOUT,
    FaultKind.TRUNCATED,
]
"""Faults the adapters retry: gateway errors, dropped connections and timeouts."""


def lost_responses(injector: FaultInjector, path: str) -> list[InjectedFault]:
    """Return the faults that dropped a response after ``path`` was applied."""
    return [
        fault
        for fault in injector.injected
        if fault.phase is FaultPhase.AFTER and fault.path == path
    ]
