"""Synthetic CVS patients and prescriptions for the simulator and the tests.

Every person, patient id, Rx number, NPI and NDC here is made up. NPIs carry
a correct check digit so that the adapter accepts them. NDCs use labeler
code 99999, which carecert assumes no real labeler holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carecert.adapters.cvs.codes import NDC_SYSTEM, PATIENT_ID_SYSTEM, STORE_SYSTEM
from carecert.adapters.identifiers import NPI_SYSTEM, npi_check_digit
from carecert.adapters.models import (
    AdministrativeGender,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
    Quantity,
)
from carecert.adapters.models.pharmacy import FillStatus, PrescriptionStatus

__all__ = [
    "GUIDE_RX_NUMBER",
    "OTHER_STORE",
    "SAMPLE_DOB",
    "SAMPLE_PATIENT_ID",
    "SAMPLE_RX_NUMBER",
    "SAMPLE_STORE",
    "SyntheticPatient",
    "synthetic_npi",
    "synthetic_patients",
]

SAMPLE_STORE = "3456"
"""The store the simulator's prescriptions are at."""

OTHER_STORE = "1024"
"""A second store that takes vaccination bookings but has no prescriptions."""

SAMPLE_PATIENT_ID = "cvs-p-100001"
"""The CVS patient id of the main synthetic patient."""

SAMPLE_DOB = date(1950, 1, 1)
"""The main synthetic patient's date of birth."""

SAMPLE_RX_NUMBER = "1234567"
"""An Rx of the main synthetic patient, ready for pickup."""

GUIDE_RX_NUMBER = "123456"
"""The Rx number that ``RX123456`` names: the main patient's, being filled."""


def synthetic_npi(first_nine: str) -> str:
    """Return the NPI with its check digit for nine digits starting with 1 or 2."""
    return first_nine + str(npi_check_digit(first_nine))


PRESCRIBER_NPI = synthetic_npi("199000001")
STORE_NPI = synthetic_npi("299000003")


@dataclass(frozen=True)
class SyntheticPatient:
    """A synthetic patient and the prescriptions the simulator serves for them."""

    patient: Patient
    prescriptions: tuple[PrescriptionStatus, ...] = ()


def synthetic_patients() -> dict[str, SyntheticPatient]:
    """Return the synthetic patients by CVS patient id, built anew on each call."""
    patients = [
        SyntheticPatient(
            _patient(
                SAMPLE_PATIENT_ID,
                HumanName(
                    use="official", family="Okafor-Lindqvist", given=("Marisol",)
                ),
                AdministrativeGender.FEMALE,
                SAMPLE_DOB,
                "marisol.okafor@example.com",
            ),
            prescriptions=(
                _status(
                    SAMPLE_PATIENT_ID,
                    SAMPLE_RX_NUMBER,
                    FillStatus.READY_FOR_PICKUP,
                    "99999-0101-30",
                    "Lisinopril 10 mg tablet",
                    refills=3,
                    last_fill=date(2026, 11, 2),
                ),
                _status(
                    SAMPLE_PATIENT_ID,
                    GUIDE_RX_NUMBER,
                    FillStatus.IN_PROGRESS,
                    "99999-0202-90",
                    "Metformin 500 mg tablet",
                    refills=5,
                    last_fill=None,
                ),
            ),
        ),
        SyntheticPatient(
            _patient(
                "cvs-p-100002",
                HumanName(use="official", family="王", given=("秀英",)),
                AdministrativeGender.FEMALE,
                date(1978, 8, 23),
                None,
            ),
            prescriptions=(
                _status(
                    "cvs-p-100002",
                    "2345678",
                    FillStatus.DISPENSED,
                    "99999-0303-30",
                    "Atorvastatin 20 mg tablet",
                    refills=0,
                    last_fill=date(2026, 10, 14),
                ),
            ),
        ),
        SyntheticPatient(
            _patient(
                "cvs-p-100003",
                HumanName(
                    use="official", family="Соколова", given=("Анна", "Ивановна")
                ),
                AdministrativeGender.FEMALE,
                date(1991, 2, 28),
                "anna.sokolova@example.org",
            )
        ),
    ]
    return {_patient_id(entry.patient): entry for entry in patients}


def _patient_id(patient: Patient) -> str:
    value = patient.identifier_value(PATIENT_ID_SYSTEM)
    assert value is not None
    return value


def _patient(
    patient_id: str,
    name: HumanName,
    gender: AdministrativeGender,
    birth_date: date,
    email: str | None,
) -> Patient:
    telecom = () if email is None else (ContactPoint(system="email", value=email),)
    return Patient(
        identifiers=(Identifier(system=PATIENT_ID_SYSTEM, value=patient_id),),
        names=(name,),
        gender=gender,
        birth_date=birth_date,
        telecom=telecom,
    )


def _status(
    patient_id: str,
    rx_number: str,
    status: FillStatus,
    ndc: str,
    name: str,
    *,
    refills: int,
    last_fill: date | None,
) -> PrescriptionStatus:
    return PrescriptionStatus(
        rx_number=rx_number,
        status=status,
        pharmacy=Identifier(system=STORE_SYSTEM, value=SAMPLE_STORE),
        pharmacy_npi=Identifier(system=NPI_SYSTEM, value=STORE_NPI),
        patient=Identifier(system=PATIENT_ID_SYSTEM, value=patient_id),
        medication=Coding(system=NDC_SYSTEM, code=ndc),
        medication_text=name,
        quantity=Quantity(value=Decimal(30), unit="tablet"),
        days_supply=30,
        refills_remaining=refills,
        last_fill_date=last_fill,
        next_fill_date=None if last_fill is None else date(2026, 11, 27),
        expiration_date=date(2027, 10, 15),
        prescriber=Identifier(system=NPI_SYSTEM, value=PRESCRIBER_NPI),
    )
