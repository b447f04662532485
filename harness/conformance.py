"""Check recorded or live HTTP exchanges against a provider's OpenAPI description.

``SpecValidator.validate_exchange`` raises ConformanceFailure naming the
cassette, the exchange index, the request, the part (request or response),
the JSON location and the expected and received values. openapi-core 0.23 is
the reference for what conforms. The compiled checks in
carecert.harness.fastpath accept most conforming exchanges without it, and
openapi-core checks every exchange they do not accept and describes the
failure.

Recorded URLs use the real hosts listed under the description's
``servers``, and the path after the matched server URL selects the operation.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.exceptions import best_match
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.templating.security.exceptions import SecurityNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import (
    HeaderValidationError,
    MissingData,
    MissingRequiredHeader,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from vcr.request import Request as VcrRequest
from werkzeug.datastructures import Headers, ImmutableMultiDict

from carecert.harness.cassette import load_cassette_file
from carecert.harness.errors import ConformanceFailure
from carecert.harness.fastpath import FastChecker
from carecert.harness.openapi_loader import HTTP_METHODS, LoadedSpec, Server, load_spec
from carecert.harness.scrub import scrub_uri

__all__ = [
    "ExchangeRequest",
    "ExchangeResponse",
    "SpecValidator",
    "make_on_play",
]

log = logging.getLogger("carecert.harness.conformance")

MAX_BODY_PREVIEW = 120
"""Characters of an unparseable body that a failure shows."""


class ExchangeRequest:
    """An HTTP request in the shape openapi-core's Request protocol expects.

    ``header_values`` (lower-case names, first value of each) and
    ``query_values`` serve the compiled checks. The werkzeug structures that
    openapi-core reads are built only when it runs.
    """

    def __init__(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.method = method.lower()
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path or "/"
        self.body = body or None
        self.headers = list(
            headers.items() if isinstance(headers, Mapping) else headers
        )
        self._query = parts.query
        self.header_values = _first_values(self.headers)
        self.content_type = self.header_values.get("content-type", "").lower()
        self.query_values = _first_values(
            parse_qsl(parts.query, keep_blank_values=True), lower=False
        )
        self.cookie_values = _first_values(
            _cookies(self.header_values.get("cookie", "")), lower=False
        )

    @cached_property
    def parameters(self) -> RequestParameters:
        """Query, headers and cookies as openapi-core reads them."""
        return RequestParameters(
            query=ImmutableMultiDict(parse_qsl(self._query, keep_blank_values=True)),
            header=Headers(self.headers),
            cookie=ImmutableMultiDict(_cookies(self.header_values.get("cookie", ""))),
        )

    @classmethod
    def from_vcr(cls, request: VcrRequest) -> ExchangeRequest:
        """Adapt a vcrpy request (headers hold one value each)."""
        body = getattr(request, "body_bytes", request.body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        return cls(request.method, request.uri, list(request.headers.items()), body)

    @classmethod
    def from_file(cls, request: Mapping[str, Any]) -> ExchangeRequest:
        """Adapt a request in cassette file form, as load_cassette_file returns it."""
        return cls(
            request["method"],
            request["uri"],
            _header_pairs(request.get("headers") or {}),
            _file_body(request.get("body")),
        )


class ExchangeResponse:
    """An HTTP response in the shape openapi-core's Response protocol expects."""

    def __init__(
        self,
        status_code: int,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        data: bytes | None = None,
    ) -> None:
        self.status_code = status_code
        self._headers = list(
            headers.items() if isinstance(headers, Mapping) else headers
        )
        self.header_values = _first_values(self._headers)
        self.content_type = self.header_values.get("content-type", "").lower()
        self.data = data or None

    @cached_property
    def headers(self) -> Headers:
        """Headers as openapi-core reads them."""
        return Headers(self._headers)

    @classmethod
    def from_vcr(cls, response: Mapping[str, Any]) -> ExchangeResponse:
        """Adapt a vcrpy response dict (headers map names to lists of values)."""
        body = (response.get("body") or {}).get("string")
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = _header_pairs(response.get("headers") or {})
        return cls(int(response["status"]["code"]), headers, body)

    @classmethod
    def from_file(cls, response: Mapping[str, Any]) -> ExchangeResponse:
        """Adapt a response in cassette file form, as load_cassette_file returns it."""
        headers = _header_pairs(response.get("headers") or {})
        return cls(
            int(response["status"]["code"]), headers, _file_body(response.get("body"))
        )


def _header_pairs(headers: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, values in headers.items() for value in values]


def _file_body(body: Any) -> bytes | None:
    """Return the bytes of a cassette body: text, {"string": ...} or {"base64": ...}."""
    if isinstance(body, Mapping):
        if "base64" in body:
            return base64.b64decode(body["base64"])
        body = body.get("string")
    if isinstance(body, str):
        return body.encode("utf-8")
    return body if isinstance(body, bytes) else None


def _first_values(
    pairs: Iterable[tuple[str, str]], *, lower: bool = True
) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name.lower() if lower else name, value)
    return values


def _cookies(header: str) -> list[tuple[str, str]]:
    pairs = []
    for pair in header.split(";"):
        name, equals, value = pair.strip().partition("=")
        if equals:
            pairs.append((name, value))
    return pairs


def _as_request(request: Any) -> ExchangeRequest:
    if isinstance(request, ExchangeRequest):
        return request
    if isinstance(request, VcrRequest):
        return ExchangeRequest.from_vcr(request)
    raise TypeError(
        f"Expected a vcrpy Request or an ExchangeRequest, got {type(request).__name__}."
    )


def _as_response(response: Any) -> ExchangeResponse:
    if isinstance(response, ExchangeResponse):
        return response
    if isinstance(response, Mapping):
        return ExchangeResponse.from_vcr(response)
    raise TypeError(
        f"Expected a vcrpy response dict or an ExchangeResponse, got "
        f"{type(response).__name__}."
    )


class SpecValidator:
    """Validate exchanges against one OpenAPI description, loaded once per path.

    ``fast=False`` uses openapi-core alone, which is the reference but costs
    about a millisecond or more per exchange. ``aliases`` are further base
    URLs, such as a simulator's ``http://127.0.0.1:8000/FHIR/R4``, that stand
    for the first server of the description. A URL under an alias is
    validated as if it were under that server.
    """

    def __init__(
        self,
        spec: str | Path | LoadedSpec,
        *,
        lenient: bool = False,
        fast: bool = True,
        aliases: Iterable[str] = (),
    ) -> None:
        self.loaded = (
            spec if isinstance(spec, LoadedSpec) else load_spec(spec, lenient=lenient)
        )
        self._aliases = tuple(Server.from_url(alias) for alias in aliases)
        first = self.loaded.servers[0]
        if self._aliases and (not first.absolute or "{" in first.url):
            raise ValueError(
                f"aliases need an absolute first server URL without variables, but "
                f"{self.loaded.path} starts with {first.url!r}. Add such a server "
                "first in its servers list."
            )
        # Path-level servers would change which prefix selects the operation.
        self._fast = (
            FastChecker(self.loaded)
            if fast and not self.loaded.nested_servers
            else None
        )
        self.disagreements = 0
        """Exchanges the compiled checks rejected but openapi-core accepted."""

    @property
    def servers(self) -> list[str]:
        """Server URLs of the description, as written."""
        return [server.url for server in self.loaded.servers]

    def relative_path(self, url: str) -> str | None:
        """Return the path of ``url`` after the first matching server URL, or None."""
        for server in self.loaded.servers:
            rest = server.relative_path(url)
            if rest is not None:
                return rest
        return None

    def _unalias(self, request: ExchangeRequest) -> ExchangeRequest:
        for alias in self._aliases:
            rest = alias.relative_path(request.url)
            if rest is None:
                continue
            query = urlsplit(request.url).query
            url = self.loaded.servers[0].url + rest + (f"?{query}" if query else "")
            return ExchangeRequest(request.method, url, request.headers, request.body)
        return request

    def validate_cassette(self, path: str | os.PathLike[str]) -> int:
        """Load, secret-scan and validate every exchange of a cassette file.

        Raises the first ConformanceFailure, or the cassette's CassetteFormatError
        or CassetteSecretError. Returns the number of exchanges checked.
        """
        document = load_cassette_file(path)
        interactions = document["interactions"]
        for index, interaction in enumerate(interactions):
            self.validate_exchange(
                path,
                index,
                ExchangeRequest.from_file(interaction["request"]),
                ExchangeResponse.from_file(interaction["response"]),
            )
        return len(interactions)

    def validate_exchange(
        self,
        cassette_path: str | os.PathLike[str] | None,
        index: int | None,
        request: Any,
        response: Any,
    ) -> None:
        """Raise ConformanceFailure if the request or the response does not conform.

        ``request`` is a vcrpy Request or an ExchangeRequest. ``response`` is
        a vcrpy response dict, an ExchangeResponse, or None to check the
        request alone.
        """
        recorded_request = _as_request(request)
        exchange_request = self._unalias(recorded_request)
        exchange_response = None if response is None else _as_response(response)
        # Failures show the URL as recorded, even when an alias rewrote it.
        context = _Context(cassette_path, index, recorded_request)

        relative = self.relative_path(exchange_request.url)
        if relative is None and not self.loaded.nested_servers:
            raise context.failure(
                "request",
                "url",
                expected=self.servers,
                received=context.url,
                message="Request URL matches none of the servers in the OpenAPI "
                f"description {self.loaded.path}. Record against a documented host or "
                "add the host to the description's servers.",
            )
        if self._fast is not None and relative is not None:
            verdict = self._fast.check(exchange_request, exchange_response, relative)
            if verdict is True:
                return
        else:
            verdict = None

        errors = self._reference_errors(exchange_request, exchange_response)
        if not errors:
            if verdict is False:
                self.disagreements += 1
                log.warning(
                    "Compiled checks rejected %s %s but openapi-core accepted it, "
                    "so openapi-core's result is used.",
                    exchange_request.method.upper(),
                    context.url,
                )
            return
        part, first = errors[0]
        raise self._failure(
            context,
            part,
            first,
            len(errors) - 1,
            exchange_request,
            exchange_response if part == "response" else None,
        )

    def _reference_errors(
        self, request: ExchangeRequest, response: ExchangeResponse | None
    ) -> list[tuple[str, Exception]]:
        app = self.loaded.app
        with warnings.catch_warnings():
            # openapi-core warns about deprecated parameters and unsupported
            # security schemes, which are not conformance failures.
            warnings.simplefilter("ignore")
            errors = [("request", error) for error in app.iter_request_errors(request)]
            if response is None or any(
                isinstance(e, _ROUTING_ERRORS) for _, e in errors
            ):
                return errors
            errors += [
                ("response", error)
                for error in app.iter_response_errors(request, response)
            ]
        return errors

    def _failure(
        self,
        context: _Context,
        part: str,
        error: Exception,
        others: int,
        request: ExchangeRequest,
        response: ExchangeResponse | None,
    ) -> ConformanceFailure:
        location, expected, received, problem = _describe(error, part, request, self)
        more = f" ({others} more problem(s) in this exchange)" if others else ""
        status = None if response is None else response.status_code
        return context.failure(
            part,
            location,
            expected=expected,
            received=received,
            message=f"{part.capitalize()} does not conform to {self.loaded.path.name}: "
            f"{problem}{more}.",
            status=status,
            checked_against=(
                None if status is None else self._checked_against(request, status)
            ),
            advice=_advice(context, status),
        )

    def _checked_against(self, request: ExchangeRequest, status: int) -> str | None:
        """Name the documented response that a response with ``status`` is
        checked against, such as ``GET /Patient/{id} responses "404"``."""
        relative = self.relative_path(request.url)
        if relative is None:
            return None
        router = self._fast or FastChecker(self.loaded)
        found = router.documented_response(relative, request.method, status)
        if found is None:
            return None
        template, key = found
        operation = f"{request.method.upper()} {template}"
        if key is None:
            return f"{operation} in {self.loaded.path}, which documents no {status}"
        return f'{operation} responses "{key}" in {self.loaded.path}'


def make_on_play(validator: SpecValidator) -> Any:
    """Return an ``on_play`` callback for use_cassette that validates each exchange."""

    def validate_played(cassette: Any, index: int, request: Any, response: Any) -> None:
        validator.validate_exchange(cassette.path, index, request, response)

    return validate_played


_ROUTING_ERRORS = (PathNotFound, OperationNotFound, ServerNotFound)


class _Context:
    def __init__(
        self,
        cassette: str | os.PathLike[str] | None,
        index: int | None,
        request: ExchangeRequest,
    ) -> None:
        self.cassette = cassette
        self.index = index
        self.request = request

    @property
    def url(self) -> str:
        # The URL can carry an access token in its query, and failures get logged.
        return scrub_uri(self.request.url)

    def failure(
        self,
        part: str,
        location: str,
        *,
        expected: Any,
        received: Any,
        message: str,
        status: int | None = None,
        checked_against: str | None = None,
        advice: str | None = None,
    ) -> ConformanceFailure:
        return ConformanceFailure(
            cassette=self.cassette,
            exchange_index=self.index,
            method=self.request.method.upper(),
            url=self.url,
            part=part,
            location=location,
            expected=expected,
            received=received,
            message=message,
            status=status,
            checked_against=checked_against,
            advice=advice,
        )


def _advice(context: _Context, status: int | None) -> str | None:
    """Return the next step for a failure in a recorded exchange."""
    if context.cassette is None:
        return None
    exchange = f"interaction {context.index} of {context.cassette}"
    if status is None:
        return (
            f"Re-record {context.cassette} with --record-mode=all if the adapter "
            f"changed, or fix the request of {exchange} if it was edited by hand."
        )
    return (
        f"The exchange was recorded with status {status}. If that status or the "
        f"body was edited by hand, fix the response of {exchange} so that the "
        f"body matches the response documented for status {status}. If the "
        f"provider's answer changed, re-record {context.cassette} with "
        "--record-mode=all."
    )


class _Problem(NamedTuple):
    location: str
    expected: Any
    received: Any
    problem: str


def _describe(
    error: Exception, part: str, request: ExchangeRequest, validator: SpecValidator
) -> _Problem:
    """Return where one openapi-core error is, what was expected and received."""
    routing = _describe_routing(error, request, validator)
    if routing is not None:
        return routing

    missing = _describe_missing(error)
    if missing is not None:
        return missing

    cause = error.__cause__
    if isinstance(cause, MediaTypeNotFound):
        received = cause.mimetype or "missing"
        problem = "the content type is not documented"
        return _Problem(
            "header Content-Type", cause.availableMimetypes, received, problem
        )
    if isinstance(cause, MediaTypeDeserializeError):
        preview = cause.value.decode("utf-8", "replace")[:MAX_BODY_PREVIEW]
        expected = f"a valid {cause.mimetype} document"
        return _Problem(
            "body", expected, preview, f"the body is not valid {cause.mimetype}"
        )
    if isinstance(error, (ParameterValidationError, HeaderValidationError)):
        where = _place(getattr(error, "location", "header"), error.name)
        return _describe_value(where, cause, error)
    if isinstance(cause, InvalidSchemaValue):
        return _describe_schema_error("body", cause)
    return _Problem(part, "a conforming message", str(error), str(error))


def _describe_routing(
    error: Exception, request: ExchangeRequest, validator: SpecValidator
) -> _Problem | None:
    if isinstance(error, ServerNotFound):
        return _Problem(
            "url", validator.servers, request.url, "no server matches the URL"
        )
    if isinstance(error, PathNotFound):
        documented = sorted((validator.loaded.spec / "paths").str_keys())
        received = validator.relative_path(request.url) or request.path
        return _Problem("path", documented, received, "the path is not documented")
    if isinstance(error, OperationNotFound):
        documented = _documented_methods(validator, request)
        problem = "the method is not documented for this path"
        return _Problem("method", documented, request.method.upper(), problem)
    if isinstance(error, ResponseNotFound):
        problem = "the status code is not documented for this operation"
        return _Problem(
            "status", error.availableresponses, int(error.http_status), problem
        )
    if isinstance(error, (SecurityValidationError, SecurityNotFound)):
        cause = error.__cause__
        found = cause if isinstance(cause, SecurityNotFound) else error
        schemes = getattr(found, "schemes", [])
        received = "no credentials for any security requirement"
        return _Problem("security", schemes, received, "no security requirement is met")
    return None


def _describe_missing(error: Exception) -> _Problem | None:
    if isinstance(error, MissingRequiredParameter):
        problem = f"required {error.location} parameter {error.name} is missing"
        return _Problem(
            _place(error.location, error.name), "required", "missing", problem
        )
    if isinstance(error, MissingRequiredHeader):
        problem = f"required header {error.name} is missing"
        return _Problem(f"header {error.name}", "required", "missing", problem)
    if isinstance(error, MissingRequiredRequestBody):
        problem = "the required request body is missing"
        return _Problem("body", "a request body", "no body", problem)
    if isinstance(error, MissingData):
        problem = "the documented response body is missing"
        return _Problem("body", "a response body", "no body", problem)
    return None


def _place(location: str, name: str) -> str:
    return f"header {name}" if location == "header" else f"{location} parameter {name}"


def _describe_value(where: str, cause: Any, error: Exception) -> _Problem:
    if isinstance(cause, InvalidSchemaValue):
        return _describe_schema_error(where, cause)
    if isinstance(cause, CastError):
        expected = f"a value of type {cause.type}"
        problem = f"{where} cannot be read as {cause.type}"
        return _Problem(where, expected, cause.value, problem)
    if isinstance(cause, DeserializeError):
        return _Problem(where, "a value in the documented style", "invalid", str(cause))
    return _Problem(where, "a valid value", "invalid", str(error))


def _describe_schema_error(where: str, cause: InvalidSchemaValue) -> _Problem:
    errors = [e for e in cause.schema_errors if isinstance(e, SchemaValidationError)]
    best = best_match(errors) if errors else None
    if best is None:
        return _Problem(where, f"type {cause.type}", cause.value, str(cause))

    # Body errors are located by JSON path alone; parameter and header errors
    # name the parameter, then the path inside its value when there is one.
    path = _json_path(best.absolute_path)
    if where == "body":
        location = path
    elif path == "$":
        location = where
    else:
        location = f"{where} {path}"

    expected = f"{best.validator}: {best.validator_value!r}"
    received: Any = best.instance
    if best.validator == "required" and isinstance(best.instance, dict):
        missing = [name for name in best.validator_value if name not in best.instance]
        received = f"object without {missing}"
    return _Problem(location, expected, received, best.message)


def _json_path(parts: Iterable[Any]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).isidentifier():
            path += f".{part}"
        else:
            path += f"[{str(part)!r}]"
    return path


def _documented_methods(
    validator: SpecValidator, request: ExchangeRequest
) -> list[str]:
    relative = validator.relative_path(request.url)
    if relative is None:
        return []
    methods: list[str] = []
    for template, path_item in (validator.loaded.spec / "paths").str_items():
        pattern = "".join(
            re.escape(literal) + ("[^/]*" if name else "")
            for literal, name in re.findall(r"([^{]*)(?:\{([^}]*)\})?", template)
        )
        if re.fullmatch(pattern, relative):
            methods += [
                m.upper()
                for m in HTTP_METHODS
                if m in path_item and m.upper() not in methods
            ]
    return methods
