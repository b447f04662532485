"""Conformance controls: recorded traffic matches the provider's OpenAPI file."""

from __future__ import annotations

import pytest

from carecert.harness.conformance import SpecValidator
from carecert.harness.controls.traffic import read_interactions


@pytest.mark.control(check="openapi-conformance")
def test_recorded_exchanges_conform_to_openapi(
    provider_id, carecert_state, provider_harness, evidence
):
    info = provider_harness(provider_id).info
    spec = info.openapi_path()
    if spec is None:
        pytest.skip(f"not applicable: {provider_id} declares no OpenAPI description")
    cassettes = sorted((carecert_state.cassette_dir / provider_id).glob("*.json"))
    assert cassettes, (
        f"no cassettes for {provider_id}; record them with --record-mode=once"
    )
    validator = SpecValidator(spec)
    evidence.add_file(spec, "spec", f"{provider_id} OpenAPI description")

    checked = 0
    for path in cassettes:
        evidence.add_file(path, "cassette", f"{provider_id} traffic validated")
        for index, (request, response) in enumerate(read_interactions(path)):
            validator.validate_exchange(path, index, request, response)
            checked += 1

    assert checked > 0, f"the cassettes of {provider_id} hold no exchanges"
    evidence.note(f"{checked} exchange(s) in {len(cassettes)} cassette(s) conform")
