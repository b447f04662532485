"""AXAHarness, registry discovery and the residency of each AXA region entry."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.axa import REGIONS, AXAProvider, info_for_region
from carecert.adapters.axa.testing import AXAHarness
from carecert.adapters.builtin import BUILTIN_PROVIDERS, default_registry
from carecert.adapters.compliance import (
    AuditStore,
    ConsentRegistry,
    UserSession,
    load_catalogue,
)
from carecert.adapters.errors import SecondFactorRequiredError
from carecert.adapters.provider import AuthMethod, MfaKind, ProviderType
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
    SpecValidator,
)
from carecert.harness.controls.residency import HostUse, check_residency
from carecert.harness.providers import HarnessKeys, harness_for

from .conftest import RecordingTransport


@pytest.fixture
def keys(
    axa_rsa_key: rsa.RSAPrivateKey, axa_public_key_pem: bytes, tmp_path: Path
) -> HarnessKeys:
    path = tmp_path / "private.pem"
    path.write_bytes(
        axa_rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return HarnessKeys(
        private_key_path=path,
        public_key_pem=axa_public_key_pem,
        key_id="harness-key",
        api_key="harness-api-key",
    )


def harness_config(
    harness: AXAHarness,
    keys: HarnessKeys,
    transport: httpx.AsyncBaseTransport,
    audit: AuditStore,
    **overrides: object,
) -> dict[str, object]:
    consent = ConsentRegistry()
    consent.grant(harness.consent_for(harness.sample_patient))
    return {
        **harness.config(keys),
        "transport": transport,
        "consent_registry": consent,
        "audit_store": audit,
        **overrides,
    }


def test_harness_for_axa() -> None:
    harness = harness_for(AXAProvider)
    assert isinstance(harness, AXAHarness)
    assert harness.info is AXAProvider.info


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, axa_audit: AuditStore
) -> None:
    harness = AXAHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    config = harness_config(harness, keys, recorder, axa_audit)
    async with AXAProvider(config) as axa:
        operations = await harness.exercise_all(axa, harness.sample_patient)

    assert operations == ["verify_coverage", "submit_claim"]
    spec_path = AXAProvider.info.openapi_path()
    assert spec_path is not None
    validator = SpecValidator(spec_path, fast=False)
    for index, (request, response) in enumerate(recorder.exchanges):
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
    audited = [(r.operation, r.outcome) for r in axa_audit.records(provider="axa")]
    assert audited == [("verify_coverage", "success"), ("submit_claim", "success")]


@pytest.mark.asyncio
async def test_read_patient_requires_totp(
    keys: HarnessKeys, axa_audit: AuditStore
) -> None:
    harness = AXAHarness()
    recorder = RecordingTransport(httpx.ASGITransport(app=harness.simulator(keys)))
    config = harness_config(
        harness, keys, recorder, axa_audit, access_mode="user-restricted"
    )
    session = UserSession("clinician-1")
    async with AXAProvider(config) as axa:
        with pytest.raises(SecondFactorRequiredError, match="TOTP"):
            await harness.read_patient(axa, harness.sample_patient, session=session)
        assert recorder.exchanges == []
        note = harness.verify_second_factor(session)
        record = await harness.read_patient(
            axa, harness.sample_patient, session=session
        )

    assert "TOTP" in note
    assert record.patient.identifiers == (harness.sample_patient,)
    assert record.sections == ()
    assert record.patient.names == ()


def test_provider_info_declaration() -> None:
    info = AXAProvider.info
    assert info.type is ProviderType.PRIVATE_INSURER
    assert info.primary_auth is AuthMethod.API_KEY
    assert info.secondary_auth is AuthMethod.JWT
    assert info.mfa_required is True
    assert info.mfa_kind is MfaKind.TOTP
    assert info.regions == ("EU",)
    assert [host.host for host in info.hosts] == [REGIONS["EMEA"].host]


def test_registry_discovery_finds_axa() -> None:
    assert BUILTIN_PROVIDERS["axa"] is AXAProvider
    registry = default_registry(entry_points=False)

    def ids(registrations: list) -> set[str]:  # type: ignore[type-arg]
        return {registration.provider_id for registration in registrations}

    assert "axa" in ids(registry.find_by_country("FR"))
    assert "axa" in ids(registry.find_by_compliance("gdpr"))
    assert "axa" in ids(registry.find_by_type("PRIVATE_INSURER"))
    assert "axa" in ids(registry.find_by_region("EU"))
    assert "axa" not in ids(registry.find_by_region("US"))


@pytest.mark.parametrize(
    ("region", "catalogue_region", "passes"),
    [
        ("EMEA", "EU", True),
        ("EMEA", "UK", True),
        ("EMEA", "DE", False),
        ("AMERICAS", "US", True),
        ("AMERICAS", "EU", False),
        ("APAC", "AU", False),
        ("APAC", "JP", False),
    ],
)
def test_residency_of_region_entries(
    region: str, catalogue_region: str, passes: bool
) -> None:
    info = info_for_region(AXAProvider.info, region)
    host = REGIONS[region].host
    uses = [HostUse(host=host, cassette=Path("recorded.json"), index=0)]
    findings = check_residency(info, load_catalogue().region(catalogue_region), uses)
    assert (findings == []) is passes


def test_undeclared_host_fails_residency() -> None:
    uses = [
        HostUse(host=REGIONS["AMERICAS"].host, cassette=Path("recorded.json"), index=0)
    ]
    findings = check_residency(AXAProvider.info, load_catalogue().region("EU"), uses)
    assert len(findings) == 1
    assert "does not declare" in findings[0].found


def test_region_entry_registers_under_own_id() -> None:
    class AXAAmericas(AXAProvider):
        info = info_for_region(AXAProvider.info, "AMERICAS")

    registry = default_registry(entry_points=False)
    registration = registry.register_provider(
        AXAAmericas.info.id, AXAAmericas, {"region": "AMERICAS"}
    )
    assert registration.info.regions == ("US",)
    assert {r.provider_id for r in registry.find_by_region("US")} >= {"axa-americas"}
