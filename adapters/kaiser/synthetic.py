"""Synthetic Kaiser patients and their records for the simulator.

Every person, MRN and record here is made up. MRNs have the valid format,
and NPIs the correct Luhn check digit, so that the adapter's validators
accept them. Clinical codes are real SNOMED CT, RxNorm and CVX codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from carecert.adapters.fhir.code_systems import (
    CVX_SYSTEM,
    ICD10CM_SYSTEM,
    RXNORM_SYSTEM,
    SNOMED_CT_SYSTEM,
)
from carecert.adapters.identifiers import NPI_SYSTEM
from carecert.adapters.kaiser.codes import (
    CONDITION_CATEGORY_SYSTEM,
    MRN_SYSTEM,
    PROBLEM_LIST_ITEM,
)
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    ClinicalStatus,
    Coding,
    Condition,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.adapters.models.clinical import (
    Immunization,
    MedicationRequest,
    ResourceReference,
)

__all__ = [
    "SAMPLE_DEPARTMENT",
    "SAMPLE_FACILITY",
    "SAMPLE_MRN",
    "SAMPLE_NPI",
    "SAMPLE_PATIENT_ID",
    "UNKNOWN_MRN",
    "SyntheticPatient",
    "synthetic_patients",
]

SAMPLE_MRN = "KP204518736"
"""The MRN of the main synthetic patient, who has records in every section."""

SAMPLE_PATIENT_ID = "kp-204518736"
"""The FHIR logical id of the main synthetic patient."""

UNKNOWN_MRN = "KP999999999"
"""An MRN of valid format that no synthetic patient has."""

SAMPLE_NPI = "1749203851"
"""A synthetic NPI with a valid check digit, for bookings."""

SAMPLE_FACILITY = "NCAL"
SAMPLE_DEPARTMENT = "CARDIOLOGY"

SNOMED = SNOMED_CT_SYSTEM
ICD10CM = ICD10CM_SYSTEM
RXNORM = RXNORM_SYSTEM
CVX = CVX_SYSTEM

_PROBLEM = Coding(
    system=CONDITION_CATEGORY_SYSTEM,
    code=PROBLEM_LIST_ITEM,
    display="Problem List Item",
)


@dataclass(frozen=True)
class SyntheticPatient:
    """A synthetic patient and the record entries the simulator serves."""

    patient: Patient
    conditions: tuple[Condition, ...] = ()
    medication_requests: tuple[MedicationRequest, ...] = ()
    immunizations: tuple[Immunization, ...] = ()


def synthetic_patients() -> dict[str, SyntheticPatient]:
    """Return the synthetic patients by FHIR logical id, built anew on each call."""
    main = SyntheticPatient(
        _patient(
            SAMPLE_PATIENT_ID,
            SAMPLE_MRN,
            HumanName(use="official", family="Quillfeather", given=("Marisol", "J")),
            AdministrativeGender.FEMALE,
            date(1979, 5, 14),
        ),
        conditions=(
            _condition(
                "c1", "38341003", "Hypertensive disorder", "I10", date(2015, 3, 2)
            ),
            _condition(
                "c2", "44054006", "Diabetes mellitus type 2", "E11.9", date(2018, 9, 20)
            ),
            _condition("c3", "195967001", "Asthma", "J45.909", date(2001, 6, 1)),
        ),
        medication_requests=(
            _medication(
                "m1", "314076", "lisinopril 10 MG Oral Tablet", "1 tablet daily"
            ),
            _medication(
                "m2",
                "860975",
                "metformin 500 MG Extended Release Oral Tablet",
                "1 tablet twice daily with meals",
            ),
            _medication(
                "m3",
                "745752",
                "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
                "2 puffs every 4 hours as needed",
            ),
        ),
        immunizations=(
            _immunization("i1", "140", "Influenza, seasonal, injectable", 2023),
            _immunization(
                "i2", "208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL", 2021
            ),
            _immunization("i3", "115", "Tdap", 2019),
            _immunization("i4", "33", "pneumococcal polysaccharide PPV23", 2020),
            _immunization("i5", "140", "Influenza, seasonal, injectable", 2024),
        ),
    )
    second = SyntheticPatient(
        _patient(
            "kp-318640295",
            "KP318640295",
            HumanName(use="official", family="Nakamura-Oyelaran", given=("Théo",)),
            AdministrativeGender.MALE,
            date(2012, 11, 3),
        )
    )
    return {entry.patient.id or "": entry for entry in (main, second)}


def _patient(
    patient_id: str,
    mrn: str,
    name: HumanName,
    gender: AdministrativeGender,
    birth_date: date,
) -> Patient:
    return Patient(
        id=patient_id,
        identifiers=(Identifier(system=MRN_SYSTEM, value=mrn),),
        names=(name,),
        gender=gender,
        birth_date=birth_date,
        addresses=(
            Address(
                use="home",
                line=("1 Synthetic Way",),
                city="Oakland",
                postal_code="94612",
                country="US",
            ),
        ),
        telecom=(ContactPoint(system="phone", value="555-0100", use="home"),),
    )


def _condition(
    number: str, snomed: str, display: str, icd10: str, onset: date
) -> Condition:
    return Condition(
        id=f"{SAMPLE_PATIENT_ID}-{number}",
        code=Coding(system=SNOMED, code=snomed, display=display),
        other_codings=(Coding(system=ICD10CM, code=icd10),),
        text=display,
        clinical_status=ClinicalStatus.ACTIVE,
        verification_status="confirmed",
        categories=(_PROBLEM,),
        onset=onset,
        recorded=onset,
    )


def _medication(
    number: str, rxnorm: str, display: str, dosage: str
) -> MedicationRequest:
    return MedicationRequest(
        id=f"{SAMPLE_PATIENT_ID}-{number}",
        status="active",
        intent="order",
        medication=Coding(system=RXNORM, code=rxnorm, display=display),
        medication_text=display,
        authored_on=datetime(2024, 2, 12, 17, 30, tzinfo=UTC),
        requester=ResourceReference(
            identifier=Identifier(system=NPI_SYSTEM, value=SAMPLE_NPI),
            display="Synthetic Prescriber, MD",
        ),
        dosage=(dosage,),
    )


def _immunization(number: str, cvx: str, display: str, year: int) -> Immunization:
    return Immunization(
        id=f"{SAMPLE_PATIENT_ID}-{number}",
        status="completed",
        vaccine=Coding(system=CVX, code=cvx, display=display),
        vaccine_text=display,
        occurrence=datetime(year, 10, 1, 16, 0, tzinfo=UTC),
        primary_source=True,
        lot_number=f"SYN{year}{number.upper()}",
    )
