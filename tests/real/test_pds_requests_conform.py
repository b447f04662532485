"""The adapter's PDS Patient reads conform to NHS Digital's published specification.

NHSInterface.get_patient_record runs against the in-process simulator in the
sandbox and integration environments. Every Patient GET it sends, and every
response the simulator returns, is validated against the published PDS
description and against carecert's own description of the same endpoint.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carecert.adapters.errors import ResourceNotFoundError
from carecert.adapters.nhs.endpoints import ENVIRONMENT_HOSTS
from carecert.adapters.nhs.synthetic import UNKNOWN_NHS_NUMBER, synthetic_patients
from carecert.harness.conformance import ExchangeRequest, SpecValidator
from carecert.harness.errors import ConformanceFailure

from .conftest import (
    AdapterRun,
    PublishedSpec,
    exchange_request,
    exchange_response,
)

NHS_NUMBERS = sorted(synthetic_patients())
PATIENT_READ_OPERATION = "/paths/~1Patient~1{id}/get"


@pytest.fixture(scope="module")
def pds_validators(pds_spec: PublishedSpec) -> dict[str, SpecValidator]:
    """Validators of the published description: compiled checks and openapi-core."""
    return {
        "compiled": SpecValidator(pds_spec.loaded),
        "openapi-core": SpecValidator(pds_spec.loaded, fast=False),
    }


@pytest.fixture(scope="module")
def own_validator(own_spec_path: Path) -> SpecValidator:
    return SpecValidator(own_spec_path, fast=False)


def published_request_id_pattern(pds_spec: PublishedSpec) -> str:
    parameter = pds_spec.loaded.spec / "components" / "parameters" / "RequestID"
    return str((parameter / "schema" / "pattern").read_value())


# Loading the published description


def test_spec_warnings_name_file_and_pointer(pds_spec: PublishedSpec) -> None:
    messages = [str(warning) for warning in pds_spec.warnings]

    assert messages, "the published PDS description loaded without a SpecWarning"
    for message in messages:
        assert str(pds_spec.path) in message
        assert re.search(r" at /paths/\S+/(get|post|patch)\b", message), message
    assert any(PATIENT_READ_OPERATION in message for message in messages)
    assert len(pds_spec.loaded.notes) == len(messages)


# Requests and responses of the adapter


@pytest.mark.asyncio
@pytest.mark.parametrize("nhs_number", NHS_NUMBERS)
async def test_patient_read_conforms(
    nhs_run: AdapterRun,
    nhs_number: str,
    pds_spec: PublishedSpec,
    pds_validators: dict[str, SpecValidator],
    own_validator: SpecValidator,
) -> None:
    record = await nhs_run.adapter.get_patient_record(nhs_number)

    reads = nhs_run.traffic.patient_reads()
    assert len(reads) == 1
    request, response = reads[0]
    assert request.url.host == ENVIRONMENT_HOSTS[nhs_run.environment]
    assert request.url.path.endswith(f"/Patient/{nhs_number}")
    assert request.url.query == b""
    assert re.fullmatch(
        published_request_id_pattern(pds_spec), request.headers["X-Request-ID"]
    )
    authorization = request.headers.get("Authorization")
    if nhs_run.environment == "sandbox":
        assert authorization is None
    else:
        # The published spec gives this regex under `format`, not `pattern`, so
        # schema validation ignores it and it is checked here.
        assert authorization is not None
        assert re.fullmatch(r"Bearer [\x00-\x7f]+", authorization)
    assert response.status_code == 200
    assert record.patient.id == nhs_number

    for validator in pds_validators.values():
        validator.validate_exchange(
            None, None, exchange_request(request), exchange_response(response)
        )
        assert validator.disagreements == 0
    own_validator.validate_exchange(
        None, None, exchange_request(request), exchange_response(response)
    )


@pytest.mark.asyncio
async def test_not_found_read_conforms(
    nhs_run: AdapterRun,
    pds_validators: dict[str, SpecValidator],
    own_validator: SpecValidator,
) -> None:
    with pytest.raises(ResourceNotFoundError):
        await nhs_run.adapter.get_patient_record(UNKNOWN_NHS_NUMBER)

    reads = nhs_run.traffic.patient_reads()
    assert len(reads) == 1
    request, response = reads[0]
    assert response.status_code == 404

    for validator in pds_validators.values():
        validator.validate_exchange(
            None, None, exchange_request(request), exchange_response(response)
        )
    own_validator.validate_exchange(
        None, None, exchange_request(request), exchange_response(response)
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "request_id",
    [None, "not-a-uuid", "123e4567e89b12d3a456426614174000"],
    ids=["missing", "not-a-uuid", "no-hyphens"],
)
async def test_bad_request_id_rejected(
    nhs_run: AdapterRun,
    pds_validators: dict[str, SpecValidator],
    request_id: str | None,
) -> None:
    """A missing or malformed X-Request-ID fails the published checks."""
    await nhs_run.adapter.get_patient_record(NHS_NUMBERS[0], "demographics")
    sent = exchange_request(nhs_run.traffic.patient_reads()[0][0])
    headers = [(k, v) for k, v in sent.headers if k.lower() != "x-request-id"]
    if request_id is not None:
        headers.append(("X-Request-ID", request_id))
    altered = ExchangeRequest(sent.method, sent.url, headers, sent.body)

    for validator in pds_validators.values():
        with pytest.raises(ConformanceFailure) as caught:
            validator.validate_exchange(None, None, altered, None)
        assert caught.value.part == "request"
        assert caught.value.location == "header X-Request-ID"
