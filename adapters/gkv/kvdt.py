"""KVDT quarterly billing (ADT) files: the model, the records and their codes.

The record types and field ids are the ones of the KBV KVDT test billing file
(XPM KVDT Praxis 2026.1.1, ``Z01123456699_27.01.2026_12.00.con``). That file
is a container: ``con0`` first, then the practice record ``besa``, the record
``rvsa``, one package from ``adt0`` to ``adt9`` holding the case records
(``0101`` to ``0104``), and ``con9`` last. kvdt_records writes these records
in that order and kvdt_check checks the order in parsed files.

Fields written, with the content shapes the test file shows:

- con0: 9103 creation date (YYYYMMDD), 9106 character set code (``4``),
  9132 (``1``, see CONTAINED_PACKAGES_FIELD)
- besa: 0201 BSNR, 0203 practice name, then per physician 0212 LANR and 0211
  name, 0205 street, 0215 postal code, 0216 city, 0208 phone
- rvsa: 0201 BSNR, 0300 and 0301
- adt0: 0105 KBV test number of the software, 9102, 9212 version of the
  record description (``ADT0126.01``), 0102 software vendor, 0103 software
  name, 0132 software release, 9115 package creation date, 9204 billing
  quarter (``12026``)
- case: 3000 patient number, 3101 family name, 3102 given name, 3103 birth
  date, 3119 insurance number (KVNR) and 4101 billing quarter. Each service
  day is 5000 date, then per service 5001 EBM code, 5098 BSNR and 5099 LANR.
  Each diagnosis is 6001 ICD-10-GM code and 6003 its certainty
  (Zusatzkennzeichen).

Field 8100, the record length in bytes, does not occur in the test file, so
kvdt_records writes it only when asked (see kvdt_records).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from carecert.adapters.errors import CarecertError
from carecert.adapters.gkv.xdt import (
    CHARSET_CODES,
    DEFAULT_ENCODING,
    XdtError,
    XdtField,
    XdtRecord,
    encode_xdt,
    encoded_length,
    parse_xdt,
)
from carecert.adapters.identifiers.kvnr import validate_kvnr

__all__ = [
    "CASE_RECORD_TYPE",
    "CASE_RECORD_TYPES",
    "DIAGNOSIS_CERTAINTY_CODES",
    "KvdtCase",
    "KvdtDataError",
    "KvdtDiagnosis",
    "KvdtFile",
    "KvdtPhysician",
    "KvdtPractice",
    "KvdtService",
    "KvdtServiceDay",
    "KvdtSoftware",
    "KvdtStructureError",
    "build_kvdt_case",
    "encode_kvdt",
    "kvdt_check",
    "kvdt_records",
    "lanr_check_digit",
    "parse_kvdt",
    "parse_quarter",
    "quarter_of",
    "validate_ebm_code",
    "validate_icd10gm_code",
    "validate_lanr",
    "with_record_length",
]

CONTAINER_HEADER = "con0"
CONTAINER_TRAILER = "con9"
PRACTICE_RECORD = "besa"
REGION_RECORD = "rvsa"
PACKAGE_HEADER = "adt0"
PACKAGE_TRAILER = "adt9"
CASE_RECORD_TYPE = "0101"
CASE_RECORD_TYPES = frozenset({"0101", "0102", "0103", "0104"})
"""Case record types of the ADT package, all four of which the test file uses."""

FIELD_RECORD_LENGTH = "8100"
FIELD_CREATED = "9103"
FIELD_CHARSET = "9106"
# NOTE: the meaning of 9132 is inferred from the test file only. It contains
# ``1`` in a file with one ADT package, which fits both the number of
# packages and a code for the ADT package type. kvdt_records writes the
# number of packages (always 1) and kvdt_check checks that reading.
CONTAINED_PACKAGES_FIELD = "9132"
FIELD_BSNR = "0201"
FIELD_PRACTICE_NAME = "0203"
FIELD_LANR = "0212"
FIELD_PHYSICIAN_NAME = "0211"
FIELD_STREET = "0205"
FIELD_POSTAL_CODE = "0215"
FIELD_CITY = "0216"
FIELD_PHONE = "0208"
FIELD_TEST_NUMBER = "0105"
# NOTE: the meanings of 9102 in adt0 and of 0300 and 0301 in rvsa are
# inferred from the test file only. It has 9102 = ``39``, where the adapter
# writes the configured KV district (kv_bezirk), and 0300 = 0301 = ``0``,
# which REGION_FIELDS copies.
FIELD_RECIPIENT = "9102"
FIELD_VERSION = "9212"
FIELD_VENDOR = "0102"
FIELD_SOFTWARE = "0103"
FIELD_RELEASE = "0132"
FIELD_PACKAGE_CREATED = "9115"
FIELD_PACKAGE_QUARTER = "9204"
FIELD_PATIENT_NUMBER = "3000"
FIELD_FAMILY_NAME = "3101"
FIELD_GIVEN_NAME = "3102"
FIELD_BIRTH_DATE = "3103"
FIELD_INSURANCE_NUMBER = "3119"
FIELD_QUARTER = "4101"
FIELD_SERVICE_DATE = "5000"
FIELD_EBM_CODE = "5001"
FIELD_SERVICE_BSNR = "5098"
FIELD_SERVICE_LANR = "5099"
FIELD_ICD_CODE = "6001"
FIELD_DIAGNOSIS_CERTAINTY = "6003"

REGION_FIELDS = (("0300", "0"), ("0301", "0"))

RECORD_DESCRIPTION_VERSION = "ADT0126.01"
"""Field 9212 of the test file, for quarter 1/2026.

KBV publishes the record description per quarter, so a file for another
quarter may need another version. This is the only version seen here.
"""

# KBV diagnosis certainty (Zusatzkennzeichen für die Diagnosensicherheit):
# A excluded, G confirmed, V suspected, Z status after. The test file shows
# A, G and V, and Z does not occur in it.
DIAGNOSIS_CERTAINTY_CODES = frozenset({"A", "G", "V", "Z"})

_QUARTER = re.compile(r"([1-4])/([0-9]{4})")
_XDT_QUARTER = re.compile(r"([1-4])([0-9]{4})")
_EBM = re.compile(r"[0-9]{5}[A-Z]?")
# ICD-10-GM terminal codes: letter, two digits, and a dot with one or two
# digits where the code is subdivided (I10, E11.9, E11.90).
_ICD10GM = re.compile(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?")
_NINE_DIGITS = re.compile(r"[0-9]{9}")
_BIRTH_DATE = re.compile(r"[0-9]{4}(0[0-9]|1[0-2])([0-2][0-9]|3[01])")
# LANR check digit (7th digit): weights 4 and 9 alternate over digits 1 to 6.
_LANR_WEIGHTS = (4, 9, 4, 9, 4, 9)


class KvdtDataError(CarecertError, ValueError):
    """Billing data for a KVDT case is missing or has an invalid value."""

    def __init__(self, key: str, value: Any, rule: str) -> None:
        self.key = key
        self.value = value
        self.rule = rule
        super().__init__(f"Invalid kvdt_data[{key!r}] {value!r}: {rule}.")


class KvdtStructureError(XdtError):
    """A KVDT file breaks the record structure: order, counts or lengths."""

    def __init__(self, line_number: int, field_id: str, problem: str, fix: str) -> None:
        self.line_number = line_number
        self.field_id = field_id
        self.problem = problem
        self.fix = fix
        where = f"KVDT line {line_number}" if line_number else "KVDT record"
        super().__init__(f"{where}, field {field_id}: {problem}. {fix}")


@dataclass(frozen=True, slots=True)
class KvdtPhysician:
    """A physician of the practice: LANR (field 0212) and name (field 0211)."""

    lanr: str
    name: str


@dataclass(frozen=True, slots=True)
class KvdtPractice:
    """The practice (Betriebsstätte) of record besa. Empty text is not written."""

    bsnr: str
    name: str = ""
    physicians: tuple[KvdtPhysician, ...] = ()
    street: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class KvdtSoftware:
    """The billing software named in adt0. Empty text is not written."""

    test_number: str = ""
    vendor: str = ""
    name: str = ""
    release: str = ""


@dataclass(frozen=True, slots=True)
class KvdtService:
    """One billed EBM code and the LANR of the physician who provided it."""

    code: str
    lanr: str = ""


@dataclass(frozen=True, slots=True)
class KvdtServiceDay:
    """The services of one treatment day (field 5000)."""

    day: date
    services: tuple[KvdtService, ...]


@dataclass(frozen=True, slots=True)
class KvdtDiagnosis:
    """An ICD-10-GM code and its certainty (A, G, V or Z)."""

    code: str
    certainty: str = "G"


@dataclass(frozen=True, slots=True)
class KvdtCase:
    """One treatment case of the quarter. Empty text is not written.

    ``birth_date`` is text, YYYYMMDD, because KVDT writes 00 for an unknown
    day or month (the test file has ``19810900``).
    """

    kvnr: str
    quarter: tuple[int, int]
    service_days: tuple[KvdtServiceDay, ...]
    diagnoses: tuple[KvdtDiagnosis, ...]
    family_name: str = ""
    given_name: str = ""
    birth_date: str = ""
    patient_number: str = ""
    record_type: str = CASE_RECORD_TYPE


@dataclass(frozen=True, slots=True)
class KvdtFile:
    """A KVDT container with one ADT package for one practice and quarter."""

    created: date
    quarter: tuple[int, int]
    practice: KvdtPractice
    cases: tuple[KvdtCase, ...]
    software: KvdtSoftware = KvdtSoftware()
    recipient: str = ""
    version: str = RECORD_DESCRIPTION_VERSION


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


def quarter_of(day: date) -> tuple[int, int]:
    """Return the (quarter, year) that ``day`` falls in."""
    return (day.month - 1) // 3 + 1, day.year


def format_quarter(quarter: tuple[int, int]) -> str:
    """Return the xDT form of a quarter: quarter digit then year, as ``12026``."""
    return f"{quarter[0]}{quarter[1]:04d}"


def read_quarter(text: str) -> tuple[int, int] | None:
    """Return (quarter, year) from the xDT form ``QYYYY``, or None if invalid."""
    match = _XDT_QUARTER.fullmatch(text)
    if match is None:
        return None
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


def lanr_check_digit(six_digits: str) -> int:
    """Return the LANR check digit (7th digit) for the first six digits."""
    total = sum(int(d) * w for d, w in zip(six_digits, _LANR_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def validate_lanr(value: str) -> str:
    """Return a LANR: nine digits whose 7th digit is the check digit of 1 to 6."""
    if not isinstance(value, str) or not _NINE_DIGITS.fullmatch(value):
        raise KvdtDataError(
            "lanr", value, "expected a LANR of nine digits, as in 838382202"
        )
    expected = lanr_check_digit(value[:6])
    if int(value[6]) != expected:
        raise KvdtDataError(
            "lanr",
            value,
            f"the check digit (7th digit) is {value[6]}, but digits 1 to 6 give "
            f"{expected}. Check the number on the physician's registration",
        )
    return value


def build_kvdt_case(
    kvdt_data: Mapping[str, Any],
    *,
    kvnr: str,
    service_date: date,
    lanr: str = "",
    diagnosis_certainty: str = "G",
) -> KvdtCase:
    """Build one case from the patient's KVNR and the guide's ``kvdt_data``.

    ``kvdt_data`` has ``abrechnungsquartal`` (``Q/YYYY``), ``leistungen`` (EBM
    codes) and ``diagnosen`` (ICD-10-GM codes). All services are billed on
    ``service_date``, which must fall in the quarter, by the physician
    ``lanr``, and every diagnosis gets ``diagnosis_certainty``. Raises
    KvdtDataError or InvalidIdentifierError.
    """
    validate_kvnr(kvnr)
    quarter = parse_quarter(_require(kvdt_data, "abrechnungsquartal"))
    if quarter_of(service_date) != quarter:
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
    if lanr:
        validate_lanr(lanr)
    day = KvdtServiceDay(
        service_date,
        tuple(KvdtService(validate_ebm_code(code), lanr) for code in services),
    )
    return KvdtCase(
        kvnr=kvnr,
        quarter=quarter,
        service_days=(day,),
        diagnoses=tuple(
            KvdtDiagnosis(validate_icd10gm_code(code), diagnosis_certainty)
            for code in diagnoses
        ),
    )


def _require(data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise KvdtDataError(key, None, "missing")
    return data[key]


def _require_list(data: Mapping[str, Any], key: str) -> Sequence[str]:
    value = _require(data, key)
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise KvdtDataError(key, value, "expected a non-empty list of codes")
    return value


def xdt_record(record_type: str, fields: Sequence[tuple[str, str]]) -> XdtRecord:
    """Build a record from (field id, content) pairs, leaving out empty content."""
    return XdtRecord.of(record_type, *[(fid, text) for fid, text in fields if text])


# Writing records


def kvdt_records(kvdt: KvdtFile, *, record_lengths: bool = False) -> list[XdtRecord]:
    """Build the records of ``kvdt``, from con0 to con9, validating every code.

    With ``record_lengths``, every record gets field 8100 after field 8000,
    containing the record's length in bytes (five digits, that line
    included), as older xDT files have it. The KBV test file has no 8100, so
    the default leaves it out. Raises KvdtDataError for an invalid code.
    """
    _validate_file(kvdt)
    package = [_package_header(kvdt)]
    package += [_case_record(case, kvdt.practice.bsnr) for case in kvdt.cases]
    package.append(XdtRecord.of(PACKAGE_TRAILER))
    records = [
        xdt_record(
            CONTAINER_HEADER,
            [
                (FIELD_CREATED, kvdt.created.strftime("%Y%m%d")),
                (FIELD_CHARSET, ISO_8859_15_CODE),
                (CONTAINED_PACKAGES_FIELD, "1"),
            ],
        ),
        _practice_record(kvdt.practice),
        xdt_record(REGION_RECORD, [(FIELD_BSNR, kvdt.practice.bsnr), *REGION_FIELDS]),
        *package,
        XdtRecord.of(CONTAINER_TRAILER),
    ]
    if record_lengths:
        records = [with_record_length(record) for record in records]
    return records


ISO_8859_15_CODE = "4"
"""Field 9106 code of ISO 8859-15, the one the test file declares."""

_RECORD_LENGTH_LINE = 3 + 4 + 5 + 2


def with_record_length(record: XdtRecord) -> XdtRecord:
    """Return ``record`` with field 8100 (its length in bytes) after field 8000.

    The 8100 line itself is 14 bytes (length, id, five digits, CR LF), so the
    record length is the other lines' bytes plus 14.
    """
    rest = tuple(f for f in record.fields[1:] if f.field_id != FIELD_RECORD_LENGTH)
    bare = XdtRecord(record.fields[:1] + rest)
    length = encoded_length(bare, DEFAULT_ENCODING) + _RECORD_LENGTH_LINE
    if length > 99999:
        raise KvdtDataError(
            "record_lengths",
            length,
            f"record {record.record_type} is longer than field 8100 (five "
            "digits) can state. Split the case or write the file without 8100",
        )
    return XdtRecord(
        record.fields[:1] + (XdtField(FIELD_RECORD_LENGTH, f"{length:05d}"),) + rest
    )


def _practice_record(practice: KvdtPractice) -> XdtRecord:
    fields = [(FIELD_BSNR, practice.bsnr), (FIELD_PRACTICE_NAME, practice.name)]
    for physician in practice.physicians:
        fields += [(FIELD_LANR, physician.lanr), (FIELD_PHYSICIAN_NAME, physician.name)]
    fields += [
        (FIELD_STREET, practice.street),
        (FIELD_POSTAL_CODE, practice.postal_code),
        (FIELD_CITY, practice.city),
        (FIELD_PHONE, practice.phone),
    ]
    return xdt_record(PRACTICE_RECORD, fields)


def _package_header(kvdt: KvdtFile) -> XdtRecord:
    software = kvdt.software
    return xdt_record(
        PACKAGE_HEADER,
        [
            (FIELD_TEST_NUMBER, software.test_number),
            (FIELD_RECIPIENT, kvdt.recipient),
            (FIELD_VERSION, kvdt.version),
            (FIELD_VENDOR, software.vendor),
            (FIELD_SOFTWARE, software.name),
            (FIELD_RELEASE, software.release),
            (FIELD_PACKAGE_CREATED, kvdt.created.strftime("%Y%m%d")),
            (FIELD_PACKAGE_QUARTER, format_quarter(kvdt.quarter)),
        ],
    )


def _case_record(case: KvdtCase, bsnr: str) -> XdtRecord:
    fields = [
        (FIELD_PATIENT_NUMBER, case.patient_number),
        (FIELD_FAMILY_NAME, case.family_name),
        (FIELD_GIVEN_NAME, case.given_name),
        (FIELD_BIRTH_DATE, case.birth_date),
        (FIELD_INSURANCE_NUMBER, case.kvnr),
        (FIELD_QUARTER, format_quarter(case.quarter)),
    ]
    for day in case.service_days:
        fields.append((FIELD_SERVICE_DATE, day.day.strftime("%Y%m%d")))
        for service in day.services:
            fields += [
                (FIELD_EBM_CODE, service.code),
                (FIELD_SERVICE_BSNR, bsnr),
                (FIELD_SERVICE_LANR, service.lanr),
            ]
    for diagnosis in case.diagnoses:
        fields += [
            (FIELD_ICD_CODE, diagnosis.code),
            (FIELD_DIAGNOSIS_CERTAINTY, diagnosis.certainty),
        ]
    return xdt_record(case.record_type, fields)


def _validate_file(kvdt: KvdtFile) -> None:
    if not _NINE_DIGITS.fullmatch(kvdt.practice.bsnr):
        raise KvdtDataError(
            "betriebsnummer", kvdt.practice.bsnr, "expected a BSNR of nine digits"
        )
    lanrs = {validate_lanr(physician.lanr) for physician in kvdt.practice.physicians}
    if not kvdt.cases:
        raise KvdtDataError("cases", (), "a billing file needs at least one case")
    for case in kvdt.cases:
        validate_kvnr(case.kvnr)
        if case.birth_date and not _BIRTH_DATE.fullmatch(case.birth_date):
            raise KvdtDataError(
                "birth_date",
                case.birth_date,
                "expected YYYYMMDD, with 00 for an unknown day or month",
            )
        if case.record_type not in CASE_RECORD_TYPES:
            raise KvdtDataError(
                "record_type",
                case.record_type,
                f"expected one of {sorted(CASE_RECORD_TYPES)}",
            )
        if case.quarter != kvdt.quarter:
            raise KvdtDataError(
                "abrechnungsquartal",
                format_quarter(case.quarter),
                f"the case of {case.kvnr} is for another quarter than the file "
                f"({format_quarter(kvdt.quarter)})",
            )
        for day in case.service_days:
            if quarter_of(day.day) != case.quarter:
                raise KvdtDataError(
                    "service_date",
                    day.day.isoformat(),
                    "the service date is not in the billing quarter",
                )
            for service in day.services:
                validate_ebm_code(service.code)
                if service.lanr and service.lanr not in lanrs:
                    raise KvdtDataError(
                        "lanr",
                        service.lanr,
                        "the physician is not listed in the practice record. "
                        "Add the LANR to the practice's physicians",
                    )
        for diagnosis in case.diagnoses:
            validate_icd10gm_code(diagnosis.code)
            if diagnosis.certainty not in DIAGNOSIS_CERTAINTY_CODES:
                raise KvdtDataError(
                    "diagnosis_certainty",
                    diagnosis.certainty,
                    f"expected one of {sorted(DIAGNOSIS_CERTAINTY_CODES)}",
                )


# Checking the structure of parsed records


def kvdt_check(
    records: Sequence[XdtRecord], *, encoding: str = DEFAULT_ENCODING
) -> None:
    """Check the container structure, counts and lengths of parsed KVDT records.

    The order: con0 first and con9 last, each once, besa before the packages,
    and every package from adt0 to adt9 around its case records. The counts
    and lengths: field 9132 gives the number of packages, and every field 8100
    gives its record's length in bytes (in ``encoding``). The content: every
    case's quarter (4101) is its package's (9204), services name a BSNR and
    LANR of the practice records, and diagnosis certainties are A, G, V or Z.
    Raises KvdtStructureError naming the line,
    the field and the fix.
    """
    if not records:
        raise KvdtStructureError(
            1, "8000", "the file is empty", "Start the file with a con0 record."
        )
    _check_container(records)
    packages = _check_packages(records)
    _check_contained_packages(records[0], len(packages))
    for record in records:
        _check_record_length(record, encoding)
    bsnrs = {
        bsnr
        for r in records
        if r.record_type == PRACTICE_RECORD
        for bsnr in r.values(FIELD_BSNR)
    }
    lanrs = {
        lanr
        for r in records
        if r.record_type == PRACTICE_RECORD
        for lanr in r.values(FIELD_LANR)
    }
    for header, cases in packages:
        quarter = _value_at(header, FIELD_PACKAGE_QUARTER)
        for case in cases:
            _check_case(case, quarter, bsnrs, lanrs)


def _check_container(records: Sequence[XdtRecord]) -> None:
    first, last = records[0], records[-1]
    if first.record_type != CONTAINER_HEADER:
        raise KvdtStructureError(
            first.line_of(0),
            "8000",
            f"the file starts with record type {first.record_type!r}, not con0",
            "Start the file with the container header con0.",
        )
    for record in records[1:]:
        if record.record_type == CONTAINER_HEADER:
            raise KvdtStructureError(
                record.line_of(0),
                "8000",
                "a second con0 record opens another container",
                "Send one container per file.",
            )
    trailers = [r for r in records if r.record_type == CONTAINER_TRAILER]
    if not trailers:
        raise KvdtStructureError(
            last.line_of(len(last.fields) - 1),
            "8000",
            "the file ends without the container trailer con9, so it may be truncated",
            "Append the line 0138000con9 and CR LF after the last record.",
        )
    if trailers[0] is not last or len(trailers) > 1:
        raise KvdtStructureError(
            trailers[0].line_of(0),
            "8000",
            "records follow the container trailer con9",
            "Make con9 the last record and send further records in another file.",
        )


def _check_packages(
    records: Sequence[XdtRecord],
) -> list[tuple[XdtRecord, list[XdtRecord]]]:
    """Check the order of the records between con0 and con9; return the packages."""
    packages: list[tuple[XdtRecord, list[XdtRecord]]] = []
    open_package: tuple[XdtRecord, list[XdtRecord]] | None = None
    practice_seen = False
    for record in records[1:-1]:
        kind = record.record_type
        line = record.line_of(0)
        if kind == PACKAGE_HEADER:
            if open_package is not None:
                raise KvdtStructureError(
                    line,
                    "8000",
                    f"adt0 opens a package before adt9 closes the one opened at "
                    f"line {open_package[0].line_of(0)}",
                    "Close each package with an adt9 record.",
                )
            if not practice_seen:
                raise KvdtStructureError(
                    line,
                    "8000",
                    "the package comes before any practice record besa",
                    "Write the besa record after con0 and before adt0.",
                )
            open_package = (record, [])
        elif kind == PACKAGE_TRAILER:
            if open_package is None:
                raise KvdtStructureError(
                    line,
                    "8000",
                    "adt9 closes a package that no adt0 opened",
                    "Write an adt0 record before the package's case records.",
                )
            packages.append(open_package)
            open_package = None
        elif open_package is not None:
            open_package[1].append(record)
        elif kind in (PRACTICE_RECORD, REGION_RECORD):
            practice_seen = practice_seen or kind == PRACTICE_RECORD
        else:
            raise KvdtStructureError(
                line,
                "8000",
                f"record type {kind!r} is outside a package",
                "Put case records between adt0 and adt9.",
            )
    if open_package is not None:
        raise KvdtStructureError(
            records[-1].line_of(0),
            "8000",
            f"the package opened at line {open_package[0].line_of(0)} has no "
            "adt9 before con9",
            "Write the line 0138000adt9 and CR LF after the package's last case.",
        )
    if not packages:
        raise KvdtStructureError(
            records[-1].line_of(0),
            "8000",
            "the container contains no package (adt0 to adt9)",
            "Write the cases in a package between adt0 and adt9.",
        )
    return packages


def _check_contained_packages(header: XdtRecord, count: int) -> None:
    found = _find(header, CONTAINED_PACKAGES_FIELD)
    if found is None:
        raise KvdtStructureError(
            header.line_of(0),
            CONTAINED_PACKAGES_FIELD,
            "con0 has no field 9132",
            f"Add field 9132 with the number of packages, {count}.",
        )
    index, content = found
    if content != str(count):
        raise KvdtStructureError(
            header.line_of(index),
            CONTAINED_PACKAGES_FIELD,
            f"field 9132 states {content!r} packages but the file has {count}",
            f"Set field 9132 to {count}.",
        )


def _check_record_length(record: XdtRecord, encoding: str) -> None:
    for index, field in enumerate(record.fields):
        if field.field_id != FIELD_RECORD_LENGTH:
            continue
        actual = encoded_length(record, encoding)
        if index != 1:
            raise KvdtStructureError(
                record.line_of(index),
                FIELD_RECORD_LENGTH,
                "the record length is not the record's second field",
                "Write field 8100 directly after field 8000.",
            )
        if field.content != f"{actual:05d}":
            raise KvdtStructureError(
                record.line_of(index),
                FIELD_RECORD_LENGTH,
                f"the record length is {field.content!r} but the record "
                f"({record.record_type}) takes {actual} bytes",
                f"Set field 8100 to {actual:05d}.",
            )


def _check_case(
    case: XdtRecord, quarter: str | None, bsnrs: set[str], lanrs: set[str]
) -> None:
    day_seen = False
    last_field = ""
    for index, field in enumerate(case.fields):
        line = case.line_of(index)
        fid, text = field.field_id, field.content
        if fid == FIELD_QUARTER and quarter is not None and text != quarter:
            raise KvdtStructureError(
                line,
                fid,
                f"the case's quarter {text!r} differs from the package's "
                f"quarter {quarter!r} (field 9204 of adt0)",
                "Bill each quarter in its own package.",
            )
        elif fid == FIELD_SERVICE_DATE:
            day_seen = True
        elif fid == FIELD_EBM_CODE and not day_seen:
            raise KvdtStructureError(
                line,
                fid,
                f"the service {text!r} has no service date before it",
                "Write field 5000 with the treatment day before its services.",
            )
        elif fid == FIELD_SERVICE_BSNR and text not in bsnrs:
            raise KvdtStructureError(
                line,
                fid,
                f"the BSNR {text!r} is not in any practice record (besa)",
                "Add the practice to a besa record or correct the BSNR.",
            )
        elif fid == FIELD_SERVICE_LANR and text not in lanrs:
            raise KvdtStructureError(
                line,
                fid,
                f"the LANR {text!r} is not in any practice record (besa)",
                "List the physician (fields 0212 and 0211) in the besa record.",
            )
        elif fid == FIELD_DIAGNOSIS_CERTAINTY:
            if text not in DIAGNOSIS_CERTAINTY_CODES:
                raise KvdtStructureError(
                    line,
                    fid,
                    f"the diagnosis certainty {text!r} is not a KBV code",
                    "Use A (excluded), G (confirmed), V (suspected) or Z "
                    "(status after).",
                )
            if last_field != FIELD_ICD_CODE:
                raise KvdtStructureError(
                    line,
                    fid,
                    "the diagnosis certainty does not follow an ICD-10-GM code",
                    "Write field 6003 directly after its field 6001.",
                )
        last_field = fid


def _find(record: XdtRecord, field_id: str) -> tuple[int, str] | None:
    for index, field in enumerate(record.fields):
        if field.field_id == field_id:
            return index, field.content
    return None


def _value_at(record: XdtRecord, field_id: str) -> str | None:
    found = _find(record, field_id)
    return None if found is None else found[1]


# Encoding and parsing whole files


def encode_kvdt(kvdt: KvdtFile, *, record_lengths: bool = False) -> bytes:
    """Encode ``kvdt`` as an ISO 8859-15 KVDT file, checking its structure."""
    records = kvdt_records(kvdt, record_lengths=record_lengths)
    data = encode_xdt(records, encoding=DEFAULT_ENCODING)
    # Checked on the parsed bytes, so that a writing mistake cannot send a
    # file that the KV would reject.
    kvdt_check(parse_xdt(data, encoding=DEFAULT_ENCODING))
    return data


def parse_kvdt(data: bytes) -> KvdtFile:
    """Parse a KVDT file with one practice and one package into a KvdtFile.

    Raises XdtParseError for a broken line, KvdtStructureError for a broken
    structure, and KvdtStructureError naming the field where a value does not
    fit the model. Fields outside the model (see the module docstring) are
    skipped.
    """
    records = parse_xdt(data)
    kvdt_check(records, encoding=_encoding_of(records))
    practices = [r for r in records if r.record_type == PRACTICE_RECORD]
    packages = _check_packages(records)
    if len(practices) > 1 or len(packages) > 1:
        line = (practices[1] if len(practices) > 1 else packages[1][0]).line_of(0)
        raise KvdtStructureError(
            line,
            "8000",
            "the file has more than one practice record or package, and "
            "KvdtFile models one of each",
            "Read such files with parse_xdt and kvdt_check.",
        )
    header, cases = packages[0]
    quarter = _quarter_field(header, FIELD_PACKAGE_QUARTER)
    return KvdtFile(
        created=_date_field(records[0], FIELD_CREATED),
        quarter=quarter,
        practice=_practice_from(practices[0]),
        cases=tuple(_case_from(case) for case in cases),
        software=KvdtSoftware(
            test_number=_value_at(header, FIELD_TEST_NUMBER) or "",
            vendor=_value_at(header, FIELD_VENDOR) or "",
            name=_value_at(header, FIELD_SOFTWARE) or "",
            release=_value_at(header, FIELD_RELEASE) or "",
        ),
        recipient=_value_at(header, FIELD_RECIPIENT) or "",
        version=_value_at(header, FIELD_VERSION) or "",
    )


def _encoding_of(records: Sequence[XdtRecord]) -> str:
    codes = records[0].values(FIELD_CHARSET) if records else []
    return CHARSET_CODES.get(codes[0], DEFAULT_ENCODING) if codes else DEFAULT_ENCODING


def _practice_from(record: XdtRecord) -> KvdtPractice:
    physicians: list[KvdtPhysician] = []
    for field in record.fields:
        if field.field_id == FIELD_LANR:
            physicians.append(KvdtPhysician(field.content, ""))
        elif field.field_id == FIELD_PHYSICIAN_NAME and physicians:
            physicians[-1] = KvdtPhysician(physicians[-1].lanr, field.content)
    return KvdtPractice(
        bsnr=_value_at(record, FIELD_BSNR) or "",
        name=_value_at(record, FIELD_PRACTICE_NAME) or "",
        physicians=tuple(physicians),
        street=_value_at(record, FIELD_STREET) or "",
        postal_code=_value_at(record, FIELD_POSTAL_CODE) or "",
        city=_value_at(record, FIELD_CITY) or "",
        phone=_value_at(record, FIELD_PHONE) or "",
    )


def _case_from(record: XdtRecord) -> KvdtCase:
    days: list[KvdtServiceDay] = []
    diagnoses: list[KvdtDiagnosis] = []
    for index, field in enumerate(record.fields):
        fid, text = field.field_id, field.content
        if fid == FIELD_SERVICE_DATE:
            day = _parse_date(text, record.line_of(index), fid)
            days.append(KvdtServiceDay(day, ()))
        elif fid == FIELD_EBM_CODE:
            # kvdt_check has made sure that a 5000 comes first.
            last = days[-1]
            days[-1] = KvdtServiceDay(last.day, (*last.services, KvdtService(text)))
        elif fid == FIELD_SERVICE_LANR and days and days[-1].services:
            last = days[-1]
            service = KvdtService(last.services[-1].code, text)
            days[-1] = KvdtServiceDay(last.day, (*last.services[:-1], service))
        elif fid == FIELD_ICD_CODE:
            diagnoses.append(KvdtDiagnosis(text, ""))
        elif fid == FIELD_DIAGNOSIS_CERTAINTY:
            diagnoses[-1] = KvdtDiagnosis(diagnoses[-1].code, text)
    return KvdtCase(
        kvnr=_value_at(record, FIELD_INSURANCE_NUMBER) or "",
        quarter=_quarter_field(record, FIELD_QUARTER),
        service_days=tuple(days),
        diagnoses=tuple(diagnoses),
        family_name=_value_at(record, FIELD_FAMILY_NAME) or "",
        given_name=_value_at(record, FIELD_GIVEN_NAME) or "",
        birth_date=_value_at(record, FIELD_BIRTH_DATE) or "",
        patient_number=_value_at(record, FIELD_PATIENT_NUMBER) or "",
        record_type=record.record_type,
    )


def _quarter_field(record: XdtRecord, field_id: str) -> tuple[int, int]:
    found = _find(record, field_id)
    quarter = None if found is None else read_quarter(found[1])
    if found is None or quarter is None:
        raise KvdtStructureError(
            record.line_of(found[0] if found else 0),
            field_id,
            f"record {record.record_type} has "
            + ("no billing quarter" if found is None else f"quarter {found[1]!r}"),
            "Write the quarter as its digit and the year, as 12026.",
        )
    return quarter


def _date_field(record: XdtRecord, field_id: str) -> date:
    found = _find(record, field_id)
    if found is None:
        raise KvdtStructureError(
            record.line_of(0),
            field_id,
            f"record {record.record_type} has no date field {field_id}",
            "Add the date as YYYYMMDD.",
        )
    return _parse_date(found[1], record.line_of(found[0]), field_id)


def _parse_date(text: str, line: int, field_id: str) -> date:
    if re.fullmatch(r"[0-9]{8}", text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise KvdtStructureError(
        line, field_id, f"{text!r} is not a date", "Write the date as YYYYMMDD."
    )
