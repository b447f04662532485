"""Canonical results of the GKV operations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from carecert.adapters.models import CanonicalModel, Identifier, Patient

__all__ = ["ErpTask", "InsuranceStatus", "KvdtReceipt", "TaskStatus"]

TaskStatus = Literal["draft", "ready", "in-progress", "completed", "cancelled"]
"""The Task states that the E-Rezept service uses (FHIR R4 Task.status codes)."""


class InsuranceStatus(CanonicalModel):
    """An insured person's coverage, read from a FHIR R4 Coverage."""

    patient: Patient
    kvnr: str = Field(description="Krankenversichertennummer (KVNR), ten characters.")
    insurance_type: Literal["GKV", "PKV", "BG", "SEL", "SOZ", "GPV", "PPV", "BEI"]
    insurer: Identifier = Field(description="The insurer's IK number (IKNR).")
    insurer_name: str | None = None
    member_status: str | None = Field(
        default=None,
        description="KBV Versichertenstatus: 1 member, 3 family member, 5 pensioner.",
    )
    active: bool = Field(description="True where Coverage.status is active.")
    valid_until: date | None = None
    leistungsart: str = Field(description="The kind of care the check was made for.")
    covered: bool = Field(
        description="True where the coverage is active, in force today and of an "
        "insurance type that the config's versicherten_status accepts."
    )


class KvdtReceipt(CanonicalModel):
    """The KV's acknowledgement of one KVDT submission."""

    submission_id: str
    status: Literal["received", "accepted", "rejected"]
    received_at: AwareDatetime
    idempotency_key: str
    record_count: int = Field(ge=0)
    byte_count: int = Field(ge=0, description="Size of the submitted xDT file.")


class ErpTask(CanonicalModel):
    """An E-Rezept Task (GEM_ERP_PR_Task) as the E-Rezept service returns it."""

    id: str
    status: TaskStatus
    flow_type: str | None = Field(
        default=None, description="GEM_ERP_CS_FlowType code, as 160 for Muster 16."
    )
    prescription_id: str | None = None
    access_code: str | None = None
    kvnr: str | None = Field(default=None, description="Task.for, once activated.")
    authored_on: datetime | None = None
