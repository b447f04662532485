"""Synthetic Andalusian patients and their e-prescriptions for the simulator.

Every person, NUHSA, DNI, NIE and medicine code here is made up. NUHSAs have
the valid format and DNIs and NIEs the correct check letter, so that the
adapter's validators accept them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carecert.adapters.identifiers import spanish_id_check_letter
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
    Prescription,
    Quantity,
)
from carecert.adapters.sas.codes import (
    CENTRE_CODE_SYSTEM,
    DNI_SYSTEM,
    MEDICATION_SYSTEM,
    NIE_SYSTEM,
    NUHSA_SYSTEM,
    PRESCRIBER_SYSTEM,
)

__all__ = [
    "SAMPLE_CENTRE",
    "SAMPLE_DNI",
    "SAMPLE_NUHSA",
    "UNKNOWN_NUHSA",
    "SyntheticPatient",
    "synthetic_dni",
    "synthetic_nie",
    "synthetic_patients",
]

SAMPLE_NUHSA = "AN0123456789"
"""The NUHSA of the main synthetic patient, with prescriptions."""

UNKNOWN_NUHSA = "AN9999999999"
"""A NUHSA of valid format for which the simulator returns HTTP 404."""

SAMPLE_CENTRE = "CS_SEVILLA_001"
"""The synthetic patients' health centre code."""


def synthetic_dni(number: int) -> str:
    """Return the DNI with the check letter for an eight-digit ``number``."""
    return f"{number:08d}{spanish_id_check_letter(number)}"


def synthetic_nie(prefix: str, number: int) -> str:
    """Return the NIE with its check letter for ``prefix`` X, Y or Z."""
    digit = "XYZ".index(prefix)
    letter = spanish_id_check_letter(int(f"{digit}{number:07d}"))
    return f"{prefix}{number:07d}{letter}"


SAMPLE_DNI = synthetic_dni(45678123)
"""The DNI of the main synthetic patient."""


@dataclass(frozen=True)
class SyntheticPatient:
    """A synthetic patient and the prescriptions the simulator serves for them."""

    patient: Patient
    prescriptions: tuple[Prescription, ...] = ()


def synthetic_patients() -> dict[str, SyntheticPatient]:
    """Return the synthetic patients by NUHSA, built anew on each call."""
    patients = [
        SyntheticPatient(
            _patient(
                SAMPLE_NUHSA,
                Identifier(system=DNI_SYSTEM, value=SAMPLE_DNI),
                HumanName(use="official", family="Peña Ruiz", given=("Rocío",)),
                AdministrativeGender.FEMALE,
                date(1984, 3, 12),
                Address(
                    use="home",
                    line=("Calle Feria 12, 3º B",),
                    city="Sevilla",
                    district="Sevilla",
                    postal_code="41003",
                    country="ES",
                ),
            ),
            prescriptions=(
                _prescription(
                    SAMPLE_NUHSA, "1", "900001", "Enalapril 10 mg comprimidos", 2
                ),
                _prescription(
                    SAMPLE_NUHSA, "2", "900002", "Omeprazol 20 mg cápsulas duras", 1
                ),
            ),
        ),
        SyntheticPatient(
            _patient(
                "AN1000000017",
                Identifier(system=NIE_SYSTEM, value=synthetic_nie("Y", 2345678)),
                HumanName(
                    use="official",
                    family="Núñez Castaño",
                    given=("José", "Ángel"),
                ),
                AdministrativeGender.MALE,
                date(1956, 11, 2),
                Address(
                    use="home",
                    line=("Avenida de Andalucía 7",),
                    city="Málaga",
                    district="Málaga",
                    postal_code="29002",
                    country="ES",
                ),
            )
        ),
        SyntheticPatient(
            _patient(
                "AN2000000025",
                Identifier(system=DNI_SYSTEM, value=synthetic_dni(30123456)),
                HumanName(
                    use="official",
                    family="Ibáñez de la Fuente",
                    given=("María", "Dolores"),
                ),
                AdministrativeGender.FEMALE,
                date(2011, 6, 30),
                Address(
                    use="home",
                    line=("Plaza de la Corredera 4",),
                    city="Córdoba",
                    district="Córdoba",
                    postal_code="14002",
                    country="ES",
                ),
                restricted=True,
            )
        ),
    ]
    return {_nuhsa(entry.patient): entry for entry in patients}


def _nuhsa(patient: Patient) -> str:
    value = patient.identifier_value(NUHSA_SYSTEM)
    assert value is not None
    return value


def _patient(
    nuhsa: str,
    document: Identifier,
    name: HumanName,
    gender: AdministrativeGender,
    birth_date: date,
    address: Address,
    *,
    restricted: bool = False,
) -> Patient:
    return Patient(
        id=nuhsa,
        identifiers=(Identifier(system=NUHSA_SYSTEM, value=nuhsa), document),
        names=(name,),
        gender=gender,
        birth_date=birth_date,
        addresses=(address,),
        telecom=(ContactPoint(system="phone", value="+34 600 000 000", use="mobile"),),
        general_practitioner=Identifier(system=CENTRE_CODE_SYSTEM, value=SAMPLE_CENTRE),
        restricted=restricted,
    )


def _prescription(
    nuhsa: str, number: str, code: str, text: str, packages: int
) -> Prescription:
    return Prescription(
        id=f"{nuhsa}-{number}",
        prescription_id=f"RE-{nuhsa}-{number}",
        patient=Identifier(system=NUHSA_SYSTEM, value=nuhsa),
        medication=Coding(system=MEDICATION_SYSTEM, code=code, display=text),
        medication_text=text,
        dosage="1 cada 24 horas, por la mañana",
        quantity=Quantity(value=Decimal(packages), unit="envase"),
        authored_on=date(2026, 1, 15),
        prescriber=Identifier(system=PRESCRIBER_SYSTEM, value="414100001"),
    )
