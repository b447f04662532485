"""Record and replay HTTP traffic in scrubbed, deterministic JSON cassettes.

A cassette file looks like this (keys sorted, two-space indent, trailing
newline, so diffs are reviewable)::

    {
      "interactions": [
        {
          "request": {"body": null, "headers": {"Accept": ["application/fhir+json"]},
                      "method": "GET", "uri": "https://api.example/Patient/1"},
          "response": {"body": {"string": "{...}"}, "headers": {...},
                       "status": {"code": 200, "message": "OK"}}
        }
      ],
      "version": 1
    }

Text bodies are stored as UTF-8 text, and a body that is not UTF-8 is stored
as ``{"base64": "..."}``. Unlike vcrpy's own persister, a cassette that exists
but cannot be parsed raises CassetteFormatError instead of being treated as
empty, and a cassette that still contains a credential raises
CassetteSecretError when it is loaded or saved.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import orjson
from vcr.cassette import Cassette, CassetteContextDecorator
from vcr.errors import (
    CannotOverwriteExistingCassetteException,
    UnhandledHTTPRequestError,
)
from vcr.matchers import method as match_method
from vcr.matchers import uri as match_uri
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.request import Request

from carecert.harness.errors import CassetteFormatError, UnrecordedRequestError
from carecert.harness.scrub import (
    scrub_interaction,
    scrub_request,
    scrub_response,
    scrub_uri,
)
from carecert.harness.secrets import check_cassette

__all__ = [
    "CASSETTE_VERSION",
    "RECORD_MODES",
    "CarecertCassette",
    "JsonPersister",
    "JsonSerializer",
    "OnPlay",
    "dump_cassette",
    "load_cassette_file",
    "parse_cassette",
    "use_cassette",
]

CASSETTE_VERSION = 1
"""Format version written to and required in every cassette (vcrpy's own)."""

RECORD_MODES = ("none", "once", "new_episodes", "all")
DEFAULT_MATCH_ON: tuple[Callable[..., Any], ...] = (match_method, match_uri)

OnPlay = Callable[["CarecertCassette", int, Request, dict[str, Any]], None]
"""Callback run as ``on_play(cassette, index, request, response)`` per replay."""

_DUMP_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


# Parsing and checking the file form


def parse_cassette(data: bytes | str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse cassette JSON, check its structure and return it in file form.

    Raises CassetteFormatError naming the line and column of a syntax error,
    or the field (``interactions[2].request.uri``) of a structural one.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise CassetteFormatError(path, "the file is empty")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        line, column = _error_position(raw, exc)
        raise CassetteFormatError(
            path, f"invalid JSON ({exc.msg})", line=line, column=column
        ) from exc
    _check_structure(document, path)
    return document


def _error_position(raw: bytes, exc: orjson.JSONDecodeError) -> tuple[int, int]:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        # orjson reports invalid UTF-8 without a useful position.
        before = raw[: decode_error.start]
        line = before.count(b"\n") + 1
        column = decode_error.start - (before.rfind(b"\n") + 1) + 1
        return line, column
    return exc.lineno, exc.colno


def _check_structure(document: Any, path: str | os.PathLike[str]) -> None:
    def fail(location: str, problem: str) -> NoReturn:
        raise CassetteFormatError(path, problem, location=location)

    if not isinstance(document, dict):
        fail("$", f"expected a JSON object, got {type(document).__name__}")
    if document.get("version") != CASSETTE_VERSION:
        fail("version", f"expected {CASSETTE_VERSION}, got {document.get('version')!r}")
    interactions = document.get("interactions")
    if not isinstance(interactions, list):
        fail("interactions", "missing or not a list")
    for index, interaction in enumerate(interactions):
        where = f"interactions[{index}]"
        if not isinstance(interaction, dict):
            fail(where, "expected an object with request and response")
        _check_request(interaction.get("request"), f"{where}.request", fail)
        _check_response(interaction.get("response"), f"{where}.response", fail)
    metadata = document.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        fail("metadata", "expected an object")


def _check_request(
    request: Any, where: str, fail: Callable[[str, str], NoReturn]
) -> None:
    if not isinstance(request, dict):
        fail(where, "missing or not an object")
    for key in ("method", "uri"):
        if not isinstance(request.get(key), str) or not request[key]:
            fail(f"{where}.{key}", "missing or not a non-empty string")
    _check_headers(request.get("headers"), f"{where}.headers", fail)
    body = request.get("body")
    if body is not None and not isinstance(body, str) and not _is_base64_body(body):
        fail(f"{where}.body", 'expected null, a string or {"base64": "..."}')


def _check_response(
    response: Any, where: str, fail: Callable[[str, str], NoReturn]
) -> None:
    if not isinstance(response, dict):
        fail(where, "missing or not an object")
    status = response.get("status")
    if not isinstance(status, dict) or type(status.get("code")) is not int:
        fail(f"{where}.status.code", "missing or not an integer")
    message = status.get("message")
    if message is not None and not isinstance(message, str):
        fail(f"{where}.status.message", "not a string")
    _check_headers(response.get("headers"), f"{where}.headers", fail)
    body = response.get("body")
    text_body = isinstance(body, dict) and isinstance(body.get("string"), str)
    if not text_body and not _is_base64_body(body):
        fail(f"{where}.body", 'expected {"string": "..."} or {"base64": "..."}')


def _check_headers(
    headers: Any, where: str, fail: Callable[[str, str], NoReturn]
) -> None:
    if not isinstance(headers, dict):
        fail(where, "missing or not an object of header lists")
    for name, values in headers.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            fail(f"{where}.{name}", "expected a list of strings")


def _is_base64_body(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("base64"), str)


def _decode_base64(
    body: Mapping[str, str], where: str, path: str | os.PathLike[str]
) -> bytes:
    try:
        return base64.b64decode(body["base64"], validate=True)
    except ValueError as exc:
        raise CassetteFormatError(path, "invalid base64", location=where) from exc


# Converting between the file form and vcrpy's in-memory form


def _body_to_file(body: bytes | str | None) -> str | dict[str, str] | None:
    if body is None or isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _request_to_file(request: Request) -> dict[str, Any]:
    body = getattr(request, "body_bytes", request.body)
    return {
        "method": request.method,
        "uri": request.uri,
        "headers": {name: [str(value)] for name, value in request.headers.items()},
        "body": _body_to_file(body),
    }


def _response_to_file(response: Mapping[str, Any]) -> dict[str, Any]:
    status = response.get("status") or {}
    body = _body_to_file((response.get("body") or {}).get("string"))
    return {
        "status": {"code": status.get("code"), "message": status.get("message") or ""},
        "headers": {
            name: [str(value) for value in values]
            for name, values in (response.get("headers") or {}).items()
        },
        "body": body if isinstance(body, dict) else {"string": body or ""},
    }


def _interaction_from_file(
    interaction: Mapping[str, Any], index: int, path: str | os.PathLike[str]
) -> tuple[Request, dict[str, Any]]:
    stored_request = interaction["request"]
    body = stored_request.get("body")
    if isinstance(body, dict):
        body = _decode_base64(body, f"interactions[{index}].request.body", path)
    request = Request(
        stored_request["method"],
        stored_request["uri"],
        body,
        dict(stored_request["headers"]),
    )
    stored_response = interaction["response"]
    stored_body = stored_response["body"]
    if "base64" in stored_body:
        content = _decode_base64(
            stored_body, f"interactions[{index}].response.body", path
        )
    else:
        content = stored_body["string"].encode("utf-8")
    response = {
        "status": dict(stored_response["status"]),
        "headers": {
            name: list(values) for name, values in stored_response["headers"].items()
        },
        "body": {"string": content},
    }
    return request, response


def dump_cassette(document: Mapping[str, Any]) -> bytes:
    """Serialise a cassette in file form: sorted keys, 2-space indent, final newline."""
    return orjson.dumps(document, option=_DUMP_OPTIONS) + b"\n"


class JsonSerializer:
    """vcrpy serializer for carecert's JSON cassettes.

    ``serialize`` takes the dict vcrpy builds (bodies as text or bytes) and
    ``deserialize`` returns one (binary bodies as bytes). Neither scrubs or
    scans: JsonPersister does that, and is what CarecertCassette uses.
    """

    def serialize(self, cassette_dict: Mapping[str, Any]) -> str:
        document = dict(cassette_dict)
        document["interactions"] = [
            {
                "request": {
                    **interaction["request"],
                    "body": _body_to_file(interaction["request"].get("body")),
                },
                "response": _response_to_file(interaction["response"]),
            }
            for interaction in cassette_dict.get("interactions", [])
        ]
        return dump_cassette(document).decode("utf-8")

    def deserialize(self, cassette_string: str | bytes) -> dict[str, Any]:
        document = parse_cassette(cassette_string, "<string>")
        interactions = []
        for index, interaction in enumerate(document["interactions"]):
            request, response = _interaction_from_file(interaction, index, "<string>")
            request_dict = request._to_dict()
            request_dict["headers"] = dict(interaction["request"]["headers"])
            interactions.append({"request": request_dict, "response": response})
        return {**document, "interactions": interactions}


def load_cassette_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read, parse, check and secret-scan a cassette, and return its file form.

    Raises CassetteNotFoundError (vcrpy's) if the file does not exist,
    CassetteFormatError if it cannot be read or parsed, and CassetteSecretError
    if it contains a credential.
    """
    file_path = Path(path)
    if not file_path.is_file():
        raise CassetteNotFoundError(os.fspath(path))
    try:
        raw = file_path.read_bytes()
    except OSError as exc:
        raise CassetteFormatError(path, f"cannot be read ({exc.strerror})") from exc
    document = parse_cassette(raw, path)
    check_cassette(document, path)
    return document


class JsonPersister:
    """vcrpy persister that scrubs, checks and atomically writes JSON cassettes."""

    @classmethod
    def load_cassette(
        cls, cassette_path: str | os.PathLike[str], serializer: Any
    ) -> tuple[Any, ...]:
        """Return ``(requests, responses)``, plus the metadata dict if there is one."""
        _require_json_serializer(serializer)
        document = load_cassette_file(cassette_path)
        pairs = [
            _interaction_from_file(interaction, index, cassette_path)
            for index, interaction in enumerate(document["interactions"])
        ]
        requests = [request for request, _ in pairs]
        responses = [response for _, response in pairs]
        if document.get("metadata"):
            return requests, responses, document["metadata"]
        return requests, responses

    @staticmethod
    def save_cassette(
        cassette_path: str | os.PathLike[str],
        cassette_dict: Mapping[str, Any],
        serializer: Any,
    ) -> None:
        """Scrub, secret-scan and write a cassette, or raise before writing."""
        _require_json_serializer(serializer)
        interactions = [
            scrub_interaction(
                {
                    "request": _request_to_file(request),
                    "response": _response_to_file(response),
                }
            )
            for request, response in zip(
                cassette_dict["requests"], cassette_dict["responses"], strict=True
            )
        ]
        document: dict[str, Any] = {
            "version": CASSETTE_VERSION,
            "interactions": interactions,
        }
        if cassette_dict.get("metadata"):
            document["metadata"] = cassette_dict["metadata"]
        check_cassette(document, cassette_path)
        _write_atomically(Path(cassette_path), dump_cassette(document))


def _require_json_serializer(serializer: Any) -> None:
    if serializer is not None and not isinstance(serializer, JsonSerializer):
        raise TypeError(
            f"JsonPersister writes carecert's JSON cassettes only, but was given the "
            f"serializer {serializer!r}. Pass serializer=JsonSerializer() or None."
        )


def _write_atomically(path: Path, data: bytes) -> None:
    # A crash mid-write must not leave a truncated cassette behind, so write a
    # temporary file in the same folder and rename it over the old one.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp creates the file as 0600; cassettes are shared through git,
        # so give them the mode a plain open() would, under the user's umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# The cassette and its context manager


class CarecertCassette(Cassette):
    """A vcrpy cassette that scrubs, scans, validates played responses and
    reports unrecorded requests as UnrecordedRequestError.

    Extra keyword arguments go to vcrpy's Cassette. ``before_record_request``
    and ``before_record_response`` hooks given here run before carecert's
    scrubbing, which cannot be turned off.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        on_play: OnPlay | None = None,
        before_record_request: Callable[[Request], Request | None] | None = None,
        before_record_response: Callable[[dict[str, Any]], dict[str, Any] | None]
        | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("serializer", JsonSerializer())
        kwargs.setdefault("persister", JsonPersister)
        super().__init__(
            os.fspath(path),
            before_record_request=_then_scrub(before_record_request, scrub_request),
            before_record_response=_then_scrub(before_record_response, scrub_response),
            **kwargs,
        )
        self.on_play = on_play
        self.play_errors: list[BaseException] = []
        """Exceptions raised by on_play, in order, including ones the caller caught."""

    def play_response(self, request: Request) -> dict[str, Any]:
        """Return the recorded response for ``request`` and pass it to ``on_play``."""
        try:
            response: dict[str, Any] = super().play_response(request)
        except UnhandledHTTPRequestError as exc:
            raise self._unrecorded(request) from exc
        if self.on_play is not None:
            try:
                self.on_play(self, self._index_of(response), request, response)
            except Exception as exc:
                self.play_errors.append(exc)
                raise
        return response

    def filter_request(self, request: Request) -> Request | None:
        """Return the request as recorded, or raise UnrecordedRequestError.

        vcrpy's HTTP stubs call this only after ``can_play_response_for``
        returned False. They raise CannotOverwriteExistingCassetteException
        next if the cassette is write-protected, so raising here gives
        carecert's error instead, with vcrpy's explanation as the cause.
        """
        filtered: Request | None = super().filter_request(request)
        if filtered and self.write_protected:
            raise self._unrecorded(request)
        return filtered

    def _unrecorded(self, request: Request) -> UnrecordedRequestError:
        cause = CannotOverwriteExistingCassetteException(
            cassette=self, failed_request=request
        )
        error = UnrecordedRequestError(
            self._path,
            request.method,
            scrub_uri(request.uri),
            record_mode=_mode_name(self.record_mode),
            reason=cause.reason,
        )
        error.__cause__ = cause
        return error

    def _index_of(self, response: dict[str, Any]) -> int:
        for index, (_, stored) in enumerate(self.data):
            if stored is response:
                return index
        raise LookupError("played response is not in the cassette")  # pragma: no cover


def _then_scrub(
    hook: Callable[[Any], Any] | None, scrub: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    if hook is None:
        return scrub

    def run_hook_then_scrub(message: Any) -> Any:
        result = hook(message)
        return None if result is None else scrub(result)

    return run_hook_then_scrub


def _mode_name(record_mode: Any) -> str:
    return str(getattr(record_mode, "value", record_mode))


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    record_mode: str = "none",
    on_play: OnPlay | None = None,
    match_on: Sequence[Callable[..., Any] | str] = DEFAULT_MATCH_ON,
    allow_playback_repeats: bool = False,
    **cassette_options: Any,
) -> Iterator[CarecertCassette]:
    """Record or replay the HTTP traffic inside the ``with`` block.

    ``record_mode`` is ``none`` (replay only, the default), ``once`` (record
    if the cassette does not exist, else replay), ``new_episodes`` (replay
    what is recorded, record the rest) or ``all`` (record everything again).
    ``match_on`` takes vcrpy matcher functions or their names. If ``on_play``
    raises and the code under test swallows the exception, the first such
    exception is raised again when the block exits, so a conformance failure
    always fails the test. To expect one, put the whole block inside
    ``pytest.raises``.
    """
    if record_mode not in RECORD_MODES:
        raise ValueError(
            f"Invalid record_mode {record_mode!r}. "
            f"Use one of {', '.join(RECORD_MODES)}."
        )
    decorator = CassetteContextDecorator.from_args(
        CarecertCassette,
        path=os.fspath(path),
        record_mode=RecordMode(record_mode),
        on_play=on_play,
        match_on=_matchers(match_on),
        allow_playback_repeats=allow_playback_repeats,
        **cassette_options,
    )
    try:
        with decorator as cassette:
            yield cassette
    except CannotOverwriteExistingCassetteException as exc:
        # Reached only through a vcrpy stub that does not call filter_request.
        request = exc.failed_request
        raise UnrecordedRequestError(
            path,
            getattr(request, "method", "?"),
            scrub_uri(getattr(request, "uri", "?")),
            record_mode=record_mode,
            reason=exc.reason,
        ) from exc
    if cassette.play_errors:
        raise cassette.play_errors[0]


def _matchers(
    match_on: Sequence[Callable[..., Any] | str],
) -> tuple[Callable[..., Any], ...]:
    from vcr import matchers

    resolved = []
    for matcher in match_on:
        if isinstance(matcher, str):
            function = getattr(matchers, matcher, None)
            if not callable(function):
                raise ValueError(
                    f"Unknown matcher {matcher!r}. Use a vcrpy matcher name such as "
                    "'method', 'uri', 'path', 'query', 'headers' or 'body'."
                )
            resolved.append(function)
        else:
            resolved.append(matcher)
    return tuple(resolved)
