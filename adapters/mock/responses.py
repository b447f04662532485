"""JSON and FHIR responses and OperationOutcome errors of the simulators."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from carecert.adapters.fhir.elements import FHIR_JSON

__all__ = ["fhir_response", "json_response", "operation_outcome", "outcome_response"]


def json_response(
    content: Any,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    """Return ``content`` as JSON with json.dumps' default ", " and ": " separators.

    The parameters are those of Starlette's JSONResponse, which writes compact
    JSON instead, so a caller can pass either one where a simulator needs the
    body it has always sent.
    """
    body = json.dumps(content, ensure_ascii=False).encode()
    return Response(
        body, status_code=status_code, headers=headers, media_type=media_type
    )


def fhir_response(
    resource: Mapping[str, Any], *, status_code: int = 200, location: str | None = None
) -> Response:
    """Return a FHIR resource as application/fhir+json, with an optional Location."""
    headers = {"Location": location} if location is not None else None
    return json_response(
        resource, status_code=status_code, headers=headers, media_type=FHIR_JSON
    )


def operation_outcome(
    code: str,
    system: str,
    detail: str,
    *,
    version: str | None = None,
    diagnostics: str | None = None,
) -> dict[str, Any]:
    """Build an OperationOutcome with one error issue.

    ``code`` is the FHIR IssueType, and ``detail`` is the code of the issue's
    details in ``system`` (at ``version``, if given). ``diagnostics`` is free
    text for the client, such as the line and field to fix.
    """
    coding: dict[str, str] = {"system": system}
    if version is not None:
        coding["version"] = version
    coding["code"] = detail
    issue: dict[str, Any] = {
        "severity": "error",
        "code": code,
        "details": {"coding": [coding]},
    }
    if diagnostics is not None:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(
    status: int,
    code: str,
    detail: str,
    *,
    system: str,
    logger: logging.Logger,
    diagnostics: str | None = None,
) -> Response:
    """Log a rejected request and return its OperationOutcome as a FHIR response."""
    if diagnostics is None:
        logger.info("request rejected: HTTP %d %s", status, detail)
    else:
        logger.info("request rejected: HTTP %d %s %s", status, detail, diagnostics)
    outcome = operation_outcome(code, system, detail, diagnostics=diagnostics)
    return fhir_response(outcome, status_code=status)
