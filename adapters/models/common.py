"""Data types shared by the canonical resources."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CanonicalModel(BaseModel):
    """Base of every canonical model.

    Models are frozen so a mapped record cannot change behind an adapter, and
    unknown fields are rejected so a typo in a field name fails loudly. A
    validation error names the field path and the offending input value.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        hide_input_in_errors=False,
    )


class Identifier(CanonicalModel):
    """A business identifier: a namespace URI and the value within it."""

    system: str = Field(
        min_length=1, description="Namespace URI, as FHIR Identifier.system."
    )
    value: str = Field(min_length=1)


class Coding(CanonicalModel):
    """A code from a code system, as FHIR Coding."""

    system: str | None = None
    code: str = Field(min_length=1)
    display: str | None = None


class HumanName(CanonicalModel):
    """A person's name, as FHIR HumanName."""

    use: (
        Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"]
        | None
    ) = None
    family: str | None = None
    given: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    suffix: tuple[str, ...] = ()
    period_start: date | None = None
    period_end: date | None = None


class ContactPoint(CanonicalModel):
    """A phone number, email address or other contact, as FHIR ContactPoint."""

    system: Literal["phone", "fax", "email", "pager", "url", "sms", "other"]
    value: str = Field(min_length=1)
    use: Literal["home", "work", "temp", "old", "mobile"] | None = None


class Address(CanonicalModel):
    """A postal address, as FHIR Address."""

    use: Literal["home", "work", "temp", "old", "billing"] | None = None
    line: tuple[str, ...] = ()
    city: str | None = None
    district: str | None = None
    state: str | None = Field(
        default=None, description="State, province or territory (NSW, CA, ON)."
    )
    postal_code: str | None = None
    country: str | None = None
