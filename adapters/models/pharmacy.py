"""Canonical retail pharmacy records: the status of one prescription at a store."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from carecert.adapters.models.common import CanonicalModel, Coding, Identifier
from carecert.adapters.models.prescription import Quantity

__all__ = ["NCPDP_FILL_STATUS", "FillStatus", "PrescriptionStatus"]


class FillStatus(StrEnum):
    """The step of a pharmacy's fill workflow that a prescription is at."""

    RECEIVED = "received"
    IN_PROGRESS = "in-progress"
    READY_FOR_PICKUP = "ready-for-pickup"
    DISPENSED = "dispensed"
    PARTIALLY_DISPENSED = "partially-dispensed"
    NOT_DISPENSED = "not-dispensed"
    ON_HOLD = "on-hold"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


NCPDP_FILL_STATUS: dict[FillStatus, str] = {
    FillStatus.DISPENSED: "Dispensed",
    FillStatus.PARTIALLY_DISPENSED: "PartiallyDispensed",
    FillStatus.NOT_DISPENSED: "NotDispensed",
    FillStatus.TRANSFERRED: "Transferred",
}
"""The NCPDP SCRIPT RxFill message type that reports each final fill status.

The other statuses are steps inside the pharmacy that RxFill does not report.
"""


class PrescriptionStatus(CanonicalModel):
    """The status of one prescription (Rx) at one pharmacy store.

    ``medication`` is the dispensed product, by NDC in the 11-digit 5-4-2
    form where the pharmacy sends one. ``next_fill_date`` is the first day on
    which a refill may be dispensed.
    """

    rx_number: str = Field(min_length=1)
    status: FillStatus
    pharmacy: Identifier = Field(description="The store, by its store number.")
    patient: Identifier | None = Field(
        default=None, description="The pharmacy's patient id, where it sends one."
    )
    medication: Coding | None = None
    medication_text: str | None = None
    quantity: Quantity | None = None
    days_supply: int | None = Field(default=None, ge=1)
    refills_remaining: int = Field(ge=0)
    last_fill_date: date | None = None
    next_fill_date: date | None = None
    expiration_date: date | None = None
    prescriber: Identifier | None = Field(
        default=None, description="The prescriber, by NPI."
    )
    pharmacy_npi: Identifier | None = None

    @property
    def ncpdp_fill_status(self) -> str | None:
        """Return the NCPDP SCRIPT RxFill type for a final status, else None."""
        return NCPDP_FILL_STATUS.get(self.status)
