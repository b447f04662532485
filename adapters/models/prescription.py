"""Canonical medication prescription, as a KBV e-prescription Bundle carries it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from carecert.adapters.models.common import CanonicalModel, Coding, Identifier


class Quantity(CanonicalModel):
    """A measured amount, as FHIR Quantity's value and unit."""

    value: Decimal
    unit: str | None = None


class Prescription(CanonicalModel):
    """One prescribed medication for one patient.

    ``quantity`` is how many packages to dispense. ``package_size`` and
    ``package_unit`` describe one package (``100`` and ``Stück``). The size
    is text because KBV writes sizes such as ``2x20``.
    """

    id: str | None = Field(default=None, description="Logical id of the Bundle.")
    prescription_id: str | None = Field(
        default=None, description="Prescription id issued by the E-Rezept service."
    )
    patient: Identifier
    patient_identifier_valid: bool = Field(
        default=True,
        description="False where the patient identifier fails its check digit.",
    )
    medication: Coding | None = Field(
        default=None, description="PZN, or the KBV medication type for other kinds."
    )
    medication_text: str | None = None
    dosage: str | None = None
    quantity: Quantity
    package_size: str | None = None
    package_unit: str | None = None
    authored_on: date
    prescriber: Identifier | None = Field(
        default=None, description="The requester's LANR, where the Bundle has one."
    )
