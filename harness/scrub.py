"""Replace credentials in recorded traffic before anything is written.

Credential headers, secret form fields, secret JSON keys and secret query
parameters are replaced with ``PLACEHOLDER``. JWTs, and the assertion fields
of RFC 7521 token requests, are replaced with ``JWT_PLACEHOLDER``, which keeps
a JWT's three-segment shape so that recorded requests still conform. The placeholder
keeps the recording replayable: carecert matches requests on method and URI,
and the scrubbed URI is matched against the equally scrubbed live request.

Use ``scrub_request`` and ``scrub_response`` as vcrpy's
``before_record_request`` and ``before_record_response`` hooks, and
``scrub_interaction`` on a cassette interaction in its file form. Each returns
a scrubbed copy and leaves its argument unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import orjson
from vcr.request import Request

from carecert.harness.secrets import (
    ALWAYS_SECRET_FORM_FIELDS,
    BEARER_PATTERN,
    JSON_SECRET_KEYS,
    JSON_SECRET_MEMBER,
    JWT_PATTERN,
    JWT_PLACEHOLDER,
    OAUTH_FORM_FIELDS,
    PLACEHOLDER,
    QUERY_SECRET_PARAMS,
    is_secret_header,
)

__all__ = [
    "PLACEHOLDER",
    "scrub_body",
    "scrub_header_value",
    "scrub_headers",
    "scrub_interaction",
    "scrub_request",
    "scrub_response",
    "scrub_uri",
]

_QUOTED_PLACEHOLDER = quote_plus(PLACEHOLDER)
_JWT_FORM_FIELDS = frozenset({"client_assertion", "assertion"})
_JSON_KEY_HINT = re.compile(r'"(?:' + "|".join(JSON_SECRET_KEYS) + r')"\s*:')
_FORM_BODY = re.compile(r"^[\w.%+~-]+=[^\s]*$")
_QUERY_PARAMS = frozenset(name.lower() for name in QUERY_SECRET_PARAMS)
_JSON_KEYS = frozenset(JSON_SECRET_KEYS)


def scrub_header_value(name: str, value: str) -> str:
    """Return ``value`` with its credentials replaced if ``name`` is a secret header.

    The authentication scheme (``Bearer``, ``Basic``) and cookie names and
    attributes are kept, so the recording still shows how the client
    authenticated.
    """
    if not is_secret_header(name):
        return _replace_jwts(value)
    if not value:
        return value
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, space, _ = value.partition(" ")
        return f"{scheme} {PLACEHOLDER}" if space else PLACEHOLDER
    if lowered == "cookie":
        return "; ".join(_scrub_cookie_pair(pair) for pair in value.split(";"))
    if lowered == "set-cookie":
        pair, separator, attributes = value.partition(";")
        return _scrub_cookie_pair(pair) + separator + attributes
    return PLACEHOLDER


def _scrub_cookie_pair(pair: str) -> str:
    name, _, _ = pair.strip().partition("=")
    return f"{name}={PLACEHOLDER}"


def scrub_headers(headers: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Return a copy of name-to-values headers with credentials replaced."""
    return {
        name: [scrub_header_value(name, value) for value in values]
        for name, values in headers.items()
    }


def scrub_uri(uri: str) -> str:
    """Return ``uri`` with secret query parameters and JWTs replaced."""
    base, question, rest = uri.partition("?")
    if question:
        query, hash_mark, fragment = rest.partition("#")
        pairs = [_scrub_query_pair(pair) for pair in query.split("&")]
        uri = base + question + "&".join(pairs) + hash_mark + fragment
    return _replace_jwts(uri)


def _scrub_query_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    if equals and unquote_plus(name).lower() in _QUERY_PARAMS:
        return f"{name}={_QUOTED_PLACEHOLDER}"
    return pair


def scrub_body(body: bytes | str | None, content_type: str | None) -> Any:
    """Return ``body`` with secret form fields, JSON keys and JWTs replaced.

    The result has the type of ``body``. A body that is not UTF-8 text is
    returned unchanged, and the secret scan skips such bodies too. An unchanged
    body is returned as the same object, so its bytes stay exactly as recorded.
    """
    if not body:
        return body
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    else:
        text = body
    scrubbed = _scrub_text(text, (content_type or "").lower())
    if scrubbed is text:
        return body
    return scrubbed.encode("utf-8") if isinstance(body, bytes) else scrubbed


def _scrub_text(text: str, content_type: str) -> str:
    first = text.lstrip()[:1]
    if "json" in content_type or (first in ("{", "[") and "form" not in content_type):
        result = _scrub_json(text)
    elif "x-www-form-urlencoded" in content_type or _FORM_BODY.match(text):
        result = _scrub_form(text)
    else:
        result = _scrub_json_members(text) if _JSON_KEY_HINT.search(text) else text
    replaced = _replace_jwts(result)
    return text if replaced == text else replaced


def _scrub_json(text: str) -> str:
    if not _JSON_KEY_HINT.search(text):
        return text
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _scrub_json_members(text)
    if not _scrub_json_value(document):
        return text
    return orjson.dumps(document).decode("utf-8")


def _scrub_json_members(text: str) -> str:
    """Replace secret string members in text that is not one JSON document."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) in ("", PLACEHOLDER):
            return match.group(0)
        value_start = match.start(2) - match.start(0)
        return match.group(0)[:value_start] + PLACEHOLDER + '"'

    return JSON_SECRET_MEMBER.sub(replace, text)


def _scrub_json_value(value: Any) -> bool:
    """Replace secret keys of parsed JSON in place, returning True on a change."""
    changed = False
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                key in _JSON_KEYS
                and isinstance(item, str)
                and item not in ("", PLACEHOLDER)
            ):
                value[key] = PLACEHOLDER
                changed = True
            elif _scrub_json_value(item):
                changed = True
    elif isinstance(value, list):
        for item in value:
            if _scrub_json_value(item):
                changed = True
    return changed


def _scrub_form(text: str) -> str:
    pairs = text.split("&")
    names = [unquote_plus(pair.partition("=")[0]) for pair in pairs]
    secret_fields = set(ALWAYS_SECRET_FORM_FIELDS)
    if "grant_type" in names:
        secret_fields.update(OAUTH_FORM_FIELDS)
    scrubbed = [
        f"{pair.partition('=')[0]}={_form_placeholder(name)}"
        if name in secret_fields and "=" in pair
        else pair
        for pair, name in zip(pairs, names, strict=True)
    ]
    return "&".join(scrubbed)


def _form_placeholder(name: str) -> str:
    # RFC 7521 assertions are JWTs in the flows carecert records, so they keep
    # a JWT's shape and a recorded token request still validates.
    return JWT_PLACEHOLDER if name in _JWT_FORM_FIELDS else _QUOTED_PLACEHOLDER


def _replace_jwts(text: str) -> str:
    # Bearer credentials outside the Authorization header (in other headers or
    # in bodies) are replaced too, keeping the "Bearer" scheme word.
    if "eyJ" in text:
        text = JWT_PATTERN.sub(JWT_PLACEHOLDER, text)
    if "earer" in text or "EARER" in text:
        text = BEARER_PATTERN.sub(
            lambda m: f"{m.group(0).split()[0]} {PLACEHOLDER}", text
        )
    return text


def scrub_request(request: Request) -> Request:
    """Return a scrubbed copy of a vcrpy request (a ``before_record_request`` hook)."""
    headers = {
        name: scrub_header_value(name, value) for name, value in request.headers.items()
    }
    body = getattr(request, "body_bytes", request.body)
    content_type = request.headers.get("Content-Type")
    scrubbed_body = scrub_body(body, content_type)
    if scrubbed_body is not body:
        _set_content_length(headers, len(scrubbed_body))
    return Request(request.method, scrub_uri(request.uri), scrubbed_body, headers)


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Return a scrubbed copy of a vcrpy response (``before_record_response``)."""
    headers = scrub_headers(response.get("headers") or {})
    body = dict(response.get("body") or {})
    original = body.get("string")
    scrubbed_body = scrub_body(original, _content_type(headers))
    if scrubbed_body is not original:
        body["string"] = scrubbed_body
        _set_content_length_list(headers, len(_as_bytes(scrubbed_body)))
    return {**response, "headers": headers, "body": body}


def scrub_interaction(interaction: Mapping[str, Any]) -> dict[str, Any]:
    """Return a scrubbed copy of an interaction in the cassette file form.

    Request bodies are text, ``None`` or ``{"base64": ...}``, and response bodies
    are ``{"string": text}`` or ``{"base64": ...}``. Base64 bodies are kept.
    """
    request = dict(interaction["request"])
    request_headers = scrub_headers(request.get("headers") or {})
    request["uri"] = scrub_uri(request["uri"])
    body = request.get("body")
    if isinstance(body, str):
        scrubbed = scrub_body(body, _content_type(request_headers))
        if scrubbed is not body:
            request["body"] = scrubbed
            _set_content_length_list(request_headers, len(_as_bytes(scrubbed)))
    request["headers"] = request_headers

    response = dict(interaction["response"])
    response_headers = scrub_headers(response.get("headers") or {})
    response_body = response.get("body")
    if isinstance(response_body, Mapping) and isinstance(
        response_body.get("string"), str
    ):
        original = response_body["string"]
        scrubbed = scrub_body(original, _content_type(response_headers))
        if scrubbed is not original:
            response["body"] = {**response_body, "string": scrubbed}
            _set_content_length_list(response_headers, len(_as_bytes(scrubbed)))
    response["headers"] = response_headers
    return {**interaction, "request": request, "response": response}


def _content_type(headers: Mapping[str, list[str]]) -> str | None:
    for name, values in headers.items():
        if name.lower() == "content-type" and values:
            return values[0]
    return None


def _as_bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def _set_content_length(headers: dict[str, str], length: int) -> None:
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = str(length)


def _set_content_length_list(headers: dict[str, list[str]], length: int) -> None:
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [str(length)]
