"""Synthetic insured persons that the GKV simulator serves.

The KVNRs carry check digits computed with kvnr_check_digit, so they pass
validate_kvnr, but they belong to no real person. The IK numbers and names
of the insurers are made up too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carecert.adapters.gkv.kbv_parties import Insurance
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM, kvnr_check_digit
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    HumanName,
    Identifier,
    Patient,
)

__all__ = [
    "ENDED_KVNR",
    "PRIVATE_KVNR",
    "SAMPLE_KVNR",
    "UNKNOWN_KVNR",
    "SyntheticInsured",
    "synthetic_insured",
    "synthetic_kvnr",
]


def synthetic_kvnr(letter: str, eight_digits: str) -> str:
    """Return the KVNR of ``letter`` and ``eight_digits`` with its check digit."""
    return f"{letter}{eight_digits}{kvnr_check_digit(letter, eight_digits)}"


SAMPLE_KVNR = synthetic_kvnr("K", "22063515")
"""An insured member with active statutory coverage: K220635158."""

FAMILY_KVNR = synthetic_kvnr("A", "12345678")
PRIVATE_KVNR = synthetic_kvnr("M", "98765432")
"""A privately insured person (insurance type PKV)."""

ENDED_KVNR = synthetic_kvnr("X", "00000001")
"""A person whose statutory coverage has ended."""

UNKNOWN_KVNR = synthetic_kvnr("Z", "99999999")
"""A valid KVNR that the simulator has no Coverage for."""

_SYNTHETIC_GKV = Insurance(iknr="109999990", name="Synthetische Ersatzkasse")
_SYNTHETIC_PKV = Insurance(
    iknr="168999990", name="Synthetische Privatversicherung", insurance_type="PKV"
)


@dataclass(frozen=True)
class SyntheticInsured:
    """One insured person and their Coverage, as the simulator serves them."""

    patient: Patient
    insurance: Insurance
    active: bool = True
    valid_until: date | None = None


def synthetic_insured() -> dict[str, SyntheticInsured]:
    """Return the synthetic insured persons, keyed by KVNR."""
    people = [
        SyntheticInsured(
            _patient(SAMPLE_KVNR, "Musterfrau", "Erika", date(1964, 8, 12), "female"),
            _SYNTHETIC_GKV,
        ),
        SyntheticInsured(
            _patient(FAMILY_KVNR, "Mustermann", "Max", date(2012, 3, 4), "male"),
            Insurance(
                iknr=_SYNTHETIC_GKV.iknr, name=_SYNTHETIC_GKV.name, member_status="3"
            ),
        ),
        SyntheticInsured(
            _patient(PRIVATE_KVNR, "Beispiel", "Jonas", date(1980, 1, 30), "male"),
            _SYNTHETIC_PKV,
        ),
        SyntheticInsured(
            _patient(ENDED_KVNR, "Test", "Hanna", date(1990, 11, 2), "female"),
            _SYNTHETIC_GKV,
            active=False,
            valid_until=date(2020, 12, 31),
        ),
    ]
    return {str(p.patient.identifier_value(KVNR_SYSTEM)): p for p in people}


def _patient(
    kvnr: str, family: str, given: str, birth_date: date, gender: str
) -> Patient:
    return Patient(
        id=f"patient-{kvnr}",
        identifiers=(Identifier(system=KVNR_SYSTEM, value=kvnr),),
        names=(HumanName(use="official", family=family, given=(given,)),),
        gender=AdministrativeGender(gender),
        birth_date=birth_date,
        addresses=(
            Address(line=("Musterstraße 1",), city="Berlin", postal_code="10117"),
        ),
    )
