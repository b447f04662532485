"""AXAHarness, registry discovery and the residency of each AXA region entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.axa import REGIONS, AXAProvider, info_for_region
from carecert.adapters.axa.testing import AXAHarness
from carecert.adapters.builtin import BUILTIN_PROVIDERS, default_registry
from carecert.adapters.compliance import (
    AuditStore,
    UserSession,
    load_catalogue,
)
from carecert.adapters.errors import SecondFactorRequiredError
from carecert.adapters.provider import AuthMethod, MfaKind, ProviderType
from carecert.harness.controls.residency import HostUse, check_residency
from carecert.harness.providers import HarnessKeys

from ..support.credentials import rsa_harness_keys
from ..support.harness import (
    assert_exchanges_conform,
    assert_harness_found,
    harness_config,
    harness_recorder,
)


@pytest.fixture
def keys(axa_rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> HarnessKeys:
    return rsa_harness_keys(axa_rsa_key, tmp_path, api_key="harness-api-key")


def test_harness_for_axa() -> None:
    assert_harness_found(AXAProvider, AXAHarness)


@pytest.mark.asyncio
async def test_exercise_all_conforms_to_openapi(
    keys: HarnessKeys, axa_audit: AuditStore
) -> None:
    harness = AXAHarness()
    recorder = harness_recorder(harness, keys)
    config = harness_config(harness, keys, recorder, axa_audit)
    async with AXAProvider(config) as axa:
        operations = await harness.exercise_all(axa, harness.sample_patient)

    assert operations == ["verify_coverage", "submit_claim"]
    assert_exchanges_conform(AXAProvider.info, recorder.exchanges)
    audited = [(r.operation, r.outcome) for r in axa_audit.records(provider="axa")]
    assert audited == [("verify_coverage", "success"), ("submit_claim", "success")]


@pytest.mark.asyncio
async def test_read_patient_requires_totp(
    keys: HarnessKeys, axa_audit: AuditStore
) -> None:
    harness = AXAHarness()
    recorder = harness_recorder(harness, keys)
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
