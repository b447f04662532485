"""Check the start and end that a caller passes when booking an appointment."""

from __future__ import annotations

from datetime import datetime

__all__ = ["check_appointment_times"]


def check_appointment_times(
    start: datetime | None, end: datetime | None, *, end_required: bool
) -> None:
    """Raise ValueError unless ``start`` and ``end`` form a valid time slot.

    Both must be timezone-aware, and ``end`` needs ``start`` and must be
    later than it. With ``end_required``, ``start`` needs ``end`` too.
    """
    for name, moment in (("start", start), ("end", end)):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(
                f"{name} {moment.isoformat()} has no time zone. Pass an aware "
                "datetime, e.g. datetime(2030, 1, 7, 9, 0, tzinfo=UTC)."
            )
    if end is not None and start is None:
        raise ValueError("end was given without start. Give both, or neither.")
    if end_required and start is not None and end is None:
        raise ValueError("start was given without end. Give both, or neither.")
    if start is not None and end is not None and end <= start:
        raise ValueError(
            f"end {end.isoformat()} is not after start {start.isoformat()}. "
            "Give an end later than the start."
        )
