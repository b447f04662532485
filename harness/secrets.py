"""Find credentials left in a cassette before it is replayed.

A cassette is checked in its file form (see carecert.harness.cassette): header
values, the URI and text bodies are scanned with precompiled regular
expressions, and nothing is parsed. Values equal to
``PLACEHOLDER`` (what carecert.harness.scrub writes) are not secrets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote_plus

from carecert.harness.errors import CassetteSecretError

__all__ = [
    "ALWAYS_SECRET_FORM_FIELDS",
    "JSON_SECRET_KEYS",
    "JSON_SECRET_MEMBER",
    "JWT_PATTERN",
    "OAUTH_FORM_FIELDS",
    "BEARER_PATTERN",
    "JWT_PLACEHOLDER",
    "PLACEHOLDER",
    "SCRUBBED_VALUES",
    "QUERY_SECRET_PARAMS",
    "SecretFinding",
    "check_cassette",
    "find_secrets",
    "is_secret_header",
    "is_scrubbed_header_value",
]

PLACEHOLDER = "<scrubbed>"
"""Value that replaces every credential. Replay does not match on it."""

JWT_PLACEHOLDER = "scrubbed.scrubbed.scrubbed"
"""Replacement for a JWT. It has a JWS's three dot-separated segments, so a
field that the provider's description requires to be a JWT still conforms.
It has no "eyJ" header, so it cannot be mistaken for, or used as, a token."""

SCRUBBED_VALUES = frozenset({"", PLACEHOLDER, JWT_PLACEHOLDER})
"""Values that count as scrubbed where a credential would otherwise be."""

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "apikey",
        "api-key",
        "x-api-key",
        "x-apikey",
        "x-auth-token",
        "x-access-token",
        "x-amz-security-token",
        "ocp-apim-subscription-key",
        "x-client-secret",
        "nhsd-user-identity",
    }
)
_SECRET_HEADER_SUFFIX = re.compile(r"(?:api[-_]?key|[-_](?:token|secret|password))$")

JSON_SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    # camelCase and bare names that provider JSON APIs use for the same values
    "accessToken",
    "refreshToken",
    "idToken",
    "clientSecret",
    "apiKey",
    "api_key",
    "token",
    "secret",
)
ALWAYS_SECRET_FORM_FIELDS = (
    "client_assertion",
    "client_secret",
    "assertion",
    "password",
    "refresh_token",
    "access_token",
    "id_token",
)
OAUTH_FORM_FIELDS = ("code", "code_verifier")
"""Form fields that are secrets only in an OAuth request (one with grant_type).
In a FHIR search posted as a form, ``code`` is a clinical code."""

QUERY_SECRET_PARAMS = (
    "access_token",
    "apikey",
    "api_key",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "id_token",
)

BEARER_PATTERN = re.compile(
    r"\bBearer\s+(?!<scrubbed>|scrubbed\.scrubbed\.scrubbed\b)[A-Za-z0-9._~+/-]{6,}=*",
    re.IGNORECASE,
)
"""An RFC 6750 bearer credential ("Bearer" and a token of six or more
characters) that is not a placeholder, wherever it appears in text."""

JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
"""A JWS compact serialisation: base64url JSON header ("eyJ" is '{"'),
payload and a signature that may be empty."""

JSON_SECRET_MEMBER = re.compile(
    r'"(' + "|".join(JSON_SECRET_KEYS) + r')"\s*:\s*"((?:[^"\\]|\\.)*)"'
)
_FORM_SECRET = re.compile(
    r"(?:^|&)(" + "|".join(ALWAYS_SECRET_FORM_FIELDS + OAUTH_FORM_FIELDS) + r")=([^&]*)"
)
_QUERY_SECRET = re.compile(
    r"[?&](" + "|".join(QUERY_SECRET_PARAMS) + r")=([^&#]*)", re.IGNORECASE
)
_GRANT_TYPE = re.compile(r"(?:^|&)grant_type=")
_SCRUBBED_CREDENTIALS = re.compile(
    r"^(?:[A-Za-z0-9._~+/-]+ )?" + re.escape(PLACEHOLDER) + "$"
)


class SecretFinding:
    """One credential found in a cassette: where it is and what kind it is."""

    __slots__ = ("kind", "location")

    def __init__(self, location: str, kind: str) -> None:
        self.location = location
        self.kind = kind

    def __repr__(self) -> str:
        return f"SecretFinding({self.location!r}, {self.kind!r})"


def is_secret_header(name: str) -> bool:
    """Return True if a header with this name carries credentials."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_HEADER_SUFFIX.search(lowered))


def is_scrubbed_header_value(name: str, value: str) -> bool:
    """Return True if ``value`` of the secret header ``name`` contains no credential."""
    if not value:
        return True
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        return bool(_SCRUBBED_CREDENTIALS.match(value))
    if lowered == "cookie":
        return all(_cookie_value(pair) == PLACEHOLDER for pair in value.split(";"))
    if lowered == "set-cookie":
        return _cookie_value(value.split(";", 1)[0]) == PLACEHOLDER
    return value == PLACEHOLDER


def _cookie_value(pair: str) -> str:
    _, _, value = pair.strip().partition("=")
    return value.strip()


def find_secrets(data: Mapping[str, Any]) -> Iterator[SecretFinding]:
    """Yield every credential found in a cassette in its file form.

    Binary bodies (stored as base64) are not scanned.
    """
    interactions = data.get("interactions")
    if not isinstance(interactions, list):
        return
    for index, interaction in enumerate(interactions):
        if not isinstance(interaction, Mapping):
            continue
        for part in ("request", "response"):
            message = interaction.get(part)
            if isinstance(message, Mapping):
                yield from _scan_message(f"interactions[{index}].{part}", message)


def check_cassette(data: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Raise CassetteSecretError for the first credential found in ``data``."""
    for finding in find_secrets(data):
        raise CassetteSecretError(path, finding.location, finding.kind)


def _scan_message(prefix: str, message: Mapping[str, Any]) -> Iterator[SecretFinding]:
    uri = message.get("uri")
    if isinstance(uri, str):
        yield from _scan_uri(f"{prefix}.uri", uri)
    headers = message.get("headers")
    content_type = ""
    if isinstance(headers, Mapping):
        for name, values in headers.items():
            if not isinstance(values, list):
                continue
            if name.lower() == "content-type" and values:
                content_type = str(values[0]).lower()
            yield from _scan_header(f"{prefix}.headers.{name}", name, values)
    text = _body_text(message.get("body"))
    if text:
        yield from _scan_body(f"{prefix}.body", text, content_type)


def _scan_uri(location: str, uri: str) -> Iterator[SecretFinding]:
    for match in _QUERY_SECRET.finditer(uri):
        if unquote_plus(match.group(2)) not in SCRUBBED_VALUES:
            yield SecretFinding(f"{location}: {match.group(1)}", "credential in query")
    if JWT_PATTERN.search(uri):
        yield SecretFinding(location, "JWT")
    if BEARER_PATTERN.search(uri):
        yield SecretFinding(location, "bearer token")


def _scan_header(
    location: str, name: str, values: list[Any]
) -> Iterator[SecretFinding]:
    secret_header = is_secret_header(name)
    for value in values:
        if not isinstance(value, str):
            continue
        if secret_header and not is_scrubbed_header_value(name, value):
            yield SecretFinding(location, _header_kind(name, value))
        elif JWT_PATTERN.search(value):
            yield SecretFinding(location, "JWT")
        elif BEARER_PATTERN.search(value):
            yield SecretFinding(location, "bearer token")


def _header_kind(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme = value.split(" ", 1)[0] if " " in value else "unknown scheme"
        return f"credentials ({scheme})"
    if lowered in ("cookie", "set-cookie"):
        return "cookie value"
    return "API key or token"


def _body_text(body: Any) -> str | None:
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping) and isinstance(body.get("string"), str):
        return str(body["string"])
    return None


def _scan_body(location: str, text: str, content_type: str) -> Iterator[SecretFinding]:
    # JSON members are looked for in every text body, because JSON also
    # appears inside HTML and other text.
    for match in JSON_SECRET_MEMBER.finditer(text):
        if match.group(2) not in ("", PLACEHOLDER):
            yield SecretFinding(f"{location}: {match.group(1)}", "token or secret")
    if text.lstrip()[:1] not in ("{", "[") and (
        "x-www-form-urlencoded" in content_type or "=" in text
    ):
        yield from _scan_form(location, text)
    if JWT_PATTERN.search(text):
        yield SecretFinding(location, "JWT")
    if BEARER_PATTERN.search(text):
        yield SecretFinding(location, "bearer token")


def _scan_form(location: str, text: str) -> Iterator[SecretFinding]:
    oauth = bool(_GRANT_TYPE.search(text))
    for match in _FORM_SECRET.finditer(text):
        field = match.group(1)
        if field in OAUTH_FORM_FIELDS and not oauth:
            continue
        if unquote_plus(match.group(2)) not in SCRUBBED_VALUES:
            yield SecretFinding(f"{location}: {field}", "form credential")
