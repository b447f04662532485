"""The KBV KVDT test billing file: parse, check and write it back unchanged."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from carecert.adapters.gkv.kvdt import (
    CASE_RECORD_TYPE,
    KvdtStructureError,
    kvdt_check,
    parse_kvdt,
    validate_lanr,
    with_record_length,
)
from carecert.adapters.gkv.xdt import XdtParseError, encode_xdt, parse_xdt
from carecert.adapters.identifiers import is_valid_kvnr

from ..realdata import require_real

KVDT_TEST_FILE = (
    "kbv-kvdt/Abrechnung/xpm-kvdt-praxis-2026.1.1/XPM_KVDT.Praxis/Daten/"
    "Z01123456699_27.01.2026_12.00.con"
)


@pytest.fixture(scope="module")
def kvdt_bytes() -> bytes:
    path: Path = require_real(KVDT_TEST_FILE)
    return path.read_bytes()


def test_real_file_round_trip(kvdt_bytes: bytes) -> None:
    records = parse_xdt(kvdt_bytes)
    assert encode_xdt(records) == kvdt_bytes


def test_real_file_structure(kvdt_bytes: bytes) -> None:
    records = parse_xdt(kvdt_bytes)
    types = Counter(record.record_type for record in records)
    assert records[0].record_type == "con0"
    assert records[-1].record_type == "con9"
    assert types[CASE_RECORD_TYPE] == 16
    assert sum(len(record.fields) for record in records) == 1303


def test_real_file_declares_latin9(kvdt_bytes: bytes) -> None:
    records = parse_xdt(kvdt_bytes)
    assert records[0].values("9106") == ["4"]
    cities = [city for record in records for city in record.values("3113")]
    assert "Köln" in cities


def test_real_case_fields_match_builder(kvdt_bytes: bytes) -> None:
    cases = [
        record
        for record in parse_xdt(kvdt_bytes)
        if record.record_type == CASE_RECORD_TYPE
    ]
    quarters = {value for case in cases for value in case.values("4101")}
    assert quarters == {"12026"}
    assert all(case.values("5001") for case in cases)
    assert all(case.values("6001") for case in cases)


def test_real_insurance_numbers_are_placeholders(kvdt_bytes: bytes) -> None:
    numbers = [
        number for record in parse_xdt(kvdt_bytes) for number in record.values("3119")
    ]
    assert len(numbers) > 0
    assert not any(is_valid_kvnr(number) for number in numbers)


def test_real_file_passes_structure_check(kvdt_bytes: bytes) -> None:
    records = parse_xdt(kvdt_bytes)
    kvdt_check(records)
    assert records[-2].record_type == "adt9"
    assert records[0].values("9132") == ["1"]


def test_real_file_parsed_to_model(kvdt_bytes: bytes) -> None:
    kvdt = parse_kvdt(kvdt_bytes)
    assert kvdt.created == date(2026, 1, 30)
    assert kvdt.quarter == (1, 2026)
    assert kvdt.practice.bsnr == "136926300"
    assert [p.lanr for p in kvdt.practice.physicians] == ["123456640", "123456641"]
    assert kvdt.practice.city == "Darmstadt"
    assert kvdt.recipient == "39"
    assert kvdt.version == "ADT0126.01"
    assert len(kvdt.cases) == 26
    assert sum(case.record_type == CASE_RECORD_TYPE for case in kvdt.cases) == 16
    codes = [
        service.code
        for case in kvdt.cases
        for day in case.service_days
        for service in day.services
    ]
    assert len(codes) == 112
    assert codes[:2] == ["01100", "88999"]
    certainties = {d.certainty for case in kvdt.cases for d in case.diagnoses}
    assert certainties == {"A", "G", "V"}
    assert "19810900" in {case.birth_date for case in kvdt.cases}


def test_real_lanrs_pass_check_digit(kvdt_bytes: bytes) -> None:
    kvdt = parse_kvdt(kvdt_bytes)
    for physician in kvdt.practice.physicians:
        assert validate_lanr(physician.lanr) == physician.lanr


def test_real_file_with_record_lengths(kvdt_bytes: bytes) -> None:
    records = [with_record_length(record) for record in parse_xdt(kvdt_bytes)]
    data = encode_xdt(records)
    kvdt_check(parse_xdt(data))
    assert len(data) == len(kvdt_bytes) + 14 * len(records)


def test_real_file_without_con9_named(kvdt_bytes: bytes) -> None:
    truncated = kvdt_bytes[: -len(b"0138000con9\r\n")]
    with pytest.raises(KvdtStructureError) as caught:
        kvdt_check(parse_xdt(truncated))
    assert caught.value.line_number == 1302
    assert "con9" in str(caught.value)


def test_real_file_bad_line_length_named(kvdt_bytes: bytes) -> None:
    broken = kvdt_bytes.replace(b"0146001G30.1\r\n", b"0156001G30.1\r\n", 1)
    with pytest.raises(XdtParseError) as caught:
        parse_xdt(broken)
    assert caught.value.field_id == "6001"
    assert "set its length to 014" in str(caught.value)
