"""JsonPersister and JsonSerializer: strict loading, deterministic saving."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
from vcr.persisters.filesystem import CassetteNotFoundError, FilesystemPersister
from vcr.request import Request

from carecert.harness.cassette import JsonPersister, JsonSerializer, parse_cassette
from carecert.harness.errors import CassetteFormatError, CassetteSecretError
from carecert.harness.secrets import PLACEHOLDER

from .conftest import make_jwt

SERIALIZER = JsonSerializer()


def _valid() -> dict[str, Any]:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": "https://h/Patient/1",
                    "headers": {"Accept": ["application/fhir+json"]},
                    "body": None,
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/fhir+json"]},
                    "body": {"string": '{"resourceType": "Patient", "id": "1"}'},
                },
            }
        ],
    }


def _write(path: Path, document: Any) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path


def test_load_returns_vcrpy_objects(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.json", _valid())
    requests, responses = JsonPersister.load_cassette(path, SERIALIZER)
    assert isinstance(requests[0], Request)
    assert requests[0].uri == "https://h/Patient/1"
    assert requests[0].headers["accept"] == "application/fhir+json"
    assert responses[0]["body"]["string"] == b'{"resourceType": "Patient", "id": "1"}'
    assert responses[0]["status"] == {"code": 200, "message": "OK"}


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError):
        JsonPersister.load_cassette(tmp_path / "absent.json", SERIALIZER)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"version": 1,\n "interactions": [}', 2, 19),
        ('{"version": 1, "interactions": []', 1, 34),
        ("[1, 2,]", 1, 6),
    ],
)
def test_syntax_error_has_line_and_column(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(CassetteFormatError) as caught:
        JsonPersister.load_cassette(path, SERIALIZER)
    assert (caught.value.line, caught.value.column) == (line, column)
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}, column {column}" in message
    assert "--record-mode=all" in message
    assert "restore it from git" in message


def test_invalid_utf8_has_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"version": 1,\n "x": "caf\xe9"}')
    with pytest.raises(CassetteFormatError) as caught:
        JsonPersister.load_cassette(path, SERIALIZER)
    assert (caught.value.line, caught.value.column) == (2, 11)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("\n")
    with pytest.raises(CassetteFormatError, match="empty"):
        JsonPersister.load_cassette(path, SERIALIZER)


def _broken(change: str) -> dict[str, Any]:
    document = _valid()
    interaction = document["interactions"][0]
    if change == "no interactions":
        del document["interactions"]
    elif change == "version":
        document["version"] = 2
    elif change == "no uri":
        del interaction["request"]["uri"]
    elif change == "status text":
        interaction["response"]["status"]["code"] = "200"
    elif change == "header not list":
        interaction["request"]["headers"]["Accept"] = "application/json"
    elif change == "body number":
        interaction["response"]["body"] = 5
    elif change == "bad base64":
        interaction["response"]["body"] = {"base64": "not base64!"}
    elif change == "no response":
        del interaction["response"]
    return document


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ("no interactions", "interactions"),
        ("version", "version"),
        ("no uri", "interactions[0].request.uri"),
        ("status text", "interactions[0].response.status.code"),
        ("header not list", "interactions[0].request.headers.Accept"),
        ("body number", "interactions[0].response.body"),
        ("bad base64", "interactions[0].response.body"),
        ("no response", "interactions[0].response"),
    ],
)
def test_structure_error_names_field(
    tmp_path: Path, change: str, location: str
) -> None:
    path = _write(tmp_path / "broken.json", _broken(change))
    with pytest.raises(CassetteFormatError) as caught:
        JsonPersister.load_cassette(path, SERIALIZER)
    assert caught.value.location == location
    assert location in str(caught.value)


def test_save_is_sorted_indented_and_scrubbed(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "saved.json"
    request = Request(
        "POST",
        "https://h/token",
        f"grant_type=client_credentials&client_assertion={make_jwt()}".encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic abc",
        },
    )
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": b'{"access_token": "abc"}'},
    }
    JsonPersister.save_cassette(
        path, {"requests": [request], "responses": [response]}, SERIALIZER
    )

    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    assert raw.startswith(
        b'{\n  "interactions": [\n    {\n      "request": {\n        "body"'
    )
    document = orjson.loads(raw)
    assert document["version"] == 1
    saved = document["interactions"][0]
    assert saved["request"]["headers"]["Authorization"] == [f"Basic {PLACEHOLDER}"]
    assert make_jwt() not in raw.decode()
    assert orjson.loads(saved["response"]["body"]["string"]) == {
        "access_token": PLACEHOLDER
    }
    assert list(tmp_path.joinpath("nested").iterdir()) == [path]


def test_embedded_json_secret_scrubbed(tmp_path: Path) -> None:
    """A token inside a body that is not JSON as a whole is still replaced."""
    path = tmp_path / "embedded.json"
    request = Request("GET", "https://h/callback", None, {})
    body = b'<script>var t = {"access_token": "abc", "scope": "read"};</script>'
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["text/html"]},
        "body": {"string": body},
    }
    JsonPersister.save_cassette(
        path, {"requests": [request], "responses": [response]}, SERIALIZER
    )

    saved = orjson.loads(path.read_bytes())["interactions"][0]["response"]["body"][
        "string"
    ]
    assert (
        saved == "<script>var t = "
        f'{{"access_token": "{PLACEHOLDER}", "scope": "read"}};</script>'
    )


def test_save_raises_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carecert.harness.cassette as cassette_module

    monkeypatch.setattr(
        cassette_module, "scrub_interaction", lambda interaction: interaction
    )
    path = tmp_path / "never.json"
    request = Request("GET", "https://h/p", None, {"Authorization": "Bearer abc"})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"string": b""},
    }
    with pytest.raises(CassetteSecretError):
        JsonPersister.save_cassette(
            path, {"requests": [request], "responses": [response]}, SERIALIZER
        )
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_binary_bodies_use_base64(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    payload = bytes(range(200, 256))
    request = Request(
        "PUT",
        "https://h/Binary/1",
        payload,
        {"Content-Type": "application/octet-stream"},
    )
    response = {
        "status": {"code": 201, "message": ""},
        "headers": {},
        "body": {"string": payload},
    }
    JsonPersister.save_cassette(
        path, {"requests": [request], "responses": [response]}, SERIALIZER
    )

    saved = orjson.loads(path.read_bytes())["interactions"][0]
    assert saved["request"]["body"] == {"base64": base64.b64encode(payload).decode()}
    assert saved["response"]["body"] == {"base64": base64.b64encode(payload).decode()}
    requests, responses = JsonPersister.load_cassette(path, SERIALIZER)
    assert requests[0].body == payload
    assert responses[0]["body"]["string"] == payload


def test_metadata_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    JsonPersister.save_cassette(
        path,
        {"requests": [], "responses": [], "metadata": {"simulator": "pds"}},
        SERIALIZER,
    )
    assert JsonPersister.load_cassette(path, SERIALIZER) == (
        [],
        [],
        {"simulator": "pds"},
    )


def test_serializer_works_with_vcrpy_persister(tmp_path: Path) -> None:
    """JsonSerializer also plugs into vcrpy's own FilesystemPersister."""
    path = tmp_path / "plain.json"
    request = Request(
        "GET", "https://h/Patient/1", None, {"Accept": "application/fhir+json"}
    )
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"string": b"\xff\x00"},
    }
    FilesystemPersister.save_cassette(
        path, {"requests": [request], "responses": [response]}, SERIALIZER
    )

    assert orjson.loads(path.read_bytes())["interactions"][0]["response"]["body"] == {
        "base64": "/wA="
    }
    requests, responses = FilesystemPersister.load_cassette(path, SERIALIZER)
    assert requests[0].uri == "https://h/Patient/1"
    assert responses[0]["body"]["string"] == b"\xff\x00"


def test_persister_rejects_other_serializers(tmp_path: Path) -> None:
    from vcr.serializers import yamlserializer

    with pytest.raises(TypeError, match="JsonSerializer"):
        JsonPersister.load_cassette(tmp_path / "x.json", yamlserializer)


def test_parse_cassette_accepts_text() -> None:
    document = parse_cassette(orjson.dumps(_valid()).decode(), "x.json")
    assert document["interactions"][0]["request"]["method"] == "GET"
