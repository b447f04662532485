"""Check the values a caller passes to the CVS adapter before any request.

Each check returns the value in the form the wire carries, or raises
InvalidIdentifierError (identifiers) or ValueError (other arguments) with a
message that names the argument and shows an accepted form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from carecert.adapters.cvs.codes import VACCINES, Vaccine
from carecert.adapters.errors import InvalidIdentifierError

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "find_vaccine",
    "ndc_11",
    "parse_birth_date",
    "validate_patient_id",
    "validate_rx_number",
    "validate_store_number",
    "vaccine_for_cvx",
]

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
"""Birth dates before this are taken as typing errors and rejected."""

# NOTE: CVS publishes no Rx number format. Its labels print six to nine
# digits, which carecert accepts; there is no check digit to verify.
_RX_NUMBER = re.compile(r"(?:RX\s*#?\s*)?([0-9]{6,9})", re.IGNORECASE)
_STORE_NUMBER = re.compile(r"[0-9]{1,5}")
_PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# FDA NDC configurations 4-4-2, 5-3-2 and 5-4-1, and the 11-digit 5-4-2 form.
_NDC_10 = re.compile(r"([0-9]{4,5})-([0-9]{3,4})-([0-9]{1,2})")
_NDC_11 = re.compile(r"[0-9]{11}")


def validate_rx_number(value: object) -> str:
    """Return the digits of a prescription number such as ``RX123456`` or ``1234567``.

    A leading ``RX`` (any case, optionally with ``#``) is dropped, because
    labels print it but the API takes the digits.
    """
    if not isinstance(value, str):
        raise InvalidIdentifierError(
            "Rx number", repr(value), f"expected a string, got {type(value).__name__}"
        )
    match = _RX_NUMBER.fullmatch(value.strip())
    if match is None:
        raise InvalidIdentifierError(
            "Rx number",
            value,
            "expected 6 to 9 digits as printed on the label, optionally after "
            "'RX', e.g. 1234567 or RX123456",
        )
    return match.group(1)


def validate_store_number(value: object, *, argument: str = "store_number") -> str:
    """Return a CVS store number (1 to 5 digits) without leading zeros."""
    text = str(value).strip() if isinstance(value, str | int) else None
    if (
        isinstance(value, bool)
        or text is None
        or not _STORE_NUMBER.fullmatch(text)
        or int(text) == 0
    ):
        raise InvalidIdentifierError(
            "CVS store number",
            repr(value) if not isinstance(value, str) else value,
            f"{argument} must be 1 to 5 digits and not 0, e.g. 3456",
        )
    return str(int(text))


def validate_patient_id(value: object) -> str:
    """Return a CVS patient id: letters, digits and hyphens, at most 64."""
    if not isinstance(value, str) or not _PATIENT_ID.fullmatch(value):
        raise InvalidIdentifierError(
            "CVS patient id",
            value if isinstance(value, str) else repr(value),
            "expected 1 to 64 letters, digits or hyphens, starting with a letter "
            "or digit, e.g. cvs-p-100001",
        )
    return value


def parse_birth_date(
    value: object, *, argument: str = "dob", today: date | None = None
) -> date:
    """Return a date of birth given as ``YYYY-MM-DD`` text or a ``date``.

    Raises ValueError for another form, an impossible date, a date in the
    future or one before EARLIEST_BIRTH_DATE.
    """
    if isinstance(value, datetime):
        raise ValueError(
            f"{argument} {value.isoformat()} is a datetime. Pass the date alone, "
            "e.g. '1950-01-01'."
        )
    if isinstance(value, date):
        born = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            born = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{argument} {value!r} is not a calendar date. Check the month and day."
            ) from None
    else:
        raise ValueError(
            f"{argument} {value!r} is invalid. Give the date of birth as "
            "YYYY-MM-DD, e.g. '1950-01-01'."
        )
    current = today or datetime.now(UTC).date()
    if born > current:
        raise ValueError(
            f"{argument} {born.isoformat()} is in the future. Check the year."
        )
    if born < EARLIEST_BIRTH_DATE:
        raise ValueError(
            f"{argument} {born.isoformat()} is before "
            f"{EARLIEST_BIRTH_DATE.isoformat()}. Check the year."
        )
    return born


def find_vaccine(value: object) -> Vaccine:
    """Return the declared vaccine named ``value``, ignoring case and aliases."""
    if isinstance(value, str):
        requested = value.strip().casefold()
        for vaccine in VACCINES.values():
            names = (vaccine.name, *vaccine.aliases)
            if requested in (name.casefold() for name in names):
                return vaccine
    raise ValueError(
        f"vaccine_type {value!r} is unknown. Use one of {', '.join(VACCINES)}."
    )


def vaccine_for_cvx(code: str) -> Vaccine | None:
    """Return the declared vaccine whose kind a CVX code belongs to, if any.

    Leading zeros do not matter, so ``3`` and ``03`` both name MMR.
    """
    requested = code.strip().lstrip("0")
    for vaccine in VACCINES.values():
        if requested in (c.lstrip("0") for c in (vaccine.cvx, *vaccine.products)):
            return vaccine
    return None


def ndc_11(value: str) -> str:
    """Return an NDC in the 11-digit 5-4-2 form with hyphens (``00093-7180-01``).

    Accepts the FDA's hyphenated 10-digit forms (4-4-2, 5-3-2, 5-4-1), which
    are padded with a leading zero in the short segment, and 11 digits with
    or without hyphens. Raises ValueError for anything else.
    """
    text = value.strip()
    digits = text.replace("-", "")
    if _NDC_11.fullmatch(digits) and (
        text == digits or re.fullmatch(r"[0-9]{5}-[0-9]{4}-[0-9]{2}", text)
    ):
        return f"{digits[:5]}-{digits[5:9]}-{digits[9:]}"
    match = _NDC_10.fullmatch(text)
    if match is not None and len(digits) == 10:
        labeler, product, package = match.groups()
        return f"{labeler:0>5}-{product:0>4}-{package:0>2}"
    raise ValueError(
        f"NDC {value!r} is invalid. Give 10 digits in 4-4-2, 5-3-2 or 5-4-1 "
        "form with hyphens, or 11 digits in 5-4-2 form."
    )
