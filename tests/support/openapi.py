"""OpenAPI checks of hand-built exchanges, for the adapters' mapping tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from carecert.adapters.provider import ProviderInfo
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)

FHIR_JSON = "application/fhir+json"


@cache
def _validator_for(path: Path) -> SpecValidator:
    return SpecValidator(path, fast=False)


def openapi_validator(info: ProviderInfo) -> SpecValidator:
    """Return a strict validator for the provider's own OpenAPI description.

    One validator per description is kept for the whole test session,
    because loading a description is slow and the Hypothesis tests validate
    many generated exchanges.
    """
    path = info.openapi_path()
    assert path is not None, f"{info.id} declares no OpenAPI description"
    return _validator_for(path)


def json_wire(payload: Any) -> bytes:
    """Encode ``payload`` as UTF-8 JSON, non-ASCII characters kept as sent."""
    return json.dumps(payload, ensure_ascii=False).encode()


def check_fhir_exchange(
    info: ProviderInfo,
    method: str,
    url: str,
    status: int,
    payload: Any,
    body: Any = None,
    *,
    created_location: str,
    **headers: str,
) -> None:
    """Validate one FHIR JSON exchange with a Bearer token against the description.

    ``created_location`` is the Location header sent with a 201 response.
    """
    request_headers = {"Authorization": "Bearer test", "Accept": FHIR_JSON, **headers}
    content = None
    if body is not None:
        request_headers["Content-Type"] = FHIR_JSON
        content = json_wire(body)
    response_headers = {"Content-Type": FHIR_JSON}
    if status == 201:
        response_headers["Location"] = created_location
    openapi_validator(info).validate_exchange(
        None,
        None,
        ExchangeRequest(method, url, request_headers, content),
        ExchangeResponse(status, response_headers, json_wire(payload)),
    )
