"""KVDT submission: the xDT file to post and the receipt that comes back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from carecert.adapters.gkv.kbv_parties import Prescriber
from carecert.adapters.gkv.kvdt import (
    KvdtDataError,
    KvdtFile,
    KvdtPhysician,
    KvdtPractice,
    KvdtSoftware,
    build_kvdt_case,
    encode_kvdt,
    parse_quarter,
)
from carecert.adapters.gkv.models import KvdtReceipt
from carecert.adapters.gkv.settings import PracticeSettings

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


def kvdt_file(
    kvdt_data: Mapping[str, Any],
    *,
    kvnr: str,
    service_date: date,
    settings: PracticeSettings,
    created: date,
) -> bytes:
    """Build a KVDT billing file with one case and encode it in ISO 8859-15.

    The practice record carries the config's Betriebsnummer and, when the
    config has ``prescriber`` and ``praxis``, the physician's LANR and name
    and the practice's name and phone. The services name that LANR. The
    package is addressed to the config's ``kv_bezirk``. Raises
    KvdtDataError, InvalidIdentifierError or XdtEncodeError for bad input.
    """
    prescriber = settings.prescriber
    lanr = prescriber.lanr if prescriber is not None else ""
    case = build_kvdt_case(kvdt_data, kvnr=kvnr, service_date=service_date, lanr=lanr)
    # NOTE: the case has no patient name or birth date (3101, 3102, 3103),
    # which the KV expects from the insurance card, and adt0 has no KBV test
    # number (0105), which only KBV-certified software has. The KV will
    # reject the file for billing until both are supplied.
    practice = KvdtPractice(bsnr=settings.betriebsnummer)
    if prescriber is not None:
        physician = KvdtPhysician(prescriber.lanr, _physician_name(prescriber))
        practice = KvdtPractice(
            bsnr=settings.betriebsnummer,
            name=prescriber.practice.name,
            physicians=(physician,),
            phone=prescriber.practice.phone,
        )
    kvdt = KvdtFile(
        created=created,
        quarter=case.quarter,
        practice=practice,
        cases=(case,),
        software=KvdtSoftware(vendor="carecert", name="carecert"),
        recipient=settings.kv_bezirk or "",
    )
    return encode_kvdt(kvdt)


def _physician_name(prescriber: Prescriber) -> str:
    name = prescriber.name
    return " ".join([*name.given, name.family or ""]).strip()


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
