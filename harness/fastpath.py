"""Compiled conformance checks: the schema work is done once per operation.

openapi-core 0.23 resolves and builds its validators on every call, which
took about 1.7 ms per exchange in benchmarks/replay_validate.py.
Here each operation's parameter, header and body schemas are bundled with
their references inlined, translated from OpenAPI 3.0 to JSON Schema draft 4
and compiled with jsonschema-rs, the first time the operation is seen.

The translation follows openapi-core's OAS 3.0 validators: ``nullable``,
``readOnly`` and ``writeOnly`` by direction, keywords next to ``$ref`` still
apply, formats are checked by the same Python functions openapi-core uses,
and ``pattern`` runs with Python's ``re``. A feature this module does not
translate (discriminator, non-JSON bodies, parameter styles other than the
default, and a few more) makes the check return None, and the caller uses
openapi-core instead. A failed check also defers to openapi-core, which
produces the failure report, so this module only has to be right when it
accepts an exchange.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any, Literal

import jsonschema_rs
import orjson
from jsonschema_path import SchemaPath
from openapi_schema_validator import OAS30Validator
from referencing.exceptions import Unresolvable

from carecert.harness.openapi_loader import HTTP_METHODS, LoadedSpec

__all__ = ["FastChecker", "UnsupportedSchema", "compile_schema"]

Mode = Literal["read", "write"]
"""``read`` for responses (writeOnly is rejected), ``write`` for requests."""

_FORMAT_CHECKER = OAS30Validator.FORMAT_CHECKER
_ALWAYS_VALID_FORMATS = frozenset({"float", "double", "binary", "password"})
_INTEGER_RANGES = {"int32": 2**31, "int64": 2**63}
_PATTERN_KEYWORD = "x-carecert-pattern"
_COPIED_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
    }
)
_FALSE_SCHEMA: dict[str, Any] = {"not": {}}


class UnsupportedSchema(Exception):
    """A schema uses a feature that the compiled path does not translate."""


class _PythonPattern:
    """jsonschema-rs keyword that applies ``pattern`` with Python's ``re.search``,
    as openapi-core does, so both accept the same strings."""

    def __init__(self, parent_schema: Any, value: str, schema_path: Any) -> None:
        self.pattern = value
        self.regex = re.compile(value)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self.regex.search(instance):
            raise ValueError(f"{instance!r} does not match {self.pattern!r}")


def _format_check(name: str) -> Callable[[str], bool]:
    def conforms(instance: str) -> bool:
        return bool(_FORMAT_CHECKER.conforms(instance, name))

    return conforms


_CUSTOM_FORMATS = {
    f"carecert-{name}": _format_check(name)
    for name in _FORMAT_CHECKER.checkers
    if name not in _ALWAYS_VALID_FORMATS and name not in _INTEGER_RANGES
}


class _Bundler:
    """Inline a schema's references as draft 4 ``definitions``, translating keywords."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.definitions: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        # Keeps referenced objects alive, so their id() stays unique.
        self._targets: list[Any] = []

    def convert(self, node: Any, resolver: Any) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise UnsupportedSchema(f"schema is a {type(node).__name__}, not an object")
        if "$ref" not in node:
            return self._keywords(node, resolver)
        reference = self._reference(node["$ref"], resolver)
        # openapi-core applies keywords next to $ref, so they are kept here.
        siblings = self._keywords(
            {k: v for k, v in node.items() if k != "$ref"}, resolver
        )
        if not siblings:
            return reference
        siblings["allOf"] = [reference, *siblings.get("allOf", [])]
        return siblings

    def _reference(self, ref: Any, resolver: Any) -> dict[str, Any]:
        if not isinstance(ref, str):
            raise UnsupportedSchema(f"$ref is not a string: {ref!r}")
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable as exc:
            raise UnsupportedSchema(f"unresolvable $ref {ref!r}") from exc
        key = id(resolved.contents)
        name = self._names.get(key)
        if name is None:
            name = f"s{len(self._names)}"
            self._names[key] = name
            self._targets.append(resolved.contents)
            self.definitions[name] = {}
            self.definitions[name] = self.convert(resolved.contents, resolved.resolver)
        return {"$ref": f"#/definitions/{name}"}

    def _keywords(self, node: dict[str, Any], resolver: Any) -> dict[str, Any]:
        blocked = "readOnly" if self.mode == "write" else "writeOnly"
        if node.get(blocked) is True:
            # openapi-core rejects any value for such a schema in this direction.
            return dict(_FALSE_SCHEMA)
        if "discriminator" in node:
            raise UnsupportedSchema("discriminator")
        if "patternProperties" in node and "additionalProperties" in node:
            raise UnsupportedSchema("patternProperties with additionalProperties")

        out: dict[str, Any] = {}
        extra: list[dict[str, Any]] = []
        for key, value in node.items():
            if key == "properties":
                out[key] = {
                    name: self.convert(sub, resolver) for name, sub in value.items()
                }
            elif key in ("items", "not"):
                out[key] = self.convert(value, resolver)
            elif key == "additionalProperties":
                out[key] = (
                    self.convert(value, resolver) if isinstance(value, dict) else value
                )
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.convert(sub, resolver) for sub in value]
            elif key == "required":
                out[key] = self._required(node, value)
            elif key == "pattern":
                out[_PATTERN_KEYWORD] = _checked_pattern(value)
            elif key == "format":
                self._format(value, out, extra)
            elif key == "multipleOf":
                if type(value) is not int:
                    raise UnsupportedSchema("multipleOf with a non-integer")
                out[key] = value
            elif key in _COPIED_KEYWORDS:
                out[key] = value
        if "type" in out and not isinstance(out["type"], str):
            raise UnsupportedSchema("type is not a string")
        if node.get("nullable") is True and "type" in out:
            out["type"] = [out["type"], "null"]
        if extra:
            out["allOf"] = [*out.get("allOf", []), *extra]
        return out

    def _required(self, node: dict[str, Any], names: list[str]) -> list[str]:
        # Like openapi-core, look at the property schema as written (a $ref is
        # not followed) to exempt readOnly or writeOnly properties.
        exempt = "readOnly" if self.mode == "write" else "writeOnly"
        properties = node.get("properties") or {}
        return [
            name
            for name in names
            if not (
                isinstance(properties.get(name), dict) and properties[name].get(exempt)
            )
        ]

    def _format(
        self, name: Any, out: dict[str, Any], extra: list[dict[str, Any]]
    ) -> None:
        if name in _INTEGER_RANGES:
            limit = _INTEGER_RANGES[name]
            extra.append(
                {
                    "anyOf": [
                        {"not": {"type": "integer"}},
                        {"minimum": -limit, "maximum": limit - 1},
                    ]
                }
            )
        elif f"carecert-{name}" in _CUSTOM_FORMATS:
            out["format"] = f"carecert-{name}"
        # Any other format is not checked by openapi-core, so it is dropped.


def _checked_pattern(pattern: Any) -> str:
    if not isinstance(pattern, str):
        raise UnsupportedSchema(f"pattern is not a string: {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UnsupportedSchema(f"pattern {pattern!r} is not a Python regex") from exc
    return pattern


def bundle_schema(schema: SchemaPath, mode: Mode) -> dict[str, Any]:
    """Return ``schema`` as one self-contained draft 4 schema for ``mode``."""
    bundler = _Bundler(mode)
    with schema.resolve() as resolved:
        root = bundler.convert(resolved.contents, resolved.resolver)
    return {"allOf": [root], "definitions": bundler.definitions}


def compile_schema(schema: SchemaPath, mode: Mode) -> Any:
    """Compile ``schema`` with jsonschema-rs or raise UnsupportedSchema."""
    bundle = bundle_schema(schema, mode)
    try:
        return jsonschema_rs.Draft4Validator(
            bundle,
            validate_formats=True,
            formats=_CUSTOM_FORMATS,
            keywords={_PATTERN_KEYWORD: _PythonPattern},
        )
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        raise UnsupportedSchema(
            f"jsonschema-rs cannot compile the schema: {exc}"
        ) from exc


# Operation plans


@dataclass(frozen=True)
class _ValueCheck:
    """A parameter or response header with a primitive schema."""

    name: str
    location: str
    required: bool
    cast: Callable[[str], Any] | None
    validator: Any


@dataclass(frozen=True)
class _ContentCheck:
    """Media types a body may have. A validator of None accepts any JSON."""

    media: Mapping[str, Any]
    json_types: frozenset[str]
    has_wildcard: bool


@dataclass(frozen=True)
class _RequestPlan:
    security: list[list[tuple[str, str, str]]] | None
    params: list[_ValueCheck]
    body: _ContentCheck | None
    body_required: bool


@dataclass(frozen=True)
class _ResponsePlan:
    body: _ContentCheck | None
    headers: list[_ValueCheck]


@dataclass
class _OperationPlan:
    template: str
    method: str
    request: _RequestPlan | None
    response_keys: frozenset[str]
    responses: dict[str, _ResponsePlan | None] = field(default_factory=dict)


_CASTS: dict[str, Callable[[str], Any] | None] = {
    "string": None,
    "integer": int,
    "number": float,
}


class FastChecker:
    """Check exchanges against one loaded description with compiled validators."""

    def __init__(self, loaded: LoadedSpec) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self._methods: dict[str, frozenset[str]] = {}
        self._templates: list[tuple[re.Pattern[str], str, list[str]]] = []
        self._plans: dict[tuple[str, str], _OperationPlan] = {}
        paths = self.spec.get("paths") or SchemaPath.from_dict({})
        for template, path_item in paths.str_items():
            self._methods[template] = frozenset(
                m for m in HTTP_METHODS if m in path_item
            )
            names = re.findall(r"\{([^}]*)\}", template)
            if not names:
                continue
            regex = ""
            for literal, name in re.findall(r"([^{]*)(?:\{([^}]*)\})?", template):
                regex += re.escape(literal) + ("([^/]*)" if name else "")
            self._templates.append((re.compile(regex), template, names))
        # openapi-core tries templates with fewer variables first.
        self._templates.sort(key=lambda entry: len(entry[2]))

    def check(self, request: Any, response: Any, relative_path: str) -> bool | None:
        """Return True if the exchange conforms, False if not, None if undecided."""
        route = self._route(relative_path, request.method)
        if route is None:
            return False
        plan, path_values = route
        request_verdict = self._check_request(plan.request, request, path_values)
        if request_verdict is not True or response is None:
            return request_verdict
        return self._check_response(plan, response)

    def documented_response(
        self, relative_path: str, method: str, status: int
    ) -> tuple[str, str | None] | None:
        """Return the path template and the ``responses`` key that a response
        with ``status`` is checked against, or None if no operation matches.

        The key is None when the operation documents no response for the
        status. Keys are tried as openapi-core 0.23 does: the exact code, then
        its range such as ``4XX``, then ``default``.
        """
        route = self._route(relative_path, method.lower())
        if route is None:
            return None
        plan = route[0]
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in plan.response_keys:
                return plan.template, key
        return plan.template, None

    def _route(
        self, relative_path: str, method: str
    ) -> tuple[_OperationPlan, dict[str, str]] | None:
        # The same order as openapi-core: a literal path first, then templates
        # with fewer variables, each only if it has the method.
        if method in self._methods.get(relative_path, ()):
            return self._plan(relative_path, method), {}
        for regex, template, names in self._templates:
            match = regex.fullmatch(relative_path)
            if match and method in self._methods[template]:
                values = dict(zip(names, match.groups(), strict=True))
                return self._plan(template, method), values
        return None

    def _plan(self, template: str, method: str) -> _OperationPlan:
        key = (template, method)
        plan = self._plans.get(key)
        if plan is None:
            operation = self.spec / "paths" / template / method
            responses = operation / "responses" if "responses" in operation else None
            keys = (
                frozenset(str(k) for k in responses.keys())
                if responses
                else frozenset()
            )
            plan = _OperationPlan(
                template=template,
                method=method,
                request=self._compile_request(template, method),
                response_keys=keys,
            )
            self._plans[key] = plan
        return plan

    # Compiling

    def _compile_request(self, template: str, method: str) -> _RequestPlan | None:
        path_item = self.spec / "paths" / template
        operation = path_item / method
        try:
            params = self._compile_params(path_item, operation)
            body = None
            required = False
            if "requestBody" in operation:
                request_body = operation / "requestBody"
                body = self._compile_content(request_body / "content", "write")
                required = (request_body / "required").read_bool(default=False)
            return _RequestPlan(
                self._compile_security(operation), params, body, required
            )
        except UnsupportedSchema:
            return None

    def _compile_params(
        self, path_item: SchemaPath, operation: SchemaPath
    ) -> list[_ValueCheck]:
        checks: list[_ValueCheck] = []
        seen: set[tuple[str, str]] = set()
        for owner in (operation, path_item):
            if "parameters" not in owner:
                continue
            for param in owner / "parameters":
                name = (param / "name").read_str()
                location = (param / "in").read_str()
                if (name, location) in seen:
                    continue
                seen.add((name, location))
                if location == "cookie":
                    raise UnsupportedSchema("cookie parameter")
                checks.append(self._compile_value(param, name, location, "write"))
        return checks

    def _compile_value(
        self, item: SchemaPath, name: str, location: str, mode: Mode
    ) -> _ValueCheck:
        unsupported = {"content", "style", "explode", "allowEmptyValue", "deprecated"}
        if any(key in item for key in unsupported) or "schema" not in item:
            raise UnsupportedSchema(f"parameter {name} uses a feature not compiled")
        schema = item / "schema"
        with schema.resolve() as resolved:
            contents = resolved.contents
        schema_type = contents.get("type") if isinstance(contents, dict) else None
        if schema_type not in _CASTS or "default" in contents:
            raise UnsupportedSchema(f"parameter {name} has a non-primitive schema")
        return _ValueCheck(
            # Header names are compared in lower case, as werkzeug does.
            name=name.lower() if location == "header" else name,
            location=location,
            required=(item / "required").read_bool(default=False),
            cast=_CASTS[schema_type],
            validator=compile_schema(schema, mode),
        )

    def _compile_content(self, content: SchemaPath, mode: Mode) -> _ContentCheck:
        media: dict[str, Any] = {}
        for key, media_type in content.str_items():
            media[key] = (
                compile_schema(media_type / "schema", mode)
                if "schema" in media_type
                else None
            )
        return _ContentCheck(
            media=media,
            json_types=self.loaded.json_media_types,
            has_wildcard=any("*" in key for key in media),
        )

    def _compile_security(
        self, operation: SchemaPath
    ) -> list[list[tuple[str, str, str]]] | None:
        if "security" in operation:
            security = operation / "security"
        elif "security" in self.spec:
            security = self.spec / "security"
        else:
            return None
        schemes = self.spec.get("components", SchemaPath.from_dict({})).get(
            "securitySchemes", SchemaPath.from_dict({})
        )
        requirements = []
        for requirement in security:
            checks = []
            for scheme_name in requirement.str_keys():
                if scheme_name not in schemes:
                    continue
                scheme = schemes / scheme_name
                kind = (scheme / "type").read_str()
                if kind == "apiKey":
                    checks.append(
                        (
                            "apiKey",
                            (scheme / "in").read_str(),
                            (scheme / "name").read_str(),
                        )
                    )
                elif kind == "http":
                    checks.append(("http", "header", str(scheme["scheme"])))
                # openapi-core accepts oauth2 and openIdConnect without a check.
            requirements.append(checks)
        return requirements

    def _compile_response(
        self, template: str, method: str, key: str
    ) -> _ResponsePlan | None:
        response = self.spec / "paths" / template / method / "responses" / key
        try:
            body = (
                self._compile_content(response / "content", "read")
                if "content" in response
                else None
            )
            headers = []
            if "headers" in response:
                for name, header in (response / "headers").str_items():
                    if name.lower() == "content-type":
                        continue
                    headers.append(self._compile_value(header, name, "header", "read"))
            return _ResponsePlan(body, headers)
        except UnsupportedSchema:
            return None

    # Checking

    def _check_request(
        self, plan: _RequestPlan | None, request: Any, path_values: dict[str, str]
    ) -> bool | None:
        if plan is None:
            return None
        sources = {
            "path": path_values,
            "query": request.query_values,
            "header": request.header_values,
            "cookie": request.cookie_values,
        }
        if plan.security and not any(
            _security_met(checks, sources) for checks in plan.security
        ):
            return False
        for check in plan.params:
            verdict = _check_value(check, sources[check.location])
            if verdict is not True:
                return verdict
        if plan.body is None:
            return True
        if not request.body:
            return not plan.body_required
        return _check_body(plan.body, request.content_type, request.body)

    def _check_response(self, plan: _OperationPlan, response: Any) -> bool | None:
        key = self._response_key(plan, response.status_code)
        if key is None:
            return False
        response_plan = plan.responses[key]
        if response_plan is None:
            return None
        for check in response_plan.headers:
            verdict = _check_value(check, response.header_values)
            if verdict is not True:
                return verdict
        if response_plan.body is None:
            return True
        if not response.data:
            return False
        return _check_body(response_plan.body, response.content_type, response.data)

    def _response_key(self, plan: _OperationPlan, status: int) -> str | None:
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in plan.response_keys:
                if key not in plan.responses:
                    plan.responses[key] = self._compile_response(
                        plan.template, plan.method, key
                    )
                return key
        return None


def _security_met(checks: list[tuple[str, str, str]], sources: dict[str, Any]) -> bool:
    for kind, location, name in checks:
        if kind == "apiKey":
            key = name.lower() if location == "header" else name
            if key not in sources[location]:
                return False
        else:
            authorization = sources["header"].get("authorization")
            if authorization is None or " " not in authorization:
                return False
            if authorization.split(" ", 1)[0].lower() != name:
                return False
    return True


def _check_value(check: _ValueCheck, source: Any) -> bool | None:
    if check.name not in source:
        return not check.required
    raw = source[check.name]
    if check.location == "query" and raw == "":
        return False
    try:
        value = check.cast(raw) if check.cast is not None else raw
    except ValueError:
        return False
    return bool(check.validator.is_valid(value))


def _check_body(content: _ContentCheck, content_type: str, body: bytes) -> bool | None:
    essence = content_type.split(";", 1)[0].strip().lower()
    key = content_type if content_type in content.media else essence
    if key not in content.media:
        if content.has_wildcard and any(
            fnmatch(essence, pattern) for pattern in content.media
        ):
            return None
        return False
    if essence not in content.json_types:
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    validator = content.media[key]
    return True if validator is None else bool(validator.is_valid(document))
