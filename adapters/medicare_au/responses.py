"""Map Medicare and My Health Record HTTP failures and bodies to carecert errors."""

from __future__ import annotations

from typing import Any

import httpx

from carecert.adapters.errors import ProviderError
from carecert.adapters.fhir import responses
from carecert.adapters.fhir.responses import ErrorAdvice

__all__ = [
    "ACCESS_CODE_INVALID",
    "ACCESS_CODE_REQUIRED",
    "RecordAccessCodeError",
    "parse_json",
    "raise_for_status",
]

ACCESS_CODE_REQUIRED = "ACCESS_CODE_REQUIRED"
"""Error code for a record whose patient set an access code that was not sent."""

ACCESS_CODE_INVALID = "ACCESS_CODE_INVALID"
"""Error code for a record access code that does not match the patient's."""

_ADVICE = ErrorAdvice(
    authentication="the organisation was not authenticated. Check that "
    "pki_certificate is the NASH PKI certificate registered for hpi_o.",
    not_found="no such record. Check the IHI, and whether the patient has a "
    "My Health Record.",
    rate_limit="the request rate limit",
    rejected="the service rejected the request. The issue code says which "
    "value to fix.",
    url_check="Check that mhr_base and claiming_base point at the FHIR APIs.",
)


class RecordAccessCodeError(ProviderError):
    """The patient protects their record with an access code that was missing
    or wrong."""


def raise_for_status(provider: str, operation: str, response: httpx.Response) -> None:
    """Raise the carecert error for a non-2xx response; return on success."""
    code = responses.outcome_code(response) if response.status_code == 403 else None
    if code == ACCESS_CODE_REQUIRED:
        raise RecordAccessCodeError(
            provider,
            operation,
            f"HTTP 403 {code}: the patient restricted their My Health Record "
            "with a record access code. Ask the patient for it and pass it as "
            "access_code.",
        )
    if code == ACCESS_CODE_INVALID:
        raise RecordAccessCodeError(
            provider,
            operation,
            f"HTTP 403 {code}: the record access code was not accepted. Check the "
            "code with the patient; it may have been changed.",
        )
    responses.raise_for_status(provider, operation, response, _ADVICE)


def parse_json(provider: str, operation: str, response: httpx.Response) -> Any:
    """Return the response body parsed as JSON, or raise InvalidResponseError."""
    return responses.parse_json(provider, operation, response, _ADVICE)
