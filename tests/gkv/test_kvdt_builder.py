"""KVDT case builder: quarter, EBM, ICD-10-GM and LANR checks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.gkv.kvdt import (
    KvdtDataError,
    KvdtDiagnosis,
    KvdtService,
    KvdtServiceDay,
    build_kvdt_case,
    parse_quarter,
    validate_ebm_code,
    validate_icd10gm_code,
    validate_lanr,
)

GUIDE_DATA: dict[str, Any] = {
    "abrechnungsquartal": "1/2025",
    "leistungen": ["03000", "03001"],
    "diagnosen": ["I10", "E11.9"],
}


def build(data: dict[str, Any] | None = None, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {"kvnr": "K220635158", "service_date": date(2025, 2, 3)}
    arguments.update(overrides)
    return build_kvdt_case(GUIDE_DATA if data is None else data, **arguments)


def test_guide_example_case() -> None:
    case = build(lanr="838382202")
    assert case.kvnr == "K220635158"
    assert case.quarter == (1, 2025)
    assert case.service_days == (
        KvdtServiceDay(
            date(2025, 2, 3),
            (KvdtService("03000", "838382202"), KvdtService("03001", "838382202")),
        ),
    )
    assert case.diagnoses == (KvdtDiagnosis("I10", "G"), KvdtDiagnosis("E11.9", "G"))


def test_diagnosis_certainty_written() -> None:
    case = build(diagnosis_certainty="V")
    assert [diagnosis.certainty for diagnosis in case.diagnoses] == ["V", "V"]


def test_bad_lanr_check_digit_rejected() -> None:
    with pytest.raises(KvdtDataError, match="check digit"):
        build(lanr="838382302")


@pytest.mark.parametrize("lanr", ["838382202", "123456640", "123456641"])
def test_lanr_accepted(lanr: str) -> None:
    assert validate_lanr(lanr) == lanr


@pytest.mark.parametrize("lanr", ["83838220", "8383822020", "83838220x"])
def test_lanr_format_rejected(lanr: str) -> None:
    with pytest.raises(KvdtDataError, match="nine digits"):
        validate_lanr(lanr)


def test_unknown_certainty_rejected() -> None:
    with pytest.raises(KvdtDataError, match="diagnosis_certainty"):
        build(diagnosis_certainty="X")


def test_invalid_kvnr_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="X123456789"):
        build(kvnr="X123456789")


@pytest.mark.parametrize(
    ("text", "expected"), [("1/2025", (1, 2025)), ("4/1999", (4, 1999))]
)
def test_quarter_parsed(text: str, expected: tuple[int, int]) -> None:
    assert parse_quarter(text) == expected


@pytest.mark.parametrize("text", ["0/2025", "5/2025", "1/25", "Q1/2025", "1-2025", ""])
def test_bad_quarter_rejected(text: str) -> None:
    with pytest.raises(KvdtDataError, match="Q/YYYY") as caught:
        parse_quarter(text)
    assert repr(text) in str(caught.value)


def test_service_date_outside_quarter() -> None:
    with pytest.raises(KvdtDataError, match="not in that quarter"):
        build(service_date=date(2025, 4, 1))


@pytest.mark.parametrize("code", ["03000", "01741M", "99999"])
def test_ebm_code_accepted(code: str) -> None:
    assert validate_ebm_code(code) == code


@pytest.mark.parametrize("code", ["0300", "030000", "03000m", "03000MM", "O3000"])
def test_ebm_code_rejected(code: str) -> None:
    with pytest.raises(KvdtDataError, match="EBM code"):
        validate_ebm_code(code)


@pytest.mark.parametrize("code", ["I10", "E11.9", "E11.90", "U07.1", "G30.1"])
def test_icd_code_accepted(code: str) -> None:
    assert validate_icd10gm_code(code) == code


@pytest.mark.parametrize(
    "code", ["i10", "I1", "I10.", "E11.900", "E11-9", "E11.-", "110"]
)
def test_icd_code_rejected(code: str) -> None:
    with pytest.raises(KvdtDataError, match="ICD-10-GM"):
        validate_icd10gm_code(code)


@pytest.mark.parametrize("key", ["abrechnungsquartal", "leistungen", "diagnosen"])
def test_missing_key_rejected(key: str) -> None:
    data = {name: value for name, value in GUIDE_DATA.items() if name != key}
    with pytest.raises(KvdtDataError, match="missing"):
        build(data)


@pytest.mark.parametrize("value", ["03000", [], None])
def test_codes_must_be_list(value: Any) -> None:
    with pytest.raises(KvdtDataError, match="non-empty list"):
        build({**GUIDE_DATA, "leistungen": value})


def test_bad_code_in_list_named() -> None:
    with pytest.raises(KvdtDataError) as caught:
        build({**GUIDE_DATA, "diagnosen": ["I10", "E11,9"]})
    assert "'E11,9'" in str(caught.value)
