"""TLS floor control with a TLS 1.3 floor, against a real TLS 1.2-only server."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path

import pytest

from carecert.adapters.compliance import ConsentRegistry, load_catalogue
from carecert.adapters.nhs.interface import NHSInterface
from carecert.harness.controls.encryption import check_tls_floor_rejection
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import error_of
from carecert.harness.controls.rules import rules_for
from carecert.harness.providers import HarnessKeys
from carecert.harness.tls_servers import (
    describe_tls_failure,
    probe_tls_version,
    serve_tls,
    tls_authority,
)

CATALOGUE = load_catalogue()
NHS = NHSInterface.carecert_harness()
CONTROL = CATALOGUE.control("UK-ENC-01")
# The NHS adapter declares TLSv1.2; this copy declares TLSv1.3, as a provider
# that only accepts TLS 1.3 would.
TLS13_INFO = dataclasses.replace(NHSInterface.info, tls_min_version="TLSv1.3")


async def read_over_tls_1_2(
    keys: HarnessKeys, tmp_path: Path, tls_min_version: str
) -> tuple[str, BaseException | None]:
    patient = NHS.sample_patient
    with serve_tls(ca=tls_authority(), max_version=ssl.TLSVersion.TLSv1_2) as server:
        probed = probe_tls_version(server)
        config = {
            **NHS.config(keys),
            **NHS.point_at(server.url),
            "ca_bundle": str(server.write_ca_bundle(tmp_path)),
            "audit_store": str(tmp_path / "audit.sqlite3"),
            "consent_registry": ConsentRegistry([NHS.consent_for(patient)]),
            "tls_min_version": tls_min_version,
        }
        async with NHSInterface(config) as provider:
            error = await error_of(NHS.read_patient(provider, patient))
    return probed, error


@pytest.mark.asyncio
async def test_tls13_floor_refuses_tls12(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    floor, rule = rules_for(CATALOGUE, CONTROL, ("UK",)).tls_floor(TLS13_INFO)

    probed, error = await read_over_tls_1_2(harness_keys, tmp_path, floor)
    findings = check_tls_floor_rejection("nhs", probed, error, floor)

    assert probed == "TLSv1.2"
    assert floor == "TLSv1.3"
    assert rule.startswith("TLSv1.3 from nhs ProviderInfo")
    assert not findings, control_failure(CONTROL, findings)
    assert describe_tls_failure(error).startswith("TLS protocol version rejected")


@pytest.mark.asyncio
async def test_tls12_client_fails_tls13_floor(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    floor, _rule = rules_for(CATALOGUE, CONTROL, ("UK",)).tls_floor(TLS13_INFO)

    # Non-compliant on purpose: the client keeps the TLS 1.2 default although
    # the provider declares TLS 1.3, so the handshake completes.
    probed, error = await read_over_tls_1_2(harness_keys, tmp_path, "TLSv1.2")
    findings = check_tls_floor_rejection("nhs", probed, error, floor)
    message = control_failure(CONTROL, findings)

    assert len(findings) == 1
    assert message.startswith(f"UK-ENC-01 ({CONTROL.clause}) failed:")
    assert "required the TLSv1.2 handshake rejected, because TLSv1.3" in message
    assert "found " in message
