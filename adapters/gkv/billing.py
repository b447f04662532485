"""KVDT submission: the xDT file to post and the receipt that comes back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from carecert.adapters.gkv.kvdt import KvdtDataError, build_kvdt_case, parse_quarter
from carecert.adapters.gkv.models import KvdtReceipt
from carecert.adapters.gkv.xdt import encode_xdt

__all__ = ["KVDT_CONTENT_TYPE", "default_service_date", "kvdt_file", "receipt_from"]

KVDT_CONTENT_TYPE = "text/plain; charset=ISO-8859-15"
"""Content type of a posted KVDT file. xDT lines are ISO 8859-15 by default."""


def default_service_date(kvdt_data: Mapping[str, Any], today: date) -> date:
    """Return ``today`` if it lies in the billing quarter, else the quarter's last day.

    Raises KvdtDataError if ``abrechnungsquartal`` is missing or invalid.
    """
    if "abrechnungsquartal" not in kvdt_data:
        raise KvdtDataError("abrechnungsquartal", None, "missing")
    quarter, year = parse_quarter(kvdt_data["abrechnungsquartal"])
    if (today.month - 1) // 3 + 1 == quarter and today.year == year:
        return today
    last_month = quarter * 3
    last_day = 31 if last_month in (3, 12) else 30
    return date(year, last_month, last_day)


def kvdt_file(kvdt_data: Mapping[str, Any], *, kvnr: str, service_date: date) -> bytes:
    """Build the case record and encode it as an ISO 8859-15 xDT file.

    Raises KvdtDataError, InvalidIdentifierError or XdtEncodeError for bad input.
    """
    record = build_kvdt_case(kvdt_data, kvnr=kvnr, service_date=service_date)
    return encode_xdt([record], encoding="iso8859_15")


def receipt_from(body: Any) -> KvdtReceipt:
    """Map the JSON receipt of a KVDT submission."""
    if not isinstance(body, Mapping):
        raise ValueError("the KVDT receipt is not a JSON object")
    return KvdtReceipt.model_validate(
        {
            "submission_id": body.get("submissionId"),
            "status": body.get("status"),
            "received_at": body.get("receivedAt"),
            "idempotency_key": body.get("idempotencyKey"),
            "record_count": body.get("recordCount"),
            "byte_count": body.get("byteCount"),
        }
    )
