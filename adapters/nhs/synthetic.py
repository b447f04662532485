"""Synthetic patients that the NHS simulator serves.

The NHS numbers are the published PDS sandbox test numbers (9000000009 ...)
and the NHS Data Dictionary's example 943 476 5919; all pass the modulus 11
check. Names, addresses and contacts are made up: phone numbers come from
Ofcom's 01632 960 range, which is reserved for drama, and e-mail addresses
use example.org. Codes are SNOMED CT concepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from carecert.adapters.fhir.code_systems import SNOMED_CT_SYSTEM
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    Address,
    AllergyIntolerance,
    ClinicalStatus,
    Coding,
    Condition,
    ContactPoint,
    HumanName,
    Identifier,
    MedicationStatement,
    Patient,
)
from carecert.adapters.nhs.fhir import ODS_SYSTEM

__all__ = [
    "SNOMED_CT",
    "SYNTHETIC_PRACTICE",
    "UNKNOWN_NHS_NUMBER",
    "SyntheticPatient",
    "synthetic_patients",
]

SNOMED_CT = SNOMED_CT_SYSTEM

UNKNOWN_NHS_NUMBER = "9111231130"
"""A valid NHS number that no synthetic patient has, so lookups return 404."""

SYNTHETIC_PRACTICE = Identifier(system=ODS_SYSTEM, value="Y12345")
"""The GP practice of the synthetic patients, by the ODS code PDS examples use."""


@dataclass(frozen=True)
class SyntheticPatient:
    """A patient's demographics and GP record sections."""

    patient: Patient
    medications: tuple[MedicationStatement, ...] = ()
    allergies: tuple[AllergyIntolerance, ...] = ()
    conditions: tuple[Condition, ...] = ()


def synthetic_patients() -> dict[str, SyntheticPatient]:
    """Return the synthetic patients, keyed by NHS number."""
    patients = [
        _full_patient(),
        _second_patient(),
        _restricted_patient(),
        SyntheticPatient(_patient("9000000033", general_practitioner=None)),
        _guide_example_patient(),
    ]
    return {_nhs_number(p.patient): p for p in patients}


def _full_patient() -> SyntheticPatient:
    patient = _patient(
        "9000000009",
        names=(
            HumanName(
                use="usual",
                family="Testpatient",
                given=("Alex", "Jamie"),
                prefix=("Mx",),
                period_start=date(2001, 4, 1),
            ),
        ),
        gender="female",
        birth_date=date(1985, 3, 14),
        addresses=(
            Address(
                use="home",
                line=("1 Example Row", "Testbury", "Leeds"),
                postal_code="LS1 6AE",
            ),
        ),
        telecom=(
            ContactPoint(system="phone", value="01632960001", use="home"),
            ContactPoint(
                system="email", value="alex.testpatient@example.org", use="home"
            ),
        ),
    )
    return SyntheticPatient(
        patient,
        medications=(
            MedicationStatement(
                id="med-1",
                medication=Coding(
                    system=SNOMED_CT, code="372897005", display="Salbutamol"
                ),
                status="active",
                dosage="Two puffs when required",
                effective_start=date(2019, 5, 2),
            ),
        ),
        allergies=(
            AllergyIntolerance(
                id="allergy-1",
                substance=Coding(
                    system=SNOMED_CT, code="91936005", display="Allergy to penicillin"
                ),
                clinical_status=ClinicalStatus.ACTIVE,
                criticality="high",
                recorded=datetime(2012, 6, 1, 10, 30, tzinfo=UTC),
            ),
        ),
        conditions=(
            Condition(
                id="condition-1",
                code=Coding(system=SNOMED_CT, code="195967001", display="Asthma"),
                clinical_status=ClinicalStatus.ACTIVE,
                onset=date(1992, 9, 1),
            ),
        ),
    )


def _second_patient() -> SyntheticPatient:
    patient = _patient(
        "9000000017",
        names=(HumanName(use="usual", family="Examplecase", given=("Sam",)),),
        gender="male",
        birth_date=date(1950, 7, 1),
        addresses=(
            Address(
                use="home", line=("2 Sample Close", "Leeds"), postal_code="LS1 6AE"
            ),
        ),
    )
    return SyntheticPatient(
        patient,
        medications=(
            MedicationStatement(
                id="med-2",
                medication=Coding(
                    system=SNOMED_CT, code="386864001", display="Amlodipine"
                ),
                status="active",
                dosage="5 mg once a day",
            ),
            MedicationStatement(
                id="med-3",
                medication=Coding(
                    system=SNOMED_CT, code="372567009", display="Metformin"
                ),
                status="stopped",
                effective_start=date(2015, 1, 12),
            ),
        ),
        allergies=(
            AllergyIntolerance(
                id="allergy-2",
                substance=Coding(
                    system=SNOMED_CT, code="91935009", display="Allergy to peanuts"
                ),
                clinical_status=ClinicalStatus.RESOLVED,
            ),
        ),
        conditions=(
            Condition(
                id="condition-2",
                code=Coding(
                    system=SNOMED_CT, code="38341003", display="Hypertensive disorder"
                ),
                clinical_status=ClinicalStatus.ACTIVE,
                onset=date(2010, 2, 20),
            ),
            Condition(
                id="condition-3",
                code=Coding(
                    system=SNOMED_CT,
                    code="44054006",
                    display="Type 2 diabetes mellitus",
                ),
                clinical_status=ClinicalStatus.REMISSION,
                onset=date(2014, 11, 3),
            ),
        ),
    )


def _restricted_patient() -> SyntheticPatient:
    # PDS leaves address, telecom and GP out of a restricted record; the
    # simulator strips them again, so a test can add them without leaking.
    patient = _patient(
        "9000000025",
        names=(HumanName(use="usual", family="Testpatient", given=("Robin",)),),
        gender="unknown",
        birth_date=date(1999, 12, 31),
        restricted=True,
        general_practitioner=None,
    )
    return SyntheticPatient(patient)


def _guide_example_patient() -> SyntheticPatient:
    patient = _patient(
        "9434765919",
        names=(HumanName(use="usual", family="Testpatient", given=("Jordan",)),),
        gender="other",
        birth_date=date(1972, 1, 5),
        deceased_at=datetime(2021, 8, 9, 14, 0, tzinfo=UTC),
    )
    return SyntheticPatient(
        patient,
        conditions=(
            Condition(
                code=Coding(system=SNOMED_CT, code="38341003", display="Hypertension"),
                clinical_status=ClinicalStatus.INACTIVE,
            ),
        ),
    )


def _patient(
    nhs_number: str,
    *,
    general_practitioner: Identifier | None = SYNTHETIC_PRACTICE,
    **fields: object,
) -> Patient:
    return Patient.model_validate(
        {
            "id": nhs_number,
            "identifiers": (Identifier(system=NHS_NUMBER_SYSTEM, value=nhs_number),),
            "general_practitioner": general_practitioner,
            **fields,
        }
    )


def _nhs_number(patient: Patient) -> str:
    number = patient.identifier_value(NHS_NUMBER_SYSTEM)
    assert number is not None
    return number
