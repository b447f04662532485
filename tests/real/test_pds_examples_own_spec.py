"""NHS Digital's published Patient examples conform to carecert's own description.

carecert describes the PDS Patient read in adapters/nhs/openapi.yaml. Each
published Patient, sent as the 200 body of that read, must pass both that
description and the published one, with and without a charset parameter.
A body without a field carecert's description requires must fail at the
place of that field.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from carecert.adapters.nhs.endpoints import ENVIRONMENT_HOSTS, PDS_BASE_PATH
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.errors import ConformanceFailure

from ..realdata import PDS_EXAMPLES, require_real
from .conftest import PublishedSpec, load_json, patient_read_files

PDS_SANDBOX = f"https://{ENVIRONMENT_HOSTS['sandbox']}{PDS_BASE_PATH}"
REQUEST_ID = "60e0b220-8136-4ca5-ae46-1d97ef59d068"
CONTENT_TYPES = ["application/fhir+json", "application/fhir+json; charset=utf-8"]
PATIENT_FILES = patient_read_files()
VALIDATOR_NAMES = [
    "own-compiled",
    "own-openapi-core",
    "published-compiled",
    "published-openapi-core",
]


@pytest.fixture(scope="module")
def validators(
    own_spec_path: Path, pds_spec: PublishedSpec
) -> dict[str, SpecValidator]:
    """carecert's and the published description, each through both check paths."""
    return {
        "own-compiled": SpecValidator(own_spec_path),
        "own-openapi-core": SpecValidator(own_spec_path, fast=False),
        "published-compiled": SpecValidator(pds_spec.loaded),
        "published-openapi-core": SpecValidator(pds_spec.loaded, fast=False),
    }


def patient_read(patient_id: str) -> ExchangeRequest:
    return ExchangeRequest(
        "GET", f"{PDS_SANDBOX}/Patient/{patient_id}", {"X-Request-ID": REQUEST_ID}
    )


def patient_body(resource: Any, content_type: str) -> ExchangeResponse:
    return ExchangeResponse(200, {"Content-Type": content_type}, orjson.dumps(resource))


def without(resource: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """Return a copy of ``resource`` with the element at ``path`` removed."""
    changed = copy.deepcopy(resource)
    parent: Any = changed
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return changed


@pytest.mark.parametrize("validator_name", VALIDATOR_NAMES)
@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=["plain", "charset"])
@pytest.mark.parametrize("path", PATIENT_FILES)
def test_published_patient_conforms(
    path: Path,
    content_type: str,
    validator_name: str,
    validators: dict[str, SpecValidator],
) -> None:
    validator = validators[validator_name]
    body = path.read_bytes()
    resource = orjson.loads(body)

    validator.validate_exchange(
        None,
        None,
        patient_read(resource["id"]),
        ExchangeResponse(200, {"Content-Type": content_type}, body),
    )

    assert validator.disagreements == 0


@pytest.mark.parametrize(
    ("removed", "location"),
    [
        (("id",), "$"),
        (("identifier",), "$"),
        (("resourceType",), "$"),
        (("identifier", 0, "value"), "$.identifier[0]"),
        (("name", 0, "family"), "$.name[0]"),
    ],
    ids=["id", "identifier", "resourceType", "identifier-value", "name-family"],
)
@pytest.mark.parametrize("validator_name", ["own-compiled", "own-openapi-core"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=["plain", "charset"])
def test_missing_required_field_fails(
    removed: tuple[str | int, ...],
    location: str,
    validator_name: str,
    content_type: str,
    validators: dict[str, SpecValidator],
) -> None:
    resource = load_json(require_real(f"{PDS_EXAMPLES}/Patient.json"))
    request = patient_read(resource["id"])
    broken = patient_body(without(resource, *removed), content_type)

    with pytest.raises(ConformanceFailure) as caught:
        validators[validator_name].validate_exchange(None, None, request, broken)

    failure = caught.value
    assert failure.part == "response"
    assert failure.location == location
    assert failure.expected.startswith("required: ")
    assert failure.received == f"object without [{removed[-1]!r}]"
    assert f"'{removed[-1]}' is a required property" in failure.message
