"""KVDT billing case records: build one case from canonical billing data.

Field ids, and the record type 0101, are the ones used by the KBV KVDT test
file (XPM KVDT Praxis 2026.1.1, ``Z01123456699_27.01.2026_12.00.con``).
Every id below occurs in that file's 0101 case records with content of the
shape written here:

- 8000 record type ``0101`` (ambulatory treatment case), 16 records in the file
- 3119 insurance number, one letter and nine digits (``A303011978``)
- 4101 billing quarter as quarter digit then year (``12026``, with service
  dates in January 2026)
- 5000 service date as YYYYMMDD, written before the codes of that day
- 5001 EBM service code, five digits and an optional letter (``01100``,
  ``01741M``)
- 6001 ICD-10-GM code (``G30.1``), each followed by 6003, the diagnosis
  certainty (``G``, ``V`` and ``A`` occur)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from carecert.adapters.errors import CarecertError
from carecert.adapters.gkv.xdt import XdtRecord
from carecert.adapters.identifiers.kvnr import validate_kvnr

__all__ = [
    "CASE_RECORD_TYPE",
    "DIAGNOSIS_CERTAINTY_CODES",
    "KvdtDataError",
    "build_kvdt_case",
    "parse_quarter",
    "validate_ebm_code",
    "validate_icd10gm_code",
]

CASE_RECORD_TYPE = "0101"
FIELD_INSURANCE_NUMBER = "3119"
FIELD_QUARTER = "4101"
FIELD_SERVICE_DATE = "5000"
FIELD_EBM_CODE = "5001"
FIELD_ICD_CODE = "6001"
FIELD_DIAGNOSIS_CERTAINTY = "6003"

# KBV diagnosis certainty: A excluded, G confirmed, V suspected, Z status
# after. The test file shows A, G and V, and Z does not occur in it.
DIAGNOSIS_CERTAINTY_CODES = frozenset({"A", "G", "V", "Z"})

_QUARTER = re.compile(r"([1-4])/([0-9]{4})")
_EBM = re.compile(r"[0-9]{5}[A-Z]?")
# ICD-10-GM terminal codes: letter, two digits, and a dot with one or two
# digits where the code is subdivided (I10, E11.9, E11.90).
_ICD10GM = re.compile(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?")


class KvdtDataError(CarecertError, ValueError):
    """Billing data for a KVDT case is missing or has an invalid value."""

    def __init__(self, key: str, value: Any, rule: str) -> None:
        self.key = key
        self.value = value
        self.rule = rule
        super().__init__(f"Invalid kvdt_data[{key!r}] {value!r}: {rule}.")


def parse_quarter(value: str) -> tuple[int, int]:
    """Return (quarter, year) from ``Q/YYYY``, as in ``1/2025``."""
    match = _QUARTER.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise KvdtDataError(
            "abrechnungsquartal",
            value,
            "expected Q/YYYY with quarter 1 to 4, as in 1/2025",
        )
    return int(match.group(1)), int(match.group(2))


def validate_ebm_code(value: str) -> str:
    """Return an EBM service code (five digits, optional capital letter)."""
    if not isinstance(value, str) or not _EBM.fullmatch(value):
        raise KvdtDataError(
            "leistungen",
            value,
            "expected an EBM code of five digits and an optional capital letter, "
            "as in 03000 or 01741M",
        )
    return value


def validate_icd10gm_code(value: str) -> str:
    """Return an ICD-10-GM code in its terminal form, as in I10 or E11.9."""
    if not isinstance(value, str) or not _ICD10GM.fullmatch(value):
        raise KvdtDataError(
            "diagnosen",
            value,
            "expected an ICD-10-GM code: a capital letter, two digits and an "
            "optional dot with one or two digits, as in I10 or E11.9",
        )
    return value


def build_kvdt_case(
    kvdt_data: Mapping[str, Any],
    *,
    kvnr: str,
    service_date: date,
    diagnosis_certainty: str = "G",
) -> XdtRecord:
    """Build one KVDT 0101 case record from the patient's KVNR and billing data.

    ``kvdt_data`` has ``abrechnungsquartal`` (``Q/YYYY``), ``leistungen`` (EBM
    codes) and ``diagnosen`` (ICD-10-GM codes). All services are billed on
    ``service_date``, which must fall in the quarter, and every diagnosis gets
    ``diagnosis_certainty``. Raises KvdtDataError or InvalidIdentifierError.
    """
    # NOTE: a billable KVDT file also needs the container and package records
    # (con0, besa, rvsa, adt0, adt9, con9) and the case's patient and insurer
    # fields (3101, 3103, 4104 and others). This builder writes only the
    # fields listed in the module docstring.
    validate_kvnr(kvnr)
    quarter, year = parse_quarter(_require(kvdt_data, "abrechnungsquartal"))
    if (service_date.month - 1) // 3 + 1 != quarter or service_date.year != year:
        raise KvdtDataError(
            "abrechnungsquartal",
            kvdt_data["abrechnungsquartal"],
            f"the service date {service_date.isoformat()} is not in that quarter",
        )
    services = _require_list(kvdt_data, "leistungen")
    diagnoses = _require_list(kvdt_data, "diagnosen")
    if diagnosis_certainty not in DIAGNOSIS_CERTAINTY_CODES:
        raise KvdtDataError(
            "diagnosis_certainty",
            diagnosis_certainty,
            f"expected one of {sorted(DIAGNOSIS_CERTAINTY_CODES)}",
        )

    fields: list[tuple[str, str]] = [
        (FIELD_INSURANCE_NUMBER, kvnr),
        (FIELD_QUARTER, f"{quarter}{year:04d}"),
        (FIELD_SERVICE_DATE, service_date.strftime("%Y%m%d")),
    ]
    fields += [(FIELD_EBM_CODE, validate_ebm_code(code)) for code in services]
    for code in diagnoses:
        fields.append((FIELD_ICD_CODE, validate_icd10gm_code(code)))
        fields.append((FIELD_DIAGNOSIS_CERTAINTY, diagnosis_certainty))
    return XdtRecord.of(CASE_RECORD_TYPE, *fields)


def _require(data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise KvdtDataError(key, None, "missing")
    return data[key]


def _require_list(data: Mapping[str, Any], key: str) -> Sequence[str]:
    value = _require(data, key)
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise KvdtDataError(key, value, "expected a non-empty list of codes")
    return value
