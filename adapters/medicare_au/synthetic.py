"""Synthetic identifiers and My Health Records for the simulator and tests.

Every number is generated from a seed with the check-digit rules of the
validators, so each one is valid and none was copied from a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from carecert.adapters.fhir.code_systems import SNOMED_CT_SYSTEM
from carecert.adapters.identifiers import (
    luhn_check_digit,
    medicare_check_digit,
    medicare_provider_check_character,
)
from carecert.adapters.identifiers.au_healthcare_identifiers import (
    HealthcareIdentifierKind,
)
from carecert.adapters.identifiers.medicare_au import PRACTICE_LOCATION_CHARACTERS
from carecert.adapters.medicare_au.codes import (
    IHI_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
)
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    AllergyIntolerance,
    ClinicalStatus,
    Coding,
    Condition,
    HumanName,
    Identifier,
    MedicationStatement,
    Patient,
    PatientRecord,
)

__all__ = [
    "MBS_BENEFITS",
    "SAMPLE_ACCESS_CODE",
    "SAMPLE_HPIO",
    "SAMPLE_IHI",
    "SAMPLE_MEDICARE",
    "SAMPLE_PROVIDER_NUMBER",
    "SNOMED",
    "SyntheticPatient",
    "UNKNOWN_IHI",
    "healthcare_identifier",
    "medicare_number",
    "provider_number",
    "synthetic_patients",
]

SNOMED = SNOMED_CT_SYSTEM


def healthcare_identifier(kind: HealthcareIdentifierKind, rng: random.Random) -> str:
    """Return a valid 16-digit IHI, HPI-I or HPI-O (prefix, 9 digits, Luhn digit)."""
    body = kind.value + "".join(rng.choice("0123456789") for _ in range(9))
    return body + str(luhn_check_digit(body))


def medicare_number(rng: random.Random, *, irn: bool = True) -> str:
    """Return a valid Medicare card number: 8 digits, check, issue and IRN."""
    first = rng.choice("23456") + "".join(rng.choice("0123456789") for _ in range(7))
    number = first + str(medicare_check_digit(first)) + rng.choice("123456789")
    return number + rng.choice("123456789") if irn else number


def provider_number(rng: random.Random) -> str:
    """Return a valid Medicare provider number: stem, location and check."""
    stem = "".join(rng.choice("0123456789") for _ in range(6))
    location = rng.choice(PRACTICE_LOCATION_CHARACTERS)
    return stem + location + medicare_provider_check_character(stem, location)


_RNG = random.Random(20250120)
SAMPLE_IHI = healthcare_identifier(HealthcareIdentifierKind.IHI, _RNG)
RESTRICTED_IHI = healthcare_identifier(HealthcareIdentifierKind.IHI, _RNG)
UNKNOWN_IHI = healthcare_identifier(HealthcareIdentifierKind.IHI, _RNG)
"""A valid IHI that no synthetic patient has."""
SAMPLE_HPIO = healthcare_identifier(HealthcareIdentifierKind.HPI_O, _RNG)
SAMPLE_MEDICARE = medicare_number(_RNG)
RESTRICTED_MEDICARE = medicare_number(_RNG)
SAMPLE_PROVIDER_NUMBER = provider_number(_RNG)
SAMPLE_ACCESS_CODE = "K7Q2M9"
"""Record access code of the restricted synthetic patient."""

MBS_BENEFITS = {
    "23": Decimal("42.85"),
    "36": Decimal("82.90"),
    "44": Decimal("121.90"),
    "721": Decimal("164.35"),
}
"""Benefit the simulator pays per MBS item, in AUD.

NOTE: illustrative amounts near the 2024-25 schedule fees, not the current
MBS schedule. Items outside this table are rejected by the simulator.
"""


@dataclass(frozen=True)
class SyntheticPatient:
    """A synthetic My Health Record and the access code protecting it, if any."""

    record: PatientRecord
    access_code: str | None = None
    medicare: str | None = field(default=None)


def synthetic_patients() -> dict[str, SyntheticPatient]:
    """Return the simulator's patients, keyed by IHI."""
    first = Patient(
        id="mhr-1",
        identifiers=(
            Identifier(system=IHI_SYSTEM, value=SAMPLE_IHI),
            Identifier(system=MEDICARE_NUMBER_SYSTEM, value=SAMPLE_MEDICARE),
        ),
        names=(HumanName(use="official", family="Quokka-Test", given=("Marlee",)),),
        gender=AdministrativeGender.FEMALE,
        birth_date=date(1984, 3, 9),
        addresses=(
            Address(
                use="home",
                line=("1 Synthetic Street",),
                city="Testville",
                postal_code="2600",
                country="AU",
            ),
        ),
    )
    second = Patient(
        id="mhr-2",
        identifiers=(
            Identifier(system=IHI_SYSTEM, value=RESTRICTED_IHI),
            Identifier(system=MEDICARE_NUMBER_SYSTEM, value=RESTRICTED_MEDICARE),
        ),
        names=(HumanName(use="official", family="Ngữ-Wombat", given=("Đức", "Ō")),),
        gender=AdministrativeGender.MALE,
        birth_date=date(1951, 11, 30),
    )
    return {
        SAMPLE_IHI: SyntheticPatient(
            record=PatientRecord(
                patient=first,
                sections=(),
                conditions=(
                    Condition(
                        id="condition-1",
                        code=Coding(system=SNOMED, code="195967001", display="Asthma"),
                        clinical_status=ClinicalStatus.ACTIVE,
                        onset=date(1999, 6, 1),
                    ),
                ),
                medications=(
                    MedicationStatement(
                        id="medication-1",
                        medication=Coding(
                            system=SNOMED, code="372897005", display="Salbutamol"
                        ),
                        status="active",
                        dosage="2 puffs when needed",
                        effective_start=date(2020, 2, 1),
                    ),
                ),
                allergies=(
                    AllergyIntolerance(
                        id="allergy-1",
                        substance=Coding(
                            system=SNOMED, code="764146007", display="Penicillin"
                        ),
                        clinical_status=ClinicalStatus.ACTIVE,
                        criticality="high",
                        recorded=datetime(2015, 8, 14, 10, 0, tzinfo=UTC),
                    ),
                ),
            ),
            medicare=SAMPLE_MEDICARE,
        ),
        RESTRICTED_IHI: SyntheticPatient(
            record=PatientRecord(patient=second, sections=()),
            access_code=SAMPLE_ACCESS_CODE,
            medicare=RESTRICTED_MEDICARE,
        ),
    }
