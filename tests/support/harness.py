"""Helpers for the tests that drive an adapter through its suite harness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.models import PatientRecord
from carecert.adapters.provider import HealthcareProvider, ProviderInfo
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.providers import HarnessKeys, ProviderHarness, harness_for

from .recording import RecordingTransport


def harness_recorder(harness: ProviderHarness, keys: HarnessKeys) -> RecordingTransport:
    """Return a recording transport to the harness's in-process simulator."""
    return RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))


def harness_config(
    harness: ProviderHarness,
    keys: HarnessKeys,
    transport: httpx.AsyncBaseTransport | None,
    audit: AuditStore,
    **overrides: Any,
) -> dict[str, Any]:
    """Build the harness config with consent for its sample patient only.

    A ``transport`` of None leaves the adapter to open real sockets, for the
    tests that point the config at a TLS server.
    """
    config: dict[str, Any] = {
        **harness.config(keys),
        "consent_registry": ConsentRegistry(
            [harness.consent_for(harness.sample_patient)]
        ),
        "audit_store": audit,
    }
    if transport is not None:
        config["transport"] = transport
    config.update(overrides)
    return config


def assert_exchanges_conform(
    info: ProviderInfo, exchanges: list[tuple[httpx.Request, httpx.Response]]
) -> None:
    """Validate every exchange against the provider's own OpenAPI description.

    The exchange's position is passed as its index, so that a failure names
    the exchange that broke the description.
    """
    path = info.openapi_path()
    assert path is not None, f"{info.id} declares no OpenAPI description"
    validator = SpecValidator(path, fast=False)
    for index, (request, response) in enumerate(exchanges):
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


def assert_harness_found(
    provider: type[Any], harness_type: type[ProviderHarness]
) -> None:
    """Check that the suites look up ``harness_type`` for ``provider``."""
    harness = harness_for(provider)
    assert isinstance(harness, harness_type)
    assert harness.info is provider.info


@dataclass(frozen=True)
class HarnessRun:
    """What one in-process run of exercise_all and read_patient produced."""

    operations: list[str]
    record: PatientRecord
    exchanges: list[tuple[httpx.Request, httpx.Response]]


async def exercise_and_read(
    provider: type[HealthcareProvider],
    harness: ProviderHarness,
    keys: HarnessKeys,
    audit: AuditStore,
) -> HarnessRun:
    """Run exercise_all, then read the sample patient, against the simulator."""
    recorder = harness_recorder(harness, keys)
    config = harness_config(harness, keys, recorder, audit)
    async with provider(config) as adapter:
        operations = await harness.exercise_all(adapter, harness.sample_patient)
        record = await harness.read_patient(adapter, harness.sample_patient)
    return HarnessRun(operations, record, recorder.exchanges)


def assert_sample_read_on_declared_hosts(
    provider: type[HealthcareProvider], harness: ProviderHarness, run: HarnessRun
) -> None:
    """Check that the run read the sample patient and sent only to declared hosts."""
    sample = harness.sample_patient
    assert run.record.patient.identifier_value(sample.system) == sample.value
    hosts = {request.url.host for request, _ in run.exchanges}
    assert hosts == {host.host for host in provider.info.hosts}
