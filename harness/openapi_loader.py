"""Load OpenAPI 3.0 descriptions for conformance checks, once per file.

carecert's own descriptions are validated strictly. Published descriptions
(``lenient=True``) are loaded even where they break the OpenAPI rules, such as
NHS Digital's PDS description, which puts ``$ref`` directly under an HTTP
method. Each non-standard place is reported once as a SpecWarning naming the
file and the JSON pointer.

JSON media types, including ``application/fhir+json``, are registered with
openapi-core so bodies of those types are parsed as JSON, because
openapi-core 0.23 treats an unregistered type as opaque bytes.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_spec_validator import OpenAPIV30SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from carecert.harness.errors import SpecError

__all__ = [
    "FHIR_JSON",
    "LoadedSpec",
    "Server",
    "SpecWarning",
    "clear_spec_cache",
    "is_json_media_type",
    "json_pointer",
    "load_spec",
]

FHIR_JSON = "application/fhir+json"
_ALWAYS_JSON = (FHIR_JSON, "application/json", "application/json-patch+json")


class SpecWarning(UserWarning):
    """A published OpenAPI description breaks a rule but can still be used."""


def is_json_media_type(media_type: str) -> bool:
    """Return True for ``application/json`` and any ``+json`` media type."""
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def json_pointer(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    """Return the RFC 6901 JSON pointer for a sequence of keys and indexes."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


@dataclass(frozen=True)
class Server:
    """One entry of a description's ``servers``, compiled for matching URLs."""

    url: str
    pattern: re.Pattern[str]
    absolute: bool

    @classmethod
    def from_url(cls, url: str) -> Server:
        """Compile a server URL whose ``{name}`` variables match one path segment."""
        url = url.rstrip("/")
        absolute = bool(urlsplit(url).scheme)
        pattern = ""
        for literal, name in re.findall(r"([^{]*)(?:\{([^}]*)\})?", url):
            pattern += re.escape(literal)
            if name:
                pattern += "[^/]+"
        return cls(url=url, pattern=re.compile(pattern), absolute=absolute)

    def relative_path(self, url: str) -> str | None:
        """Return the path of ``url`` after this server's URL, or None if it differs."""
        parts = urlsplit(url)
        # Scheme and host are case-insensitive, so they are compared in lower case.
        origin = f"{parts.scheme}://{parts.netloc}".lower() + parts.path
        target = origin if self.absolute else parts.path
        match = self.pattern.match(target)
        if match is None:
            return None
        rest = target[match.end() :]
        if rest and not rest.startswith("/"):
            return None
        return rest or "/"


@dataclass(frozen=True)
class LoadedSpec:
    """An OpenAPI description ready for validation, with its servers and notes."""

    path: Path
    app: OpenAPI
    spec: SchemaPath
    servers: tuple[Server, ...]
    json_media_types: frozenset[str]
    nested_servers: bool
    """True if a path item or operation declares its own ``servers``."""
    lenient: bool
    notes: tuple[str, ...]
    """Non-standard places found in lenient mode, one line each."""


_cache: dict[tuple[Path, bool, int], LoadedSpec] = {}
_cache_lock = threading.Lock()


def load_spec(path: str | Path, *, lenient: bool = False) -> LoadedSpec:
    """Load and cache the OpenAPI 3.0 description at ``path``.

    Strict mode raises SpecError for the first rule the description breaks.
    Lenient mode warns (SpecWarning) once per non-standard place and keeps
    going. The cache is keyed by resolved path, mode and modification time,
    so an edited file is loaded again.
    """
    resolved = Path(path).resolve()
    try:
        modified = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise SpecError(resolved, "", f"cannot be read ({exc.strerror})") from exc
    key = (resolved, lenient, modified)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    loaded = _load(resolved, lenient)
    with _cache_lock:
        _cache[key] = loaded
    return loaded


def clear_spec_cache() -> None:
    """Forget every loaded description, so the next load reads the files again."""
    with _cache_lock:
        _cache.clear()


def _load(path: Path, lenient: bool) -> LoadedSpec:
    try:
        spec = SchemaPath.from_file_path(str(path))
        document = spec.read_value()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from exc
    except Exception as exc:  # JSON and I/O errors also mean "cannot load"
        raise SpecError(
            path, "", f"cannot be parsed ({exc})", lenient_helps=False
        ) from exc
    version = str(document.get("openapi", "")) if isinstance(document, dict) else ""
    if not version.startswith("3.0"):
        raise SpecError(path, "/openapi", f"expected OpenAPI 3.0.x, got {version!r}")

    notes = _check(spec, path, lenient)
    found_types, nested_servers = _scan_operations(spec)
    json_types = frozenset(_ALWAYS_JSON) | found_types
    config = Config(
        spec_validator_cls=None,
        extra_media_type_deserializers={media: json_loads for media in json_types},
    )
    app = OpenAPI(spec, config=config)
    servers = tuple(
        Server.from_url(str(server.get("url", "/")))
        for server in document.get("servers") or [{"url": "/"}]
    )
    return LoadedSpec(
        path=path,
        app=app,
        spec=spec,
        servers=servers,
        json_media_types=json_types,
        nested_servers=nested_servers,
        lenient=lenient,
        notes=notes,
    )


def _syntax_error(path: Path, exc: yaml.MarkedYAMLError) -> SpecError:
    """Build the SpecError for a YAML syntax error, placed in ``path``.

    PyYAML names the stream it read, "<urllib response>" for a file that
    jsonschema-path opened by URL, so the place is rebuilt from the marks,
    whose line and column count from 0.
    """
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        start = exc.context_mark
        problem += (
            f" ({exc.context} that starts at line {start.line + 1}, "
            f"column {start.column + 1})"
        )
    return SpecError(
        path,
        "",
        f"invalid YAML: {problem}",
        line=None if mark is None else mark.line + 1,
        column=None if mark is None else mark.column + 1,
        lenient_helps=False,
    )


def _check(spec: SchemaPath, path: Path, lenient: bool) -> tuple[str, ...]:
    """Validate the description: raise if strict, else warn once per place."""
    by_place: dict[str, list[str]] = {}
    for error in OpenAPIV30SpecValidator(spec).iter_errors():
        pointer = json_pointer(list(getattr(error, "path", ())))
        if not lenient:
            raise SpecError(path, pointer, _first_line(error))
        by_place.setdefault(pointer, []).append(_first_line(error))

    notes = []
    for pointer, problems in by_place.items():
        note = f"{path} at {pointer or '/'}: {_describe(spec, pointer, problems)}"
        warnings.warn(SpecWarning(f"Non-standard OpenAPI: {note}"), stacklevel=4)
        notes.append(note)
    return tuple(notes)


def _first_line(error: OpenAPIValidationError | Exception) -> str:
    message = getattr(error, "message", str(error))
    return str(message).splitlines()[0]


def _describe(spec: SchemaPath, pointer: str, problems: list[str]) -> str:
    node = _raw_node(spec.read_value(), pointer)
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return (
            f"an operation is a $ref to {node['$ref']!r}, which OpenAPI 3.0 allows "
            "only for a whole path item. The reference is followed"
        )
    return "; ".join(dict.fromkeys(problems)) + "; validation continues"


def _raw_node(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(key, node.get(int(key)) if key.isdigit() else None)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _scan_operations(spec: SchemaPath) -> tuple[frozenset[str], bool]:
    """Return the JSON media types used by any operation, and whether any path
    item or operation declares its own servers.

    SchemaPath follows references, so operations kept in other files count.
    """
    found: set[str] = set()
    nested_servers = False
    paths = spec.get("paths") or SchemaPath.from_dict({})
    for _, path_item in paths.str_items():
        nested_servers = nested_servers or "servers" in path_item
        for method in HTTP_METHODS:
            if method not in path_item:
                continue
            operation = path_item / method
            nested_servers = nested_servers or "servers" in operation
            bodies = []
            if "requestBody" in operation:
                bodies.append(operation / "requestBody")
            if "responses" in operation:
                bodies.extend(
                    response for _, response in (operation / "responses").items()
                )
            for body in bodies:
                if "content" in body:
                    found.update(
                        key.split(";", 1)[0].strip().lower()
                        for key in (body / "content").str_keys()
                        if is_json_media_type(key)
                    )
    return frozenset(found), nested_servers
