"""Fixtures for tests that check carecert against published provider inputs.

The published PDS specification is loaded in lenient mode, and its
SpecWarnings are kept for the tests to inspect. The adapter fixture runs
NHSInterface against the in-process simulator and keeps every HTTP exchange.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import Identifier
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.endpoints import PDS_BASE_PATH
from carecert.adapters.nhs.simulator import create_app
from carecert.adapters.nhs.synthetic import UNKNOWN_NHS_NUMBER, synthetic_patients
from carecert.harness.conformance import ExchangeRequest, ExchangeResponse
from carecert.harness.openapi_loader import (
    LoadedSpec,
    SpecWarning,
    clear_spec_cache,
    load_spec,
)
from carecert.harness.providers import HarnessKeys

from ..realdata import (
    PDS_EXAMPLES,
    PDS_PATIENT_RESPONSES,
    PDS_SPEC,
    real_file_params,
    require_real,
)
from ..support.compliance import direct_care_consent
from ..support.recording import RecordingTransport

ENVIRONMENTS = ("sandbox", "integration")
"""NHS environments the adapter fixture runs in, each with its own authentication."""

PATIENT_READ_PREFIX = f"{PDS_BASE_PATH}/Patient/"

PATIENT_READ_EXAMPLES = (
    "Patient.json",
    "Patient-Jayne-Smyth.json",
    "Minimal_Patient.json",
)
"""The PDS specification's examples of a Patient read response."""


def patient_read_files() -> list[Any]:
    """Return one pytest.param per published Patient read response.

    These are the specification's examples and the Karate test stubs of a
    Patient read, each with its file name as the test id.
    """
    return [
        *real_file_params(PDS_EXAMPLES, names=PATIENT_READ_EXAMPLES),
        *real_file_params(PDS_PATIENT_RESPONSES),
    ]


def load_json(path: Path) -> Any:
    """Parse a published JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def exchange_request(request: httpx.Request) -> ExchangeRequest:
    """Adapt a sent httpx request for SpecValidator, with its header names as sent."""
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in request.headers.raw
    ]
    return ExchangeRequest(request.method, str(request.url), headers, request.content)


def exchange_response(response: httpx.Response) -> ExchangeResponse:
    """Adapt a received httpx response for SpecValidator."""
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in response.headers.raw
    ]
    return ExchangeResponse(response.status_code, headers, response.content)


@dataclass(frozen=True)
class PublishedSpec:
    """A published OpenAPI description, loaded leniently, and its SpecWarnings."""

    path: Path
    loaded: LoadedSpec
    warnings: tuple[SpecWarning, ...]


@pytest.fixture(scope="session")
def pds_spec() -> PublishedSpec:
    """NHS Digital's PDS description, with the SpecWarnings its loading raised.

    The spec cache is cleared first, because a cached description is returned
    without warning again.
    """
    path = require_real(PDS_SPEC)
    clear_spec_cache()
    with pytest.warns(SpecWarning) as recorded:
        loaded = load_spec(path, lenient=True)
    found = tuple(
        warning.message
        for warning in recorded
        if isinstance(warning.message, SpecWarning)
    )
    return PublishedSpec(path=path, loaded=loaded, warnings=found)


@pytest.fixture(scope="session")
def own_spec_path() -> Path:
    """carecert's own OpenAPI description of the NHS endpoints it calls."""
    path = NHSInterface.info.openapi_path()
    assert path is not None, "NHSInterface.info names no OpenAPI description"
    return path


class CapturingTransport(RecordingTransport):
    """A RecordingTransport that also picks out the PDS Patient reads."""

    def patient_reads(self) -> list[tuple[httpx.Request, httpx.Response]]:
        """Return the PDS Patient read exchanges, in the order they were sent."""
        return [
            (request, response)
            for request, response in self.exchanges
            if request.method == "GET"
            and request.url.path.startswith(PATIENT_READ_PREFIX)
        ]


@dataclass
class AdapterRun:
    """An NHSInterface wired to the simulator, and the traffic it sends."""

    adapter: NHSInterface
    traffic: CapturingTransport
    environment: str


def _consent_for_synthetic_patients() -> ConsentRegistry:
    return direct_care_consent(
        Identifier(system=NHS_NUMBER_SYSTEM, value=number)
        for number in [*synthetic_patients(), UNKNOWN_NHS_NUMBER]
    )


@pytest_asyncio.fixture(params=ENVIRONMENTS)
async def nhs_run(
    request: pytest.FixtureRequest,
    harness_keys: HarnessKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[AdapterRun]:
    """NHSInterface against the simulator, once per environment.

    In ``sandbox`` the adapter sends the API key in the ``apikey`` header and
    the simulator is open access. In ``integration`` it signs a client
    assertion with the session key and sends a Bearer token.
    """
    environment: str = request.param
    # Settings from the developer's shell must not change the authentication used.
    for name in ("NHS_API_KEY", "NHS_PRIVATE_KEY_PATH", "NHS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)

    config: dict[str, Any] = {
        "api_key": harness_keys.api_key,
        "environment": environment,
        "ods_code": "RX1",
        "consent_registry": _consent_for_synthetic_patients(),
        "audit_store": str(tmp_path / "audit.sqlite3"),
    }
    if environment == "integration":
        app = create_app(
            public_key=harness_keys.public_key_pem,
            api_key=harness_keys.api_key,
            key_id=harness_keys.key_id,
        )
        config["private_key_path"] = str(harness_keys.private_key_path)
        config["key_id"] = harness_keys.key_id
    else:
        app = create_app(api_key=harness_keys.api_key)

    traffic = CapturingTransport(httpx.ASGITransport(app=app))
    config["transport"] = traffic
    adapter = NHSInterface(config)
    yield AdapterRun(adapter=adapter, traffic=traffic, environment=environment)
    await adapter.aclose()
