"""Canonical appointment."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from carecert.adapters.models.common import CanonicalModel, Identifier


class AppointmentStatus(StrEnum):
    """FHIR R4 Appointment.status codes."""

    PROPOSED = "proposed"
    PENDING = "pending"
    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"
    ENTERED_IN_ERROR = "entered-in-error"
    CHECKED_IN = "checked-in"
    WAITLIST = "waitlist"


class Appointment(CanonicalModel):
    """A booked or requested appointment.

    Start and end are timezone-aware so that a booking made in one zone is not
    shifted when read in another.
    """

    id: str | None = None
    patient: Identifier
    location: Identifier = Field(description="The practice or site, e.g. by ODS code.")
    appointment_type: str = Field(min_length=1)
    status: AppointmentStatus
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    description: str | None = None
    created: AwareDatetime | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> Appointment:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} must be after "
                f"start {self.start.isoformat()}"
            )
        return self
