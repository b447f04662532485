"""Checks on the values a caller passes, made before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

__all__ = [
    "validate_access_code",
    "validate_item_numbers",
    "validate_service_date",
]

_ACCESS_CODE = re.compile(r"[A-Za-z0-9]{4,8}")
_MBS_ITEM = re.compile(r"[1-9][0-9]{0,4}")


def validate_access_code(value: str | None) -> str | None:
    """Return the record access code, or None when the patient set none.

    A My Health Record access code is 4 to 8 letters or digits, as the
    Australian Digital Health Agency's patient guidance states. Raises
    ValueError otherwise.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(
            f"access_code must be a string of 4 to 8 letters or digits, got "
            f"{type(value).__name__}."
        )
    if not _ACCESS_CODE.fullmatch(value):
        # The code itself is left out of the message: it guards the record.
        raise ValueError(
            f"access_code is invalid ({len(value)} characters): a record access "
            "code is 4 to 8 letters or digits. Pass None if the patient set none."
        )
    return value


def validate_item_numbers(values: Sequence[str]) -> tuple[str, ...]:
    """Return the MBS item numbers as strings of 1 to 5 digits.

    Integers are accepted too. Raises ValueError for an empty list or an
    item that is not a positive number of at most 5 digits.
    """
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(
            'item_numbers must be a list of MBS item numbers, e.g. ["23", "36"].'
        )
    if not values:
        raise ValueError("item_numbers is empty. Give one MBS item per service.")
    items: list[str] = []
    for position, value in enumerate(values):
        text = str(value).strip() if isinstance(value, str | int) else None
        if isinstance(value, bool) or text is None or not _MBS_ITEM.fullmatch(text):
            raise ValueError(
                f"item_numbers[{position}] {value!r} is not an MBS item number. "
                "Give 1 to 5 digits without a leading zero, e.g. 23."
            )
        items.append(text)
    return tuple(items)


def validate_service_date(value: str | date, *, today: date) -> date:
    """Return the service date, from a date or ISO 8601 text (2025-01-20).

    Raises ValueError for other text or a date after ``today``.
    """
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"service_date {value!r} is invalid. Give the date as YYYY-MM-DD, "
                "e.g. 2025-01-20."
            ) from None
    else:
        raise ValueError(
            f"service_date must be a date or YYYY-MM-DD text, got "
            f"{type(value).__name__}."
        )
    if parsed > today:
        raise ValueError(
            f"service_date {parsed.isoformat()} is in the future. Claim a service "
            "on or after the day it was given."
        )
    return parsed
