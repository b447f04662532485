"""The GP record must be about the patient that was requested, and only them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.errors import InvalidResponseError
from carecert.adapters.nhs import MappingError, NHSInterface
from carecert.adapters.nhs.record import clinical_entries_from_bundle, record_bundle
from carecert.adapters.nhs.synthetic import synthetic_patients

REQUESTED = "9000000009"
OTHER = "9000000017"


def _bundle_for(nhs_number: str) -> dict[str, Any]:
    patient = synthetic_patients()[nhs_number]
    return record_bundle(
        medications=patient.medications,
        allergies=patient.allergies,
        conditions=patient.conditions,
        subject=f"Patient/{nhs_number}",
    )


def test_bundle_for_requested_patient_maps() -> None:
    entries = clinical_entries_from_bundle(_bundle_for(REQUESTED), nhs_number=REQUESTED)

    assert entries.medications
    assert entries.conditions


def test_bundle_for_other_patient_rejected() -> None:
    with pytest.raises(MappingError) as caught:
        clinical_entries_from_bundle(_bundle_for(OTHER), nhs_number=REQUESTED)

    assert f"refers to a patient other than {REQUESTED}" in str(caught.value)
    assert "entry[0].resource.subject" in str(caught.value)
    assert OTHER not in str(caught.value)


def test_one_foreign_entry_rejected() -> None:
    bundle = _bundle_for(REQUESTED)
    foreign = _bundle_for(OTHER)["entry"][-1]
    bundle["entry"].append(foreign)

    with pytest.raises(MappingError) as caught:
        clinical_entries_from_bundle(bundle, nhs_number=REQUESTED)

    assert f"entry[{len(bundle['entry']) - 1}]" in str(caught.value)


def test_foreign_patient_resource_rejected() -> None:
    bundle = _bundle_for(REQUESTED)
    bundle["entry"].insert(
        0,
        {
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [
                    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": OTHER}
                ],
            }
        },
    )

    with pytest.raises(MappingError) as caught:
        clinical_entries_from_bundle(bundle, nhs_number=REQUESTED)

    assert f"contains a Patient other than {REQUESTED}" in str(caught.value)


class _SwapGpRecord(httpx.AsyncBaseTransport):
    """Serve the simulator, but return OTHER's Bundle for every GP record call."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("$gpc.getstructuredrecord"):
            return httpx.Response(
                200,
                headers={"Content-Type": "application/fhir+json"},
                content=json.dumps(_bundle_for(OTHER)).encode(),
            )
        return await self.inner.handle_async_request(request)


@pytest.mark.asyncio
async def test_adapter_rejects_other_patients_record(nhs_config, nhs_simulator) -> None:
    config = nhs_config(transport=_SwapGpRecord(nhs_simulator))

    async with NHSInterface(config) as nhs:
        with pytest.raises(InvalidResponseError) as caught:
            await nhs.get_patient_record(REQUESTED, ["medications"])

    assert "GP record Bundle" in str(caught.value)
    assert REQUESTED in str(caught.value)


class _BadPatientNumber(httpx.AsyncBaseTransport):
    """Serve the simulator, but give the PDS Patient an invalid NHS number."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "/personal-demographics/" not in request.url.path:
            return response
        body = json.loads(await response.aread())
        body["id"] = "9000000001"
        body["identifier"][0]["value"] = "9000000001"
        return httpx.Response(
            response.status_code,
            headers={"Content-Type": "application/fhir+json"},
            content=json.dumps(body).encode(),
        )


@pytest.mark.asyncio
async def test_adapter_rejects_invalid_returned_number(
    nhs_config, nhs_simulator
) -> None:
    config = nhs_config(transport=_BadPatientNumber(nhs_simulator))

    async with NHSInterface(config) as nhs:
        with pytest.raises(InvalidResponseError) as caught:
            await nhs.get_patient_record(REQUESTED, ["demographics"])

    assert "without a valid NHS number" in str(caught.value)
