"""Deliberately non-compliant configurations fail the matching control check.

Each test feeds a known violation to the same check function and failure
message that the catalogue-driven suites use, and asserts that the message
names the control id, its clause, what was found and what was required.
"""

from __future__ import annotations

import dataclasses
import logging
import ssl
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from carecert.adapters.compliance import (
    AuditStore,
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    UserSession,
    load_catalogue,
)
from carecert.adapters.compliance.audit import AuditRecord
from carecert.adapters.compliance.catalogue import Control
from carecert.adapters.errors import ConsentRequiredError, SecondFactorRequiredError
from carecert.adapters.models import Identifier
from carecert.adapters.nhs.interface import NHSInterface
from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.tls import spki_pin_sha256
from carecert.harness.controls.encryption import (
    check_pin_rejection,
    check_tls_floor_rejection,
)
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import check_rejected_before_sending, error_of
from carecert.harness.controls.residency import HostUse, check_residency
from carecert.harness.controls.retention import (
    check_accesses_audited,
    check_retention,
)
from carecert.harness.controls.rules import rules_for
from carecert.harness.providers import HarnessKeys
from carecert.harness.tls_servers import (
    HTTPRequest,
    HTTPResponse,
    LegacyTLSUnavailable,
    TLSServer,
    respond_ok,
    serve_legacy_tls,
    serve_tls,
    tls_authority,
)
from carecert.harness.transports import RecordingTransport

CATALOGUE = load_catalogue()
NHS = NHSInterface.carecert_harness()

DE_INFO = ProviderInfo(
    id="de-noncompliant",
    name="German provider with a US host",
    type=ProviderType.MOCK,
    country="DE",
    regions=("DE",),
    compliance=("GDPR",),
    primary_auth=AuthMethod.API_KEY,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(ProviderHost("api.provider.example.de", "DE", "FHIR API"),),
)


def assert_names_control(message: str, control: Control) -> None:
    assert control.id in message
    assert control.clause in message
    assert "found " in message
    assert "required " in message


def nhs_provider(
    keys: HarnessKeys, tmp_path: Path, **overrides: object
) -> NHSInterface:
    config = {
        **NHS.config(keys),
        "audit_store": str(tmp_path / "audit.sqlite3"),
        **overrides,
    }
    return NHSInterface(config)


class _ConsentNotChecked(ConsentRegistry):
    """A non-compliant registry that invents an explicit consent for any lookup."""

    def records_for(self, patient: Identifier) -> list[ConsentRecord]:
        return [
            ConsentRecord(
                patient=patient,
                purpose=purpose,
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime.now(UTC) - timedelta(days=1),
            )
            for purpose in ("direct-care", "research")
        ]


def test_residency_undeclared_us_host() -> None:
    control = CATALOGUE.control("DE-RES-01")
    region, _rule = rules_for(CATALOGUE, control, DE_INFO.regions).residency()
    uses = [HostUse("api.provider.example.us", Path("patient_read.json"), 0)]

    findings = check_residency(DE_INFO, region, uses)
    message = control_failure(control, findings)

    assert len(findings) == 1
    assert_names_control(message, control)
    assert "api.provider.example.us (patient_read.json exchange 0)" in message
    assert "found a host the provider does not declare" in message
    assert "required one of its declared hosts (api.provider.example.de)" in message


def test_residency_declared_us_host() -> None:
    control = CATALOGUE.control("DE-RES-01")
    region, _rule = rules_for(CATALOGUE, control, ("DE",)).residency()
    info = dataclasses.replace(
        DE_INFO, hosts=(ProviderHost("api.provider.example.us", "US", "FHIR API"),)
    )

    findings = check_residency(info, region, [])
    message = control_failure(control, findings)

    assert len(findings) == 1
    assert_names_control(message, control)
    assert "found jurisdiction US" in message
    assert f"required a jurisdiction allowed for {region.code} data (DE)" in message


def test_retention_five_years_for_de(tmp_path: Path) -> None:
    control = CATALOGUE.control("DE-RET-02")
    required, rule = rules_for(CATALOGUE, control, ("DE",)).retention_years()
    store = AuditStore(tmp_path / "audit.sqlite3", retention_years={"DE": 5})
    record = store.record(
        regions=("DE",),
        provider="de-noncompliant",
        operation="get_patient_record",
        outcome="success",
        at=datetime(2026, 2, 28, 9, 30, tzinfo=UTC),
    )
    store.close()

    findings = check_retention(store, ("DE",), required, rule, record)
    message = control_failure(control, findings)

    assert required == 10
    assert len(findings) == 2
    assert_names_control(message, control)
    assert f"found DE records kept 5 years; required 10 years ({rule})" in message
    assert f"record {record.id}: found retain_until 2031-02-28" in message
    assert "required 2036-02-28T09:30:00+00:00 or later" in message


class _AuditStoreDroppingSuccess(AuditStore):
    """A non-compliant store that drops every record of a successful access."""

    def record(self, **fields: Any) -> AuditRecord:
        if fields["outcome"] != "success":
            return super().record(**fields)
        # Nothing is written, but the caller gets a record as if it were.
        now = datetime.now(UTC)
        return AuditRecord(
            id=0,
            recorded_at=now,
            retain_until=now,
            region="",
            provider=fields["provider"],
            operation=fields["operation"],
            patient_system=None,
            patient_value=None,
            purpose=None,
            actor=None,
            outcome="success",
            detail=None,
        )


@pytest.mark.asyncio
async def test_success_not_audited(harness_keys: HarnessKeys, tmp_path: Path) -> None:
    control = CATALOGUE.control("UK-RET-01")
    patient = NHS.sample_patient
    retention = {"UK": 7}
    store = _AuditStoreDroppingSuccess(
        tmp_path / "audit.sqlite3", retention_years=retention
    )
    provider = nhs_provider(
        harness_keys,
        tmp_path,
        audit_store=store,
        consent_registry=ConsentRegistry([NHS.consent_for(patient)]),
        transport=httpx.ASGITransport(app=NHS.simulator(harness_keys)),
    )

    async with provider:
        record = await NHS.read_patient(provider, patient)

    findings = check_accesses_audited(
        "nhs", ["get_patient_record"], patient.value, store.records(provider="nhs")
    )
    message = control_failure(control, findings)
    store.close()

    assert record.patient.identifier_value(patient.system) == patient.value
    assert len(findings) == 1
    assert_names_control(message, control)
    assert f"nhs get_patient_record on patient {patient.value}" in message
    assert "found audit records []" in message
    assert (
        f"required a record ('get_patient_record', 'success', '{patient.value}')"
        in message
    )


@pytest.mark.asyncio
async def test_consent_missing_not_checked(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    control = CATALOGUE.control("UK-CON-01")
    transport = RecordingTransport()
    provider = nhs_provider(
        harness_keys,
        tmp_path,
        consent_registry=_ConsentNotChecked(),
        transport=transport,
    )

    async with provider:
        error = await error_of(NHS.read_patient(provider, NHS.sample_patient))

    findings = check_rejected_before_sending(
        "nhs",
        "consent case 'no record'",
        error,
        ConsentRequiredError,
        len(transport.requests),
    )
    message = control_failure(control, findings)

    assert transport.requests, "the non-compliant registry must let a request out"
    assert len(findings) == 2
    assert_names_control(message, control)
    assert "required ConsentRequiredError for consent case 'no record'" in message
    assert f"found {len(transport.requests)} request(s) sent" in message
    assert "required nothing sent" in message


@pytest.mark.asyncio
async def test_second_factor_not_enforced(
    harness_keys: HarnessKeys, tmp_path: Path
) -> None:
    control = CATALOGUE.control("UK-MFA-01")
    patient = NHS.sample_patient
    transport = RecordingTransport()
    # Application-restricted mode skips the second factor, so MFA enforcement
    # is off and a user session without a verified factor gets through.
    provider = nhs_provider(
        harness_keys,
        tmp_path,
        access_mode="application-restricted",
        consent_registry=ConsentRegistry([NHS.consent_for(patient)]),
        transport=transport,
    )

    async with provider:
        error = await error_of(
            NHS.read_patient(provider, patient, session=UserSession("clinician-1"))
        )

    findings = check_rejected_before_sending(
        "nhs",
        "a user without a verified second factor",
        error,
        SecondFactorRequiredError,
        len(transport.requests),
    )
    message = control_failure(control, findings)

    assert NHSInterface.info.mfa_required
    assert len(findings) == 2
    assert_names_control(message, control)
    assert "required SecondFactorRequiredError for a user without a verified" in (
        message
    )
    assert "required nothing sent" in message


@pytest.fixture
def tls10_server() -> Iterator[TLSServer]:
    try:
        with serve_legacy_tls(
            ca=tls_authority(), version=ssl.TLSVersion.TLSv1
        ) as server:
            yield server
    except LegacyTLSUnavailable as exc:
        pytest.skip(f"cannot run a TLS 1.0 server here: {exc}")


@pytest.mark.asyncio
async def test_tls_floor_permissive_client(tls10_server: TLSServer) -> None:
    control = CATALOGUE.control("UK-ENC-01")
    # This client is non-compliant on purpose. carecert's build_ssl_context
    # rejects any tls_min_version below TLS 1.2, so the context is built by hand.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls10_server.issuer.configure_trust(context)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1

    async with httpx.AsyncClient(verify=context) as client:
        error = await error_of(client.get(f"{tls10_server.url}/ping"))

    findings = check_tls_floor_rejection("a permissive client", "TLSv1", error)
    message = control_failure(control, findings)

    assert len(findings) == 1
    assert_names_control(message, control)
    assert "found a completed request over TLSv1" in message
    assert "required the TLSv1 handshake rejected" in message


@pytest.mark.asyncio
async def test_wrong_pin_not_enforced(
    harness_keys: HarnessKeys, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    control = CATALOGUE.control("UK-ENC-02")
    patient = NHS.sample_patient
    other_key = trustme.CA().issue_cert("127.0.0.1")
    wrong_pin = spki_pin_sha256(
        ssl.PEM_cert_to_DER_cert(other_key.cert_chain_pems[0].bytes().decode())
    )
    received: list[HTTPRequest] = []

    def record(request: HTTPRequest) -> HTTPResponse:
        received.append(request)
        return respond_ok(request)

    caplog.set_level(logging.WARNING, logger="carecert.http")
    with serve_tls(ca=tls_authority(), handler=record) as server:
        context = ssl.create_default_context(
            cafile=str(server.write_ca_bundle(tmp_path))
        )
        # Non-compliant on purpose: pins are set, but the caller's own
        # transport replaces the network, so nothing compares them.
        provider = nhs_provider(
            harness_keys,
            tmp_path,
            **NHS.point_at(server.url),
            certificate_pins=[wrong_pin],
            transport=httpx.AsyncHTTPTransport(verify=context),
            consent_registry=ConsentRegistry([NHS.consent_for(patient)]),
        )
        async with provider:
            error = await error_of(NHS.read_patient(provider, patient))

    findings = check_pin_rejection("nhs", error, len(received))
    message = control_failure(control, findings)

    assert received, "the unpinned transport must let a request reach the server"
    assert len(findings) == 2
    assert_names_control(message, control)
    assert "required ProviderUnavailableError for the pin mismatch" in message
    assert f"found {len(received)} request(s) received by the server" in message
    assert "certificate_pins are not checked" in caplog.text
