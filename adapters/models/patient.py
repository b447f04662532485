"""Canonical patient."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from carecert.adapters.models.common import (
    Address,
    CanonicalModel,
    ContactPoint,
    HumanName,
    Identifier,
)


class AdministrativeGender(StrEnum):
    """FHIR administrative gender codes."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class Patient(CanonicalModel):
    """A patient as one provider records them.

    ``id`` is the provider's logical id; ``identifiers`` contains the national and
    local identifiers with their systems. Dates of death carry a time zone
    because providers send them as instants.
    """

    id: str | None = None
    identifiers: tuple[Identifier, ...] = Field(min_length=1)
    names: tuple[HumanName, ...] = ()
    gender: AdministrativeGender | None = None
    birth_date: date | None = None
    deceased_at: AwareDatetime | None = None
    addresses: tuple[Address, ...] = ()
    telecom: tuple[ContactPoint, ...] = ()
    general_practitioner: Identifier | None = Field(
        default=None, description="The registered GP practice, by its ODS code."
    )
    restricted: bool = Field(
        default=False,
        description="True where the provider flags the record as sensitive.",
    )

    def identifier_value(self, system: str) -> str | None:
        """Return the value of the first identifier in ``system``, if any."""
        for identifier in self.identifiers:
            if identifier.system == system:
                return identifier.value
        return None
