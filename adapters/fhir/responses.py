"""Map HTTP failures and bodies of a FHIR R4 API to carecert errors.

The provider-JSON adapters (CVS, AXA) use it too, with their own reader of
the error code. Messages name the provider, the operation, the HTTP status,
the code from the OperationOutcome and what to do next. They leave out the diagnostics
text, because a FHIR server may echo request values there, and PDS does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from carecert.adapters.errors import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ResourceNotFoundError,
)
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.resilience.policy import parse_retry_after

__all__ = [
    "ErrorAdvice",
    "map_body",
    "outcome_code",
    "parse_json",
    "raise_for_status",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class ErrorAdvice:
    """Adapter-specific text of the error messages, each a sentence or more.

    ``rate_limit`` is the subject of "... was exceeded", such as "the rate
    limit". ``url_check`` ends the message for a body that is not JSON.
    """

    authentication: str
    not_found: str
    rate_limit: str
    rejected: str
    url_check: str


def raise_for_status(
    provider: str,
    operation: str,
    response: httpx.Response,
    advice: ErrorAdvice,
    *,
    error_code: Callable[[httpx.Response], str | None] | None = None,
) -> None:
    """Raise the carecert error for a non-2xx response; return on success.

    ``error_code`` reads the provider's error code from the body; the default
    reads an OperationOutcome. APIs that are not FHIR pass their own reader.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    code = (error_code or outcome_code)(response)
    got = f"HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        raise AuthenticationError(
            provider, operation, f"{got}: {advice.authentication}"
        )
    if status == 404:
        raise ResourceNotFoundError(provider, operation, f"{got}: {advice.not_found}")
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"after {retry_after:.0f} s" if retry_after is not None else "later"
        raise RateLimitedError(
            provider,
            operation,
            f"{got}: {advice.rate_limit} was exceeded. Retry {wait}.",
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise ProviderUnavailableError(
            provider, operation, f"{got}: the service is unavailable. Retry later."
        )
    raise ProviderError(provider, operation, f"{got}: {advice.rejected}")


def parse_json(
    provider: str, operation: str, response: httpx.Response, advice: ErrorAdvice
) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        content_type = response.headers.get("Content-Type", "no Content-Type")
        raise InvalidResponseError(
            provider,
            operation,
            f"HTTP {response.status_code} body is not JSON ({content_type}). "
            f"{advice.url_check}",
        ) from exc


def map_body(
    provider: str,
    operation: str,
    what: str,
    mapper: Callable[[Any], _T],
    body: Any,
    *,
    value_errors: bool = False,
    mapping_errors: tuple[type[Exception], ...] = (MappingError,),
    advice: str = "Check that the endpoint serves FHIR R4.",
) -> _T:
    """Return ``mapper(body)``, or raise InvalidResponseError naming ``what``.

    ``mapping_errors`` (MappingError by default) and pydantic's
    ValidationError become InvalidResponseError, whose message ends with
    ``advice``. With ``value_errors``, a plain ValueError does too, for
    mappers that build enums from codes. Its text is left out because it
    contains the code.
    """
    try:
        return mapper(body)
    except mapping_errors as exc:
        problem = str(exc)
    except ValidationError as exc:
        # Field paths and error types only: the inputs are patient data.
        problem = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['type']}"
            for error in exc.errors(include_input=False)
        )
    except ValueError:
        if not value_errors:
            raise
        problem = "a coded value is invalid"
    raise InvalidResponseError(
        provider,
        operation,
        f"the {what} does not map to the canonical model ({problem}). {advice}",
    )


def outcome_code(response: httpx.Response) -> str | None:
    """Return the first issue's details code, or else its code, if any.

    The details coding is preferred because it is the more specific code,
    such as a Spine error code.
    """
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    issues = body.get("issue")
    for issue in issues if isinstance(issues, list) else ():
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        codings = details.get("coding") if isinstance(details, dict) else None
        for coding in codings if isinstance(codings, list) else ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
        if isinstance(issue.get("code"), str):
            return str(issue["code"])
    return None
