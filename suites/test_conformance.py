"""Conformance controls: provider traffic matches the provider's OpenAPI file.

In replay the recorded cassettes are checked. With ``--mock-api`` no cassette
is used, so the traffic this run sends to the simulator is checked instead.
"""

from __future__ import annotations

import httpx
import pytest

from carecert.adapters.compliance import ConsentRegistry
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.controls.traffic import read_interactions
from carecert.harness.transports import CapturingTransport

pytestmark = pytest.mark.asyncio


@pytest.mark.control(check="openapi-conformance")
async def test_provider_exchanges_conform_to_openapi(
    provider_id,
    carecert_state,
    provider_harness,
    provider_factory,
    harness_keys,
    evidence,
):
    harness = provider_harness(provider_id)
    spec = harness.info.openapi_path()
    if spec is None:
        pytest.skip(f"not applicable: {provider_id} declares no OpenAPI description")
    validator = SpecValidator(spec)
    evidence.add_file(spec, "spec", f"{provider_id} OpenAPI description")

    if carecert_state.mock_api:
        checked = await _check_simulator_traffic(
            provider_id, harness, harness_keys, provider_factory, validator
        )
        evidence.note(
            f"found: {checked} exchange(s) sent to the in-process simulator in this "
            f"run, each valid against {spec.name}; no cassette was used. Required: "
            f"every request and response conforms to {provider_id}'s OpenAPI "
            "description"
        )
        return

    folder = carecert_state.cassette_dir / provider_id
    cassettes = sorted(folder.glob("*.json"))
    assert cassettes, (
        f"no cassettes for {provider_id} in {folder}; record them with "
        "--record-mode=once"
    )
    checked = 0
    for path in cassettes:
        evidence.add_file(path, "cassette", f"{provider_id} traffic validated")
        for index, (request, response) in enumerate(read_interactions(path)):
            validator.validate_exchange(path, index, request, response)
            checked += 1

    names = ", ".join(path.name for path in cassettes)
    assert checked > 0, f"the cassettes of {provider_id} ({names}) hold no exchanges"
    evidence.note(
        f"found: {checked} exchange(s) in {len(cassettes)} cassette(s) ({names}), "
        f"each valid against {spec.name}. Required: every recorded request and "
        f"response conforms to {provider_id}'s OpenAPI description"
    )


async def _check_simulator_traffic(
    provider_id, harness, harness_keys, provider_factory, validator
) -> int:
    app = harness.simulator(harness_keys)
    capture = CapturingTransport(httpx.ASGITransport(app=app))
    patient = harness.sample_patient
    provider = provider_factory(
        provider_id,
        transport=capture,
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )

    await harness.exercise_all(provider, patient)

    for index, (request, response) in enumerate(capture.exchanges):
        validator.validate_exchange(
            None,
            index,
            ExchangeRequest(
                request.method,
                str(request.url),
                request.headers.multi_items(),
                request.content,
            ),
            ExchangeResponse(
                response.status_code, response.headers.multi_items(), response.content
            ),
        )
    assert capture.exchanges, f"{provider_id} sent no request to its simulator"
    return len(capture.exchanges)
