"""Map CVS HTTP failures and bodies to carecert errors.

CVS errors are ``{"error": {"code": "RX_NOT_FOUND", "message": "..."}}``.
Messages name the provider, the operation, the HTTP status, the error code
and what to do next. They leave out the error message text, because a
server may echo request values, such as a date of birth, there.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from carecert.adapters.fhir import responses as fhir_responses
from carecert.adapters.fhir.responses import ErrorAdvice

__all__ = ["error_code", "parse_json", "raise_for_status"]

_NOT_FOUND = {
    "check_prescription": "no prescription matches this Rx number and date of "
    "birth at this store. Check both against the label, and store_number.",
    "schedule_vaccination": "the store or patient was not found. Check "
    "store_number and patient_id.",
}


def error_code(response: httpx.Response) -> str | None:
    """Return ``error.code`` of a CVS error body, if it has one."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    fhir_responses.raise_for_status(
        provider, operation, response, _advice(operation), error_code=error_code
    )


def parse_json(provider: str, operation: str, response: httpx.Response) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    return fhir_responses.parse_json(provider, operation, response, _advice(operation))


def _advice(operation: str) -> ErrorAdvice:
    return ErrorAdvice(
        authentication="the access token or API key was rejected. Check "
        "client_id, client_secret, api_key and the granted scopes.",
        not_found=_NOT_FOUND.get(operation, "not found."),
        rate_limit="the rate limit",
        rejected="the service rejected the request. The error code says which "
        "value to fix.",
        url_check="Check that api_base points at the CVS API.",
    )
