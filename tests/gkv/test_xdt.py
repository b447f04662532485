"""xDT encoding and parsing: line layout, character set and error reports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.gkv.xdt import (
    XdtEncodeError,
    XdtField,
    XdtParseError,
    XdtRecord,
    encode_xdt,
    encoded_length,
    parse_xdt,
)

# Every character of ISO 8859-15 except CR and LF, which end a line.
LATIN9_TEXT = st.text(
    alphabet=st.characters(codec="iso8859_15", exclude_characters="\r\n"),
    max_size=60,
)
# 8000 opens a record and 9106 selects the character set, so both are drawn
# only where a test places them.
FIELD_IDS = st.text(alphabet="0123456789", min_size=4, max_size=4).filter(
    lambda field_id: field_id not in ("8000", "9106")
)


@st.composite
def records(draw: st.DrawFn) -> XdtRecord:
    record_type = draw(LATIN9_TEXT)
    pairs = draw(st.lists(st.tuples(FIELD_IDS, LATIN9_TEXT), max_size=8))
    return XdtRecord.of(record_type, *pairs)


def test_line_length_counts_everything() -> None:
    data = encode_xdt([XdtRecord.of("con0")])
    assert data == b"0138000con0\r\n"


def test_umlaut_counts_one_byte() -> None:
    data = encode_xdt([XdtRecord.of("0101", ("3101", "Müller"))])
    assert data.endswith(b"0153101M\xfcller\r\n")


def test_euro_sign_uses_latin9_byte() -> None:
    data = encode_xdt([XdtRecord.of("0101", ("6006", "5 €"))])
    assert data.endswith(b"0126006" + b"5 \xa4\r\n")


def test_records_grouped_by_8000() -> None:
    data = b"0138000con0\r\n01091064\r\n01380000101\r\n0143101Kasse\r\n0138000con9\r\n"
    parsed = parse_xdt(data)
    assert [record.record_type for record in parsed] == ["con0", "0101", "con9"]
    assert parsed[0].values("9106") == ["4"]
    assert parsed[1].values("3101") == ["Kasse"]


@given(st.lists(records(), max_size=5))
def test_round_trip_generated(generated: list[XdtRecord]) -> None:
    assert parse_xdt(encode_xdt(generated)) == generated


@given(st.lists(records(), max_size=5))
def test_encode_is_reproduced(generated: list[XdtRecord]) -> None:
    data = encode_xdt(generated)
    assert encode_xdt(parse_xdt(data)) == data


def test_german_text_round_trip() -> None:
    record = XdtRecord.of("0101", ("3101", "Größe-Šimek"), ("6006", "ä ö ü ß € Š"))
    assert parse_xdt(encode_xdt([record])) == [record]


@pytest.mark.parametrize(
    ("text", "character", "position"),
    [("Wałęsa", "ł", 2), ("中村", "中", 0), ("Zoë “x”", "“", 4)],
)
def test_unencodable_character_named(text: str, character: str, position: int) -> None:
    record = XdtRecord.of("0101", ("3101", text))
    with pytest.raises(XdtEncodeError) as caught:
        encode_xdt([record])
    message = str(caught.value)
    assert caught.value.field_id == "3101"
    assert repr(character) in message
    assert f"position {position}" in message
    assert "iso8859_15" in message


@given(LATIN9_TEXT, st.sampled_from(["ł", "中", "Ł", "ő", "😀"]), LATIN9_TEXT)
def test_unencodable_always_raises(prefix: str, character: str, suffix: str) -> None:
    record = XdtRecord.of("0101", ("3101", prefix + character + suffix))
    with pytest.raises(XdtEncodeError, match=f"at position {len(prefix)} "):
        encode_xdt([record])


def test_encode_error_names_record() -> None:
    records = [XdtRecord.of("con0"), XdtRecord.of("0101", ("3101", "ł"))]
    with pytest.raises(XdtEncodeError) as caught:
        encode_xdt(records)
    assert caught.value.__notes__ == ["In record 1 (record type '0101')."]


def test_text_input_rejected() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        parse_xdt("0138000con0\r\n")  # type: ignore[arg-type]


def test_content_too_long_rejected() -> None:
    record = XdtRecord.of("0101", ("6006", "x" * 991))
    with pytest.raises(XdtEncodeError, match="at most 990"):
        encode_xdt([record])


def test_longest_content_accepted() -> None:
    record = XdtRecord.of("0101", ("6006", "x" * 990))
    assert encode_xdt([record]).endswith(b"x\r\n")
    assert encode_xdt([record])[13:16] == b"999"


@pytest.mark.parametrize("field_id", ["800", "80000", "80a0", "٨٠٠٠"])
def test_field_id_must_be_four_digits(field_id: str) -> None:
    with pytest.raises(ValueError, match="four ASCII digits"):
        XdtField(field_id, "x")


def test_content_with_line_break_rejected() -> None:
    with pytest.raises(ValueError, match="CR and LF"):
        XdtField("3101", "a\r\nb")


def test_record_must_start_with_8000() -> None:
    with pytest.raises(ValueError, match="start with field 8000"):
        XdtRecord((XdtField("3101", "x"),))


def test_second_8000_in_record_rejected() -> None:
    with pytest.raises(ValueError, match="only first"):
        XdtRecord((XdtField("8000", "a"), XdtField("8000", "b")))


def test_declared_charset_honoured_on_encode() -> None:
    record = XdtRecord.of("con0", ("9106", "4"), ("3101", "€"))
    assert encode_xdt([record]).endswith(b"\xa4\r\n")


def test_unknown_charset_code_rejected() -> None:
    data = b"0138000con0\r\n01091069\r\n"
    with pytest.raises(XdtParseError) as caught:
        parse_xdt(data)
    assert caught.value.line_number == 2
    assert caught.value.offset == 13
    assert "'9'" in str(caught.value)


def test_unknown_charset_code_on_encode() -> None:
    with pytest.raises(XdtEncodeError, match="code '9' is not supported"):
        encode_xdt([XdtRecord.of("con0", ("9106", "9"))])


def test_explicit_encoding_overrides_declaration() -> None:
    data = b"0138000con0\r\n01091069\r\n0103101\xe9\r\n"
    parsed = parse_xdt(data, encoding="cp1252")
    assert parsed[0].values("3101") == ["é"]


GOOD = b"0138000con0\r\n0143101Kasse\r\n"


@pytest.mark.parametrize(
    ("data", "line_number", "offset", "field_id", "problem"),
    [
        (GOOD + b"0x38000con9\r\n", 3, 27, None, "three-digit line length"),
        (GOOD + b"01", 3, 27, None, "three-digit line length"),
        (GOOD + b"0088000\r\n", 3, 27, "8000", "less than the minimum of 9"),
        (GOOD + b"0138000con", 3, 27, "8000", "file is truncated"),
        (GOOD + b"013800Acon9\r\n", 3, 27, None, "four-digit field id"),
        (GOOD + b"0138000con9\n\n", 3, 27, "8000", "ends with LF alone"),
        (GOOD + b"0128000con9\r\n", 3, 27, "8000", "set its length to 013"),
        (GOOD + b"0148000con9\r\n", 3, 27, "8000", "set its length to 013"),
        (b"0138000con0\n0143101Kasse\r\n", 1, 0, "8000", "ends with LF alone"),
        (b"0143101Kasse\r\n", 1, 0, "3101", "before the first field 8000"),
        (b"0138000c\r\n0\r\n", 1, 0, "8000", "set its length to 010"),
    ],
)
def test_parse_error_names_line(
    data: bytes, line_number: int, offset: int, field_id: str | None, problem: str
) -> None:
    with pytest.raises(XdtParseError) as caught:
        parse_xdt(data)
    assert caught.value.line_number == line_number
    assert caught.value.offset == offset
    assert caught.value.field_id == field_id
    assert problem in str(caught.value)
    assert f"line {line_number} at byte offset {offset}" in str(caught.value)


def test_parsed_records_carry_line_numbers() -> None:
    data = b"0138000con0\r\n01091064\r\n01380000101\r\n0143101Kasse\r\n"
    con0, case = parse_xdt(data)
    assert con0.line_number == 1
    assert case.line_number == 3
    assert case.line_of(1) == 4


def test_encoded_length_matches_bytes() -> None:
    record = XdtRecord.of("0101", ("3101", "Müller"), ("6006", "5 €"))
    assert encoded_length(record) == len(encode_xdt([record]))


def test_empty_input_has_no_records() -> None:
    assert parse_xdt(b"") == []
