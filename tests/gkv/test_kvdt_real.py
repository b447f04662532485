"""The KBV KVDT test billing file: parse every line and write it back unchanged."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from carecert.adapters.gkv.kvdt import CASE_RECORD_TYPE
from carecert.adapters.gkv.xdt import encode_xdt, parse_xdt
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
