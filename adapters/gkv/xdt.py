"""xDT line format (KVDT and relatives): encode records to bytes and parse them.

Each line is a three-digit length, a four-digit field id (Feldkennung), the
content and CR LF. The length counts every byte of the line, itself and the
CR LF included, so a line contains at most 990 content bytes. Field 8000 opens a
record and its content is the record type (Satzart).

Lengths count bytes of a single-byte character set. Field 9106 declares that
character set. The KBV KVDT test file (XPM KVDT Praxis 2026.1.1, file
``Z01123456699_27.01.2026_12.00.con``) declares ``4`` there, so code 4 maps to
ISO 8859-15, the character set of KVDT. ISO 8859-15 is also the default where
no 9106 field is present.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from carecert.adapters.errors import CarecertError

__all__ = [
    "CHARSET_FIELD_ID",
    "DEFAULT_ENCODING",
    "RECORD_TYPE_FIELD_ID",
    "XdtEncodeError",
    "XdtError",
    "XdtField",
    "XdtParseError",
    "XdtRecord",
    "encode_xdt",
    "encoded_length",
    "parse_xdt",
]

RECORD_TYPE_FIELD_ID = "8000"
CHARSET_FIELD_ID = "9106"
DEFAULT_ENCODING = "iso8859_15"

# NOTE: code 4 is the only code seen, in the KBV test file, whose non-ASCII
# bytes (ä, ö, ü) read the same in ISO 8859-1, so the file alone does not
# prove 8859-15. Other codes raise until they are checked against the KBV
# Datensatzbeschreibung KVDT. Pass ``encoding=`` to override.
CHARSET_CODES: Mapping[str, str] = {"4": "iso8859_15"}

_LENGTH_DIGITS = 3
_ID_DIGITS = 4
_CRLF = b"\r\n"
_OVERHEAD = _LENGTH_DIGITS + _ID_DIGITS + len(_CRLF)
MAX_CONTENT_BYTES = 999 - _OVERHEAD


class XdtError(CarecertError, ValueError):
    """xDT data could not be encoded or parsed."""


class XdtParseError(XdtError):
    """A line of xDT bytes breaks the line format."""

    def __init__(
        self, line_number: int, offset: int, problem: str, field_id: str | None = None
    ) -> None:
        self.line_number = line_number
        self.offset = offset
        self.problem = problem
        self.field_id = field_id
        where = f"xDT line {line_number} at byte offset {offset}"
        if field_id is not None:
            where += f", field {field_id}"
        super().__init__(f"{where}: {problem}")


class XdtEncodeError(XdtError):
    """A field cannot be written as an xDT line."""

    def __init__(self, field_id: str, problem: str) -> None:
        self.field_id = field_id
        self.problem = problem
        super().__init__(f"xDT field {field_id}: {problem}")


@dataclass(frozen=True, slots=True)
class XdtField:
    """One xDT line: a four-digit field id and its text content."""

    field_id: str
    content: str

    def __post_init__(self) -> None:
        if not isinstance(self.field_id, str) or not isinstance(self.content, str):
            raise TypeError("xDT field id and content must be strings")
        if not _is_field_id(self.field_id):
            raise ValueError(
                f"invalid xDT field id {self.field_id!r}: expected four ASCII digits"
            )
        if "\r" in self.content or "\n" in self.content:
            raise ValueError(
                f"invalid content for xDT field {self.field_id}: CR and LF end a "
                "line, so content cannot contain them"
            )


@dataclass(frozen=True, slots=True)
class XdtRecord:
    """A record: field 8000 with the record type, then the record's fields.

    ``line_number`` is the file line (from 1) of the record's field 8000 when
    parse_xdt built the record, and 0 for a record built in code. Equality
    ignores it.
    """

    fields: tuple[XdtField, ...]
    line_number: int = dataclasses.field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not self.fields or self.fields[0].field_id != RECORD_TYPE_FIELD_ID:
            raise ValueError(
                "an xDT record must start with field 8000, the record type"
            )
        for field in self.fields[1:]:
            if field.field_id == RECORD_TYPE_FIELD_ID:
                raise ValueError(
                    "field 8000 opens a new record, so it may appear only first"
                )

    @classmethod
    def of(cls, record_type: str, *fields: tuple[str, str]) -> XdtRecord:
        """Build a record from its type and (field id, content) pairs."""
        return cls(
            (XdtField(RECORD_TYPE_FIELD_ID, record_type),)
            + tuple(XdtField(field_id, content) for field_id, content in fields)
        )

    @property
    def record_type(self) -> str:
        """The record type (Satzart), the content of field 8000."""
        return self.fields[0].content

    def values(self, field_id: str) -> list[str]:
        """Return the contents of every field with ``field_id``, in order."""
        return [field.content for field in self.fields if field.field_id == field_id]

    def line_of(self, index: int) -> int:
        """Return the file line of ``fields[index]``, or 0 for a built record."""
        return self.line_number + index if self.line_number else 0


def encoded_length(record: XdtRecord, encoding: str = DEFAULT_ENCODING) -> int:
    """Return the number of bytes that ``record`` takes as xDT lines."""
    return sum(len(_encode_line(field, encoding)) for field in record.fields)


def encode_xdt(records: Iterable[XdtRecord], *, encoding: str | None = None) -> bytes:
    """Encode records as xDT lines.

    The character set is ``encoding`` if given, else the one declared by the
    first field 9106, else ISO 8859-15. A character outside the character set
    raises XdtEncodeError naming the field, the character and its position in
    the content. Nothing is replaced.
    """
    records = list(records)
    if encoding is None:
        encoding = _declared_encoding_of_records(records)
    lines: list[bytes] = []
    for index, record in enumerate(records):
        for field in record.fields:
            try:
                lines.append(_encode_line(field, encoding))
            except XdtEncodeError as error:
                error.add_note(
                    f"In record {index} (record type {record.record_type!r})."
                )
                raise
    return b"".join(lines)


def parse_xdt(data: bytes, *, encoding: str | None = None) -> list[XdtRecord]:
    """Parse xDT bytes into records, checking every line's length and ending.

    The character set is ``encoding`` if given, else the one declared by the
    first field 9106, else ISO 8859-15. Errors name the line number (from 1),
    the byte offset where the line starts and what is wrong.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(
            f"parse_xdt expects bytes, got {type(data).__name__}. Read the file "
            "in binary mode, because line lengths count bytes."
        )
    raw_lines = _split_lines(bytes(data))
    if encoding is None:
        encoding = _declared_encoding_of_lines(raw_lines)
    records: list[XdtRecord] = []
    current: list[XdtField] = []
    start_line = 0
    for line_number, offset, field_id, raw_content in raw_lines:
        try:
            content = raw_content.decode(encoding)
        except UnicodeDecodeError as error:
            raise XdtParseError(
                line_number,
                offset,
                f"byte 0x{raw_content[error.start]:02X} at position {error.start} "
                f"of the content is not valid {encoding}. Write the file in the "
                "character set that field 9106 declares.",
                field_id,
            ) from error
        if field_id == RECORD_TYPE_FIELD_ID:
            if current:
                records.append(XdtRecord(tuple(current), start_line))
            current = []
            start_line = line_number
        elif not current:
            raise XdtParseError(
                line_number,
                offset,
                "the field comes before the first field 8000 (record type). "
                "Start the file with a record type line.",
                field_id,
            )
        current.append(XdtField(field_id, content))
    if current:
        records.append(XdtRecord(tuple(current), start_line))
    return records


def _is_field_id(value: str) -> bool:
    return len(value) == _ID_DIGITS and value.isascii() and value.isdigit()


def _encode_line(field: XdtField, encoding: str) -> bytes:
    try:
        content = field.content.encode(encoding)
    except UnicodeEncodeError as error:
        character = field.content[error.start]
        raise XdtEncodeError(
            field.field_id,
            f"character {character!r} (U+{ord(character):04X}) at position "
            f"{error.start} of the content is not in {encoding}. Replace it with "
            "a character that the character set contains.",
        ) from error
    if len(content) > MAX_CONTENT_BYTES:
        raise XdtEncodeError(
            field.field_id,
            f"content is {len(content)} bytes, but a line contains at most "
            f"{MAX_CONTENT_BYTES} because its length has three digits",
        )
    length = len(content) + _OVERHEAD
    return f"{length:03d}{field.field_id}".encode("ascii") + content + _CRLF


def _split_lines(data: bytes) -> list[tuple[int, int, str, bytes]]:
    """Split ``data`` into (line number, offset, field id, raw content)."""
    lines: list[tuple[int, int, str, bytes]] = []
    offset = 0
    line_number = 0
    while offset < len(data):
        line_number += 1
        length_bytes = data[offset : offset + _LENGTH_DIGITS]
        if len(length_bytes) < _LENGTH_DIGITS or not length_bytes.isdigit():
            raise XdtParseError(
                line_number,
                offset,
                f"expected a three-digit line length, got {length_bytes!r}. Start "
                "every line with its length in bytes, CR LF included.",
            )
        id_bytes = data[offset + _LENGTH_DIGITS : offset + _LENGTH_DIGITS + _ID_DIGITS]
        if len(id_bytes) < _ID_DIGITS or not id_bytes.isdigit():
            raise XdtParseError(
                line_number,
                offset,
                f"expected a four-digit field id after the length, got {id_bytes!r}",
            )
        field_id = id_bytes.decode("ascii")
        length = int(length_bytes)
        end = offset + length
        if length < _OVERHEAD or end > len(data) or data[end - 2 : end] != _CRLF:
            raise XdtParseError(
                line_number,
                offset,
                _length_problem(data, offset, length),
                field_id,
            )
        content = data[offset + _LENGTH_DIGITS + _ID_DIGITS : end - len(_CRLF)]
        if b"\r" in content or b"\n" in content:
            raise XdtParseError(
                line_number,
                offset,
                f"the line length {length:03d} spans a line break, so it is "
                f"too long. {_actual_length_hint(data, offset)}",
                field_id,
            )
        lines.append((line_number, offset, field_id, content))
        offset = end
    return lines


def _length_problem(data: bytes, offset: int, length: int) -> str:
    """Describe why the line at ``offset`` does not end at the byte its length gives."""
    hint = _actual_length_hint(data, offset)
    if length < _OVERHEAD:
        return (
            f"line length {length:03d} is less than the minimum of {_OVERHEAD} "
            f"(length, field id and CR LF). {hint}"
        )
    end = offset + length
    if end > len(data):
        return (
            f"the line length is {length} bytes but only {len(data) - offset} "
            f"remain, so the file is truncated or the length is wrong. {hint}"
        )
    return (
        f"the line length {length:03d} does not end at CR LF: bytes {end - 2} and "
        f"{end - 1} are {data[end - 2 : end]!r}. {hint}"
    )


def _actual_length_hint(data: bytes, offset: int) -> str:
    """Say how long the line at ``offset`` is, going by its line break."""
    newline = data.find(b"\n", offset)
    if newline < 0:
        return "No line break follows, so end the line with CR LF."
    if newline == offset or data[newline - 1 : newline] != b"\r":
        return (
            "The line ends with LF alone: end every line with CR LF and count "
            "both bytes in the length."
        )
    actual = newline + 1 - offset
    return f"The line ends after {actual} bytes, so set its length to {actual:03d}."


def _encoding_for_code(code: str) -> str | None:
    return CHARSET_CODES.get(code.strip())


def _declared_encoding_of_lines(lines: list[tuple[int, int, str, bytes]]) -> str:
    for line_number, offset, field_id, content in lines:
        if field_id != CHARSET_FIELD_ID:
            continue
        code = content.decode("ascii", errors="replace")
        encoding = _encoding_for_code(code)
        if encoding is None:
            raise XdtParseError(
                line_number,
                offset,
                f"field 9106 declares character set code {code!r}, which is not "
                f"supported (known codes: {sorted(CHARSET_CODES)}). Pass "
                "encoding= to parse_xdt to choose the character set.",
            )
        return encoding
    return DEFAULT_ENCODING


def _declared_encoding_of_records(records: list[XdtRecord]) -> str:
    for record in records:
        for code in record.values(CHARSET_FIELD_ID):
            encoding = _encoding_for_code(code)
            if encoding is None:
                raise XdtEncodeError(
                    CHARSET_FIELD_ID,
                    f"character set code {code!r} is not supported (known codes: "
                    f"{sorted(CHARSET_CODES)}). Pass encoding= to encode_xdt.",
                )
            return encoding
    return DEFAULT_ENCODING
