"""KVDT billing files: container records, computed counts and lengths, faults."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.gkv.billing import KVDT_CONTENT_TYPE
from carecert.adapters.gkv.endpoints import KVDT_PATH
from carecert.adapters.gkv.kvdt import (
    KvdtCase,
    KvdtDataError,
    KvdtDiagnosis,
    KvdtFile,
    KvdtPhysician,
    KvdtPractice,
    KvdtService,
    KvdtServiceDay,
    KvdtSoftware,
    KvdtStructureError,
    encode_kvdt,
    kvdt_check,
    kvdt_records,
    lanr_check_digit,
    parse_kvdt,
)
from carecert.adapters.gkv.simulator import create_app
from carecert.adapters.gkv.synthetic import SAMPLE_KVNR, synthetic_kvnr
from carecert.adapters.gkv.xdt import XdtParseError, parse_xdt

LATIN9_TEXT = st.text(
    alphabet=st.characters(codec="iso8859_15", exclude_characters="\r\n"),
    max_size=30,
)
DIGITS = "0123456789"
EBM_CODES = st.from_regex(r"[0-9]{5}[A-Z]?", fullmatch=True)
ICD_CODES = st.from_regex(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?", fullmatch=True)
CERTAINTIES = st.sampled_from(["A", "G", "V", "Z"])


@st.composite
def kvnrs(draw: st.DrawFn) -> str:
    letter = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return synthetic_kvnr(letter, draw(st.text(DIGITS, min_size=8, max_size=8)))


@st.composite
def lanrs(draw: st.DrawFn) -> str:
    six = draw(st.text(DIGITS, min_size=6, max_size=6))
    group = draw(st.text(DIGITS, min_size=2, max_size=2))
    return f"{six}{lanr_check_digit(six)}{group}"


@st.composite
def birth_dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(date(1900, 1, 1), date(2024, 12, 31)))
    text = day.strftime("%Y%m%d")
    # KVDT writes 00 for an unknown day, or unknown day and month.
    return draw(st.sampled_from(["", text, text[:6] + "00", text[:4] + "0000"]))


@st.composite
def kvdt_files(draw: st.DrawFn) -> KvdtFile:
    quarter = (draw(st.integers(1, 4)), draw(st.integers(2000, 2099)))
    first_day = date(quarter[1], 3 * quarter[0] - 2, 1)
    days_in_quarter = st.integers(0, 89).map(lambda n: first_day + timedelta(n))
    physicians = tuple(
        KvdtPhysician(lanr, draw(LATIN9_TEXT))
        for lanr in draw(st.lists(lanrs(), min_size=1, max_size=3, unique=True))
    )
    service_lanrs = st.sampled_from(["", *(p.lanr for p in physicians)])
    services = st.builds(KvdtService, EBM_CODES, service_lanrs)
    service_days = st.builds(
        KvdtServiceDay,
        days_in_quarter,
        st.lists(services, min_size=1, max_size=4).map(tuple),
    )
    cases = st.builds(
        KvdtCase,
        kvnr=kvnrs(),
        quarter=st.just(quarter),
        service_days=st.lists(service_days, min_size=1, max_size=3).map(tuple),
        diagnoses=st.lists(
            st.builds(KvdtDiagnosis, ICD_CODES, CERTAINTIES), max_size=4
        ).map(tuple),
        family_name=LATIN9_TEXT,
        given_name=LATIN9_TEXT,
        birth_date=birth_dates(),
        patient_number=st.text(DIGITS + "/", max_size=9),
        record_type=st.sampled_from(["0101", "0102", "0103", "0104"]),
    )
    return KvdtFile(
        created=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        quarter=quarter,
        practice=KvdtPractice(
            bsnr=draw(st.text(DIGITS, min_size=9, max_size=9)),
            name=draw(LATIN9_TEXT),
            physicians=physicians,
            street=draw(LATIN9_TEXT),
            postal_code=draw(st.text(DIGITS, max_size=5)),
            city=draw(LATIN9_TEXT),
            phone=draw(LATIN9_TEXT),
        ),
        cases=tuple(draw(st.lists(cases, min_size=1, max_size=4))),
        software=KvdtSoftware(
            vendor=draw(LATIN9_TEXT), name=draw(LATIN9_TEXT), release="1.0"
        ),
        recipient=draw(st.text(DIGITS, min_size=2, max_size=2)),
    )


def split_lines(data: bytes) -> list[bytes]:
    """Split on CR LF, which xDT content cannot contain, keeping each ending."""
    assert data.endswith(b"\r\n")
    return [line + b"\r\n" for line in data[:-2].split(b"\r\n")]


def records_as_bytes(data: bytes) -> list[list[bytes]]:
    """Group the lines of ``data`` into records, each opened by field 8000."""
    records: list[list[bytes]] = []
    for line in split_lines(data):
        if line[3:7] == b"8000":
            records.append([])
        records[-1].append(line)
    return records


SAMPLE = KvdtFile(
    created=date(2025, 4, 2),
    quarter=(1, 2025),
    practice=KvdtPractice(
        bsnr="123456789",
        name="Synthetische Hausarztpraxis Grüner Weg",
        physicians=(KvdtPhysician("838382202", "Hans Topp-Glücklich"),),
        city="Köln",
    ),
    cases=(
        KvdtCase(
            kvnr=SAMPLE_KVNR,
            quarter=(1, 2025),
            service_days=(
                KvdtServiceDay(date(2025, 2, 3), (KvdtService("03000", "838382202"),)),
            ),
            diagnoses=(KvdtDiagnosis("I10", "G"), KvdtDiagnosis("E11.9", "V")),
            family_name="Musterfrau-Šimek",
            given_name="Erika",
            birth_date="19640812",
        ),
    ),
    recipient="17",
)


@settings(max_examples=60)
@given(kvdt_files())
def test_generated_file_round_trip(kvdt: KvdtFile) -> None:
    data = encode_kvdt(kvdt)
    assert parse_kvdt(data) == kvdt


@settings(max_examples=60)
@given(kvdt_files())
def test_generated_file_computed_fields(kvdt: KvdtFile) -> None:
    data = encode_kvdt(kvdt, record_lengths=True)
    assert parse_kvdt(data) == kvdt
    for line in split_lines(data):
        assert int(line[:3]) == len(line)
    records = records_as_bytes(data)
    types = [record[0][7:-2] for record in records]
    case_types = [case.record_type.encode() for case in kvdt.cases]
    assert types == [b"con0", b"besa", b"rvsa", b"adt0", *case_types, b"adt9", b"con9"]
    for record in records:
        assert record[1][3:7] == b"8100"
        assert int(record[1][7:-2]) == sum(len(line) for line in record)
    assert b"01091321\r\n" in records[0]


def test_sample_file_records() -> None:
    records = kvdt_records(SAMPLE)
    types = [record.record_type for record in records]
    assert types == ["con0", "besa", "rvsa", "adt0", "0101", "adt9", "con9"]
    con0, besa, rvsa, adt0, case = records[:5]
    assert con0.values("9103") == ["20250402"]
    assert con0.values("9106") == ["4"]
    assert con0.values("9132") == ["1"]
    assert besa.values("0201") == ["123456789"]
    assert besa.values("0212") == ["838382202"]
    assert rvsa.values("0201") == ["123456789"]
    assert adt0.values("9204") == ["12025"]
    assert adt0.values("9102") == ["17"]
    assert case.values("3119") == [SAMPLE_KVNR]
    assert case.values("5098") == ["123456789"]
    assert case.values("6003") == ["G", "V"]
    assert records[-1].fields == records[-1].fields[:1]


def test_sample_file_bytes() -> None:
    data = encode_kvdt(SAMPLE)
    assert data.startswith(b"0138000con0\r\n017910320250402\r\n01091064\r\n")
    assert data.endswith(b"0138000adt9\r\n0138000con9\r\n")
    assert "Musterfrau-Šimek".encode("iso8859_15") in data
    assert parse_kvdt(data) == SAMPLE


def test_record_length_of_con9_is_27() -> None:
    data = encode_kvdt(SAMPLE, record_lengths=True)
    # con9 is its 8000 line (13 bytes) and the 8100 line (14 bytes).
    assert data.endswith(b"0138000con9\r\n014810000027\r\n")


def line_index(data: bytes, line: bytes) -> int:
    """Return the line number (from 1) of the first line equal to ``line``."""
    return split_lines(data).index(line) + 1


def replace_line(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1
    return data.replace(old, new, 1)


GOOD = encode_kvdt(SAMPLE)
GOOD_WITH_LENGTHS = encode_kvdt(SAMPLE, record_lengths=True)


@pytest.mark.parametrize(
    ("data", "line", "field_id", "problem", "fix"),
    [
        (
            GOOD[: -len(b"0138000con9\r\n")],
            line_index(GOOD, b"0138000adt9\r\n"),
            "8000",
            "without the container trailer con9",
            "Append the line 0138000con9",
        ),
        (
            replace_line(GOOD, b"01091321\r\n", b"01091322\r\n"),
            line_index(GOOD, b"01091321\r\n"),
            "9132",
            "states '2' packages but the file has 1",
            "Set field 9132 to 1.",
        ),
        (
            GOOD.replace(b"0138000adt9\r\n", b""),
            line_index(GOOD, b"0138000con9\r\n") - 1,
            "8000",
            "has no adt9 before con9",
            "0138000adt9",
        ),
        (
            replace_line(GOOD, b"0138000con0\r\n", b"0138000con1\r\n"),
            1,
            "8000",
            "starts with record type 'con1', not con0",
            "Start the file with the container header con0.",
        ),
        (
            replace_line(GOOD, b"014410112025\r\n", b"014410122025\r\n"),
            line_index(GOOD, b"014410112025\r\n"),
            "4101",
            "differs from the package's quarter '12025'",
            "Bill each quarter in its own package.",
        ),
        (
            replace_line(GOOD, b"0106003V\r\n", b"0106003X\r\n"),
            line_index(GOOD, b"0106003V\r\n"),
            "6003",
            "'X' is not a KBV code",
            "Use A (excluded)",
        ),
        (
            replace_line(GOOD, b"0185099838382202\r\n", b"0185099838382210\r\n"),
            line_index(GOOD, b"0185099838382202\r\n"),
            "5099",
            "LANR '838382210' is not in any practice record",
            "List the physician",
        ),
        (
            GOOD + b"0138000con9\r\n",
            line_index(GOOD, b"0138000con9\r\n"),
            "8000",
            "records follow the container trailer con9",
            "Make con9 the last record",
        ),
        (
            replace_line(GOOD_WITH_LENGTHS, b"014810000027\r\n", b"014810000028\r\n"),
            line_index(GOOD_WITH_LENGTHS, b"014810000027\r\n"),
            "8100",
            "the record length is '00028' but the record (adt9) takes 27 bytes",
            "Set field 8100 to 00027.",
        ),
    ],
    ids=[
        "missing-con9",
        "package-count",
        "missing-adt9",
        "missing-con0",
        "quarter-mismatch",
        "bad-certainty",
        "unknown-lanr",
        "after-con9",
        "record-length",
    ],
)
def test_structure_fault_named(
    data: bytes, line: int, field_id: str, problem: str, fix: str
) -> None:
    with pytest.raises(KvdtStructureError) as caught:
        parse_kvdt(data)
    assert caught.value.line_number == line
    assert caught.value.field_id == field_id
    assert problem in caught.value.problem
    assert fix in caught.value.fix
    assert f"KVDT line {line}, field {field_id}:" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "field_id", "problem"),
    [
        (b"0126001I10\r\n", b"0136001I10\r\n", "6001", "set its length to 012"),
        (b"0126001I10\r\n", b"0126001I10\n", "6001", "ends with LF alone"),
        (b"0138000adt9\r\n", b"0128000adt9\r\n", "8000", "set its length to 013"),
    ],
    ids=["length-too-long", "lf-only", "length-too-short"],
)
def test_line_fault_named(old: bytes, new: bytes, field_id: str, problem: str) -> None:
    data = replace_line(GOOD, old, new)
    with pytest.raises(XdtParseError) as caught:
        parse_kvdt(data)
    assert caught.value.line_number == line_index(GOOD, old)
    assert caught.value.field_id == field_id
    assert problem in str(caught.value)


def test_empty_file_rejected() -> None:
    with pytest.raises(KvdtStructureError, match="the file is empty"):
        kvdt_check([])


def test_service_without_date_rejected() -> None:
    records = parse_xdt(GOOD.replace(b"017500020250203\r\n", b""))
    with pytest.raises(KvdtStructureError, match="no service date") as caught:
        kvdt_check(records)
    assert caught.value.field_id == "5001"


def test_case_outside_package_rejected() -> None:
    data = GOOD.replace(b"0138000adt0\r\n", b"0138000adt0\r\n0138000adt9\r\n", 1)
    with pytest.raises(KvdtStructureError, match="outside a package"):
        parse_kvdt(data)


def test_service_lanr_must_be_listed() -> None:
    unlisted = KvdtServiceDay(date(2025, 2, 3), (KvdtService("03000", "123456640"),))
    case = KvdtCase(SAMPLE_KVNR, (1, 2025), (unlisted,), ())
    with pytest.raises(KvdtDataError, match="not listed in the practice record"):
        encode_kvdt(KvdtFile(date(2025, 4, 2), (1, 2025), SAMPLE.practice, (case,)))


def test_case_of_other_quarter_rejected() -> None:
    case = KvdtCase(SAMPLE_KVNR, (2, 2025), SAMPLE.cases[0].service_days, ())
    kvdt = KvdtFile(date(2025, 4, 2), (1, 2025), SAMPLE.practice, (case,))
    with pytest.raises(KvdtDataError, match="another quarter"):
        encode_kvdt(kvdt)


def test_file_without_cases_rejected() -> None:
    with pytest.raises(KvdtDataError, match="at least one case"):
        encode_kvdt(KvdtFile(date(2025, 4, 2), (1, 2025), SAMPLE.practice, ()))


def post_kvdt(data: bytes, key: str) -> tuple[int, Any]:
    """Post ``data`` to a fresh simulator in process and return status and JSON."""

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1"
        ) as client:
            return await client.post(
                KVDT_PATH,
                content=data,
                headers={"Content-Type": KVDT_CONTENT_TYPE, "Idempotency-Key": key},
            )

    response = asyncio.run(post())
    return response.status_code, response.json()


def test_simulator_accepts_good_file() -> None:
    status, body = post_kvdt(GOOD, "good")
    assert status == 201
    assert body["recordCount"] == 7
    assert body["byteCount"] == len(GOOD)


@pytest.mark.parametrize(
    ("data", "detail", "named"),
    [
        (GOOD[: -len(b"0138000con9\r\n")], "KVDT_STRUCTURE_INVALID", "field 8000"),
        (
            replace_line(GOOD, b"01091321\r\n", b"01091322\r\n"),
            "KVDT_STRUCTURE_INVALID",
            "field 9132",
        ),
        (
            replace_line(GOOD, b"0126001I10\r\n", b"0136001I10\r\n"),
            "XDT_INVALID",
            "field 6001",
        ),
    ],
    ids=["missing-con9", "package-count", "line-length"],
)
def test_simulator_names_fault(data: bytes, detail: str, named: str) -> None:
    status, body = post_kvdt(data, "broken")
    (issue,) = body["issue"]
    assert status == 400
    assert issue["details"]["coding"][0]["code"] == detail
    assert named in issue["diagnostics"]
    assert "line" in issue["diagnostics"]
