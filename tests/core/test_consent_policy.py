"""Regional consent models, enforced by ComplianceGuard before data leaves."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.compliance.audit import AuditStore
from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.compliance.consent_policy import (
    ConsentPolicy,
    RegionConsentModel,
)
from carecert.adapters.compliance.guard import ComplianceGuard
from carecert.adapters.errors import ConfigurationError, ConsentRequiredError
from carecert.adapters.models import Identifier
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType

PATIENT = Identifier(system="urn:carecert:test-patient", value="TP-000001")
NOW = datetime.now(UTC)
RETENTION = {
    code: r.audit_retention_years for code, r in load_catalogue().regions.items()
}


def info(*regions: str) -> ProviderInfo:
    return ProviderInfo(
        id=f"{'-'.join(regions).lower()}-test",
        name="Test provider",
        type=ProviderType.MOCK,
        country=regions[0],
        regions=regions,
        compliance=(),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(),
    )


def record(basis: ConsentBasis = ConsentBasis.EXPLICIT, **changes) -> ConsentRecord:
    fields = {
        "patient": PATIENT,
        "purpose": "direct-care",
        "basis": basis,
        "granted_at": NOW - timedelta(days=30),
        **changes,
    }
    return ConsentRecord(**fields)


@pytest.fixture
def audit() -> Iterator[AuditStore]:
    store = AuditStore(retention_years=RETENTION)
    yield store
    store.close()


def run(
    audit: AuditStore,
    regions: tuple[str, ...],
    records: list[ConsentRecord],
    purpose: str = "direct-care",
) -> None:
    guard = ComplianceGuard(
        info(*regions),
        {"audit_store": audit, "consent_registry": ConsentRegistry(records)},
    )
    with guard.audited(patient=PATIENT, purpose=purpose, operation="patient.read"):
        pass


def rejection(
    audit: AuditStore,
    regions: tuple[str, ...],
    records: list[ConsentRecord],
    purpose: str = "direct-care",
) -> str:
    with pytest.raises(ConsentRequiredError) as caught:
        run(audit, regions, records, purpose)
    denied = audit.records()
    assert [r.outcome for r in denied] == ["denied"]
    return str(caught.value)


def success_detail(audit: AuditStore) -> str:
    records = audit.records()
    assert [r.outcome for r in records] == ["success"]
    assert records[0].detail is not None
    return records[0].detail


# Refusals shared by every model that needs a record: (case, records, text).
RECORD_REJECTIONS = [
    ("no record", [], "No consent is recorded"),
    ("withdrawn", [record(withdrawn_at=NOW - timedelta(days=1))], "was withdrawn"),
    ("expired", [record(expires_at=NOW - timedelta(days=1))], "has expired"),
    ("other purpose", [record(purpose="research")], "consent covers only: research"),
    ("implied record", [record(ConsentBasis.IMPLIED)], "does not accept"),
]
RECORD_REGIONS = ["UK", "EU", "ES", "FR", "IT", "JP", "BR", "DE"]


@pytest.mark.parametrize("region", RECORD_REGIONS)
@pytest.mark.parametrize(
    ("case", "records", "text"),
    RECORD_REJECTIONS,
    ids=[case[0] for case in RECORD_REJECTIONS],
)
def test_record_model_rejects(
    audit: AuditStore, region: str, case: str, records: list, text: str
) -> None:
    if region == "DE":
        # Give DE's written model the evidence it needs, so only the case fails.
        records = [
            dataclasses.replace(
                r, basis=ConsentBasis.WRITTEN, evidence_reference="scan-0001"
            )
            if r.basis is ConsentBasis.EXPLICIT
            else r
            for r in records
        ]

    message = rejection(audit, (region,), records)

    assert text in message
    assert PATIENT.value in message


@pytest.mark.parametrize("region", ["UK", "ES", "JP", "BR"])
def test_explicit_record_allowed(audit: AuditStore, region: str) -> None:
    run(audit, (region,), [record()])

    assert success_detail(audit).startswith("consent basis explicit (record granted")


def test_eu_bundled_consent_rejected(audit: AuditStore) -> None:
    bundled = record(bundled_with=("marketing",))

    message = rejection(audit, ("EU",), [bundled])

    assert "bundled with marketing" in message
    assert "EU granular consent requires" in message


def test_eu_separate_consent_allowed(audit: AuditStore) -> None:
    run(audit, ("FR",), [record(), record(purpose="marketing")])

    assert "FR granular consent" in success_detail(audit)


def test_uk_bundled_consent_allowed(audit: AuditStore) -> None:
    run(audit, ("UK",), [record(bundled_with=("marketing",))])

    assert "UK explicit consent" in success_detail(audit)


def test_de_explicit_without_written_evidence_rejected(audit: AuditStore) -> None:
    message = rejection(audit, ("DE",), [record(ConsentBasis.EXPLICIT)])

    assert "has basis explicit, which this region does not accept" in message
    assert "DE written consent requires a written consent" in message


def test_de_written_without_reference_rejected(audit: AuditStore) -> None:
    message = rejection(audit, ("DE",), [record(ConsentBasis.WRITTEN)])

    assert "no evidence_reference" in message


def test_de_written_with_reference_allowed(audit: AuditStore) -> None:
    written = record(ConsentBasis.WRITTEN, evidence_reference="scan-0001")

    run(audit, ("DE",), [written])

    detail = success_detail(audit)
    assert detail.startswith("consent basis written (record granted")
    assert "DE written consent (stricter than EU granular consent)" in detail


def test_us_treatment_without_record_presumed(audit: AuditStore) -> None:
    run(audit, ("US",), [])

    detail = success_detail(audit)
    assert detail.startswith("consent basis implied (presumed, no consent record)")
    assert "US implied consent (only for direct-care, treatment)" in detail


def test_us_other_purpose_needs_record(audit: AuditStore) -> None:
    message = rejection(audit, ("US",), [], purpose="marketing")

    assert "presumed only for direct-care, treatment" in message


def test_us_other_purpose_with_record_allowed(audit: AuditStore) -> None:
    run(audit, ("US",), [record(purpose="marketing")], purpose="marketing")

    assert success_detail(audit).startswith("consent basis explicit")


@pytest.mark.parametrize("region", ["US", "CA"])
def test_implied_withdrawal_rejected(audit: AuditStore, region: str) -> None:
    withdrawn = record(withdrawn_at=NOW - timedelta(hours=1))

    message = rejection(audit, (region,), [withdrawn])

    assert "withdrew consent to processing" in message
    assert "Nothing may be sent" in message


def test_ca_any_purpose_presumed(audit: AuditStore) -> None:
    run(audit, ("CA",), [], purpose="research")

    assert success_detail(audit).startswith("consent basis implied (presumed")


def test_au_without_opt_out_presumed(audit: AuditStore) -> None:
    run(audit, ("AU",), [])

    detail = success_detail(audit)
    assert detail.startswith("consent basis opt-out (presumed, no consent record)")
    assert "no opt-out recorded" in detail


def test_au_recorded_opt_out_rejected(audit: AuditStore) -> None:
    registry = ConsentRegistry()
    opt_out = registry.record_opt_out(PATIENT, "direct-care", NOW - timedelta(hours=1))
    guard = ComplianceGuard(
        info("AU"), {"audit_store": audit, "consent_registry": registry}
    )

    with pytest.raises(ConsentRequiredError) as caught:
        guard.check_access(patient=PATIENT, purpose="direct-care", operation="read")

    assert opt_out.basis is ConsentBasis.OPT_OUT
    assert not opt_out.is_active(NOW)
    assert "The patient opted out of processing" in str(caught.value)


def test_au_opt_out_of_other_purpose_ignored(audit: AuditStore) -> None:
    registry = ConsentRegistry()
    registry.record_opt_out(PATIENT, "research", NOW - timedelta(hours=1))
    guard = ComplianceGuard(
        info("AU"), {"audit_store": audit, "consent_registry": registry}
    )

    decision = guard.check_access(
        patient=PATIENT, purpose="direct-care", operation="read"
    )

    assert decision.presumed
    assert decision.basis is ConsentBasis.OPT_OUT


def test_jp_opt_in_required(audit: AuditStore) -> None:
    message = rejection(audit, ("JP",), [])

    assert "JP opt-in consent requires a recorded opt-in" in message


def test_br_legal_basis_allowed(audit: AuditStore) -> None:
    basis = record(ConsentBasis.LEGAL_BASIS, evidence_reference="LGPD Art. 11, II, f")

    run(audit, ("BR",), [basis])

    assert success_detail(audit).startswith("consent basis legal-basis")


def test_br_unnamed_legal_basis_rejected(audit: AuditStore) -> None:
    message = rejection(audit, ("BR",), [record(ConsentBasis.LEGAL_BASIS)])

    assert "no evidence_reference" in message


def test_legal_basis_rejected_outside_br(audit: AuditStore) -> None:
    basis = record(ConsentBasis.LEGAL_BASIS, evidence_reference="LGPD Art. 11, II, f")

    message = rejection(audit, ("UK",), [basis])

    assert "has basis legal-basis" in message


def test_two_regions_stricter_rejects(audit: AuditStore) -> None:
    # US alone presumes consent for treatment; UK needs a record.
    message = rejection(audit, ("US", "UK"), [])

    assert "UK explicit consent requires" in message
    assert "stricter than US implied consent" in message


def test_two_regions_stricter_decides(audit: AuditStore) -> None:
    run(audit, ("AU", "JP"), [record()])

    detail = success_detail(audit)
    assert "decided by JP opt-in consent (stricter than AU opt-out consent)" in detail


def test_two_regions_both_must_allow(audit: AuditStore) -> None:
    # An explicit record meets UK, but the AU opt-out still blocks.
    registry = ConsentRegistry([record(granted_at=NOW - timedelta(days=9))])
    registry.record_opt_out(PATIENT, "direct-care", NOW - timedelta(hours=1))
    guard = ComplianceGuard(
        info("UK", "AU"), {"audit_store": audit, "consent_registry": registry}
    )

    with pytest.raises(ConsentRequiredError) as caught:
        guard.check_access(patient=PATIENT, purpose="direct-care", operation="read")

    assert "was withdrawn" in str(caught.value)


def test_registry_bases_narrow_model(audit: AuditStore) -> None:
    registry = ConsentRegistry(accepted_bases=frozenset({ConsentBasis.EXPLICIT}))
    guard = ComplianceGuard(
        info("US"), {"audit_store": audit, "consent_registry": registry}
    )

    with pytest.raises(ConsentRequiredError) as caught:
        guard.check_access(patient=PATIENT, purpose="direct-care", operation="read")

    assert "the consent registry accepts only: explicit" in str(caught.value)


def test_default_registry_follows_model(audit: AuditStore) -> None:
    guard = ComplianceGuard(info("US"), {"audit_store": audit})

    decision = guard.check_access(
        patient=PATIENT, purpose="direct-care", operation="read"
    )

    assert decision.basis is ConsentBasis.IMPLIED
    assert decision.record is None


def test_registry_check_unchanged() -> None:
    # ConsentRegistry.check keeps its own rule: explicit or written records.
    registry = ConsentRegistry()

    with pytest.raises(ConsentRequiredError):
        registry.check(PATIENT, "direct-care")
    assert registry.accepted_bases == {ConsentBasis.EXPLICIT, ConsentBasis.WRITTEN}
    assert not registry.restricts_bases


def test_unknown_region_rejected() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ConsentPolicy.for_regions(["MARS"])

    assert "'MARS'" in str(caught.value)


def test_unknown_model_rejected() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RegionConsentModel("XX", "presumed")

    assert "consent model 'presumed' is unknown" in str(caught.value)


def test_naive_time_rejected() -> None:
    policy = ConsentPolicy.for_regions(["UK"])

    with pytest.raises(ValueError, match="timezone-aware"):
        policy.decide(ConsentRegistry(), PATIENT, "direct-care", datetime(2030, 1, 1))
