"""Code tables and identifier systems of the CVS Health adapter.

NOTE: the ``urn:carecert:cvs:*`` system URIs are carecert's choice, not taken
from a CVS publication. Replace them here if CVS publishes its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from carecert.adapters.models import AppointmentStatus
from carecert.adapters.models.pharmacy import FillStatus

__all__ = [
    "APPOINTMENT_STATUSES",
    "CVX_SYSTEM",
    "DEMOGRAPHIC_KEY_SYSTEM",
    "FILL_STATUSES",
    "NDC_SYSTEM",
    "PATIENT_ID_SYSTEM",
    "RX_NUMBER_SYSTEM",
    "STORE_SYSTEM",
    "VACCINES",
    "Vaccine",
]

PATIENT_ID_SYSTEM = "urn:carecert:cvs:patient-id"
"""Identifier system of the patient id that CVS pharmacies assign."""

DEMOGRAPHIC_KEY_SYSTEM = "urn:carecert:cvs:name-dob-key"
"""Identifier system of the key that carecert derives from name and birth date.

It names a patient who has no CVS patient id yet, for consent and audit.
"""

RX_NUMBER_SYSTEM = "urn:carecert:cvs:rx-number"
"""Identifier system of a prescription (Rx) number at a CVS store."""

STORE_SYSTEM = "urn:carecert:cvs:store-number"
"""Identifier system of CVS store numbers."""

NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
"""Code system of the FDA National Drug Code, as FHIR names it."""

CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
"""Code system of the CDC vaccine codes (CVX), as FHIR names it."""


@dataclass(frozen=True)
class Vaccine:
    """A vaccine that can be booked: its name, CVX code and other spellings.

    ``cvx`` is the CDC code for the unspecified formulation, because a
    booking names the kind of vaccine and the pharmacist picks the product.
    ``products`` lists CVX codes of specific products of the same kind.
    """

    name: str
    cvx: str
    display: str
    aliases: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


VACCINES: dict[str, Vaccine] = {
    vaccine.name: vaccine
    for vaccine in (
        Vaccine(
            "COVID-19",
            "213",
            "SARS-COV-2 (COVID-19) vaccine, unspecified formulation",
            aliases=("covid", "covid19", "sars-cov-2"),
            products=("207", "208", "210", "211", "212", "217", "218", "219"),
        ),
        Vaccine(
            "influenza",
            "88",
            "influenza virus vaccine, unspecified formulation",
            aliases=("flu",),
            products=("135", "140", "141", "150", "158", "161", "171", "185", "197"),
        ),
        Vaccine(
            "shingles",
            "188",
            "zoster vaccine, unspecified formulation",
            aliases=("zoster", "herpes zoster"),
            products=("121", "187"),
        ),
        Vaccine(
            "pneumococcal",
            "109",
            "pneumococcal vaccine, unspecified formulation",
            aliases=("pneumonia",),
            products=("33", "133", "152", "215", "216"),
        ),
        Vaccine("Tdap", "115", "Tdap", products=()),
        Vaccine(
            "hepatitis A",
            "85",
            "hepatitis A vaccine, unspecified formulation",
            aliases=("hep a",),
            products=("52", "83"),
        ),
        Vaccine(
            "hepatitis B",
            "45",
            "hepatitis B vaccine, unspecified formulation",
            aliases=("hep b",),
            products=("08", "43", "189"),
        ),
        Vaccine(
            "HPV",
            "137",
            "HPV, unspecified formulation",
            aliases=("human papillomavirus",),
            products=("62", "118", "165"),
        ),
        Vaccine(
            "meningococcal ACWY",
            "108",
            "meningococcal ACWY vaccine, unspecified formulation",
            aliases=("menacwy",),
            products=("114", "136", "147"),
        ),
        Vaccine("MMR", "03", "measles, mumps and rubella virus vaccine"),
    )
}
"""The vaccines that schedule_vaccination accepts, by name.

NOTE: the CVX codes come from the CDC CVX table as carecert read it. Check
them against the current table before relying on the product lists.
"""

FILL_STATUSES: dict[str, FillStatus] = {
    "RECEIVED": FillStatus.RECEIVED,
    "IN_PROGRESS": FillStatus.IN_PROGRESS,
    "READY_FOR_PICKUP": FillStatus.READY_FOR_PICKUP,
    "PICKED_UP": FillStatus.DISPENSED,
    "PARTIALLY_FILLED": FillStatus.PARTIALLY_DISPENSED,
    "RETURNED_TO_STOCK": FillStatus.NOT_DISPENSED,
    "ON_HOLD": FillStatus.ON_HOLD,
    "TRANSFERRED": FillStatus.TRANSFERRED,
    "CANCELLED": FillStatus.CANCELLED,
}
"""Wire status code of a prescription to the canonical fill status."""

APPOINTMENT_STATUSES: dict[str, AppointmentStatus] = {
    "REQUESTED": AppointmentStatus.PROPOSED,
    "SCHEDULED": AppointmentStatus.BOOKED,
    "CHECKED_IN": AppointmentStatus.CHECKED_IN,
    "COMPLETED": AppointmentStatus.FULFILLED,
    "CANCELLED": AppointmentStatus.CANCELLED,
    "NO_SHOW": AppointmentStatus.NOSHOW,
}
"""Wire status code of a vaccination appointment to the canonical status.

The canonical statuses pending, arrived, entered-in-error and waitlist have
no wire code, so an appointment in one of them cannot be sent.
"""
