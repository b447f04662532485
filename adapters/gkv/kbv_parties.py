"""Prescriber, practice and insurer details that a KBV Bundle needs.

The canonical model has no practitioner or insurer type yet, so these contain
the fields the KBV Practitioner, Organization and Coverage resources carry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from carecert.adapters.models import Address, CanonicalModel, HumanName

__all__ = ["Insurance", "Practice", "Prescriber"]

_NINE_DIGITS = r"^[0-9]{9}$"


class Practice(CanonicalModel):
    """The practice (Betriebsstätte) that issues the prescription."""

    bsnr: str = Field(pattern=_NINE_DIGITS, description="Betriebsstättennummer.")
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    address: Address | None = None


class Prescriber(CanonicalModel):
    """The physician who signs the prescription."""

    lanr: str = Field(pattern=_NINE_DIGITS, description="Lebenslange Arztnummer.")
    name: HumanName
    qualification_text: str = Field(
        min_length=1, description="Job title, as in 'Facharzt für Allgemeinmedizin'."
    )
    practice: Practice


class Insurance(CanonicalModel):
    """The patient's health insurer and insurance status."""

    iknr: str = Field(pattern=_NINE_DIGITS, description="Institutionskennzeichen.")
    name: str = Field(min_length=1)
    insurance_type: Literal["GKV", "PKV"] = "GKV"
    member_status: Literal["1", "3", "5"] = Field(
        default="1",
        description="KBV Versichertenstatus: 1 member, 3 family member, 5 pensioner.",
    )
