"""Findings that control checks return, and the failure message the suites show.

Suites and the non-compliance tests build the message with the same function,
so a failing control always names its id, its clause, what was found and what
was required.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from carecert.adapters.compliance.catalogue import Control

__all__ = ["Finding", "control_failure"]


class _Described(Protocol):
    def __str__(self) -> str: ...


@dataclass(frozen=True)
class Finding:
    """One way a subject fails a control: the value found and the value required."""

    subject: str
    found: str
    required: str

    def __str__(self) -> str:
        return f"{self.subject}: found {self.found}; required {self.required}"


def control_failure(control: Control, findings: Sequence[_Described]) -> str:
    """Return the failure message for ``control``, one finding per line."""
    lines = "\n".join(f"  {finding}" for finding in findings)
    return f"{control.id} ({control.clause}) failed:\n{lines}"
