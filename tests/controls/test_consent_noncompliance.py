"""Consent models per region: a lax guard fails the control, a real one passes.

Every case sends a request through a real ComplianceGuard and an httpx client
whose transport records what reaches it. The non-compliant guard applies a
looser consent model (or a registry that drops withdrawals), so the request
leaves. The failure message must then name the control id, its clause, what
was found and what was required.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.compliance.audit import AuditStore
from carecert.adapters.compliance.catalogue import Control
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
from carecert.adapters.errors import ConsentRequiredError
from carecert.adapters.models import Identifier
from carecert.adapters.provider import (
    AuthMethod,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.harness.controls.consent import (
    RejectionCase,
    check_rejection_reason,
    rejection_case,
)
from carecert.harness.controls.findings import Finding, control_failure
from carecert.harness.controls.rejections import check_rejected_before_sending, error_of
from carecert.harness.transports import RecordingTransport

CATALOGUE = load_catalogue()
PATIENT = Identifier(system="urn:carecert:test-patient", value="TP-000002")
HOST = "api.provider.example"


class _ForgetsWithdrawals(ConsentRegistry):
    """A non-compliant registry that loses withdrawn records and opt-outs."""

    def records_for(self, patient: Identifier) -> list[ConsentRecord]:
        return [r for r in super().records_for(patient) if r.withdrawn_at is None]


def lax(model: str) -> ConsentPolicy:
    return ConsentPolicy((RegionConsentModel("LAX", model),))


# (region, rejection case, how the non-compliant guard gets it wrong)
CASES = [
    ("UK", "no record", "opt-out"),
    ("EU", "bundled purposes", "explicit"),
    ("DE", "explicit without writing", "explicit"),
    ("DE", "written without evidence", "explicit"),
    ("ES", "other purpose", "implied"),
    ("FR", "expired", "implied"),
    ("IT", "no record", "opt-out"),
    ("US", "other purpose", "implied"),
    ("CA", "withdrawn", "forgets withdrawals"),
    ("AU", "opted out", "forgets withdrawals"),
    ("JP", "no record", "opt-out"),
    ("BR", "legal basis unnamed", "implied"),
]


def info(region: str) -> ProviderInfo:
    return ProviderInfo(
        id=f"{region.lower()}-consent-test",
        name="Consent test provider",
        type=ProviderType.MOCK,
        country=region,
        regions=(region,),
        compliance=(),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(ProviderHost(HOST, region, "test API"),),
    )


def accepted_consent(region: str) -> ConsentRecord:
    # Written with a reference satisfies every model, DE's included.
    return ConsentRecord(
        patient=PATIENT,
        purpose="direct-care",
        basis=ConsentBasis.WRITTEN,
        granted_at=datetime.now(UTC) - timedelta(days=30),
        evidence_reference=f"signed form {region}-0001",
    )


@pytest.fixture
def audit() -> Iterator[AuditStore]:
    store = AuditStore(
        retention_years={
            c: r.audit_retention_years for c, r in CATALOGUE.regions.items()
        }
    )
    yield store
    store.close()


def build(region: str, case: str) -> RejectionCase:
    built = rejection_case(
        case, ConsentPolicy.for_regions([region]), accepted_consent(region)
    )
    assert isinstance(built, RejectionCase), built
    return built


async def attempt(
    guard: ComplianceGuard, purpose: str
) -> tuple[BaseException | None, int]:
    transport = RecordingTransport()
    async with httpx.AsyncClient(transport=transport) as client:

        async def read() -> None:
            with guard.audited(patient=PATIENT, purpose=purpose, operation="read"):
                await client.get(f"https://{HOST}/Patient/{PATIENT.value}")

        error = await error_of(read())
    return error, len(transport.requests)


def findings_for(
    region: str, case: str, built: RejectionCase, error: BaseException | None, sent: int
) -> list[Finding]:
    subject = f"{region.lower()}-consent-test"
    findings = check_rejected_before_sending(
        subject, f"consent case {case!r}", error, ConsentRequiredError, sent
    )
    return findings + check_rejection_reason(subject, case, error, built.reason)


def consent_control(region: str) -> Control:
    return CATALOGUE.control(f"{region}-CON-01")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("region", "case", "laxness"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
async def test_lax_guard_fails_control(
    audit: AuditStore, region: str, case: str, laxness: str
) -> None:
    control = consent_control(region)
    built = build(region, case)
    registry = built.registry
    if laxness == "forgets withdrawals":
        registry = _ForgetsWithdrawals(registry.records_for(PATIENT))
    guard = ComplianceGuard(
        info(region), {"audit_store": audit, "consent_registry": registry}
    )
    if laxness != "forgets withdrawals":
        guard.consent_policy = lax(laxness)

    error, sent = await attempt(guard, built.purpose)
    findings = findings_for(region, case, built, error, sent)
    message = control_failure(control, findings)

    assert sent == 1, "the lax guard must let the request out"
    assert len(findings) == 2
    assert message.startswith(f"{control.id} ({control.clause}) failed:")
    assert "found no error: the access went ahead" in message
    assert f"required ConsentRequiredError for consent case {case!r}" in message
    assert "found 1 request(s) sent" in message
    assert "required nothing sent" in message


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("region", "case", "laxness"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
async def test_real_guard_meets_control(
    audit: AuditStore, region: str, case: str, laxness: str
) -> None:
    built = build(region, case)
    guard = ComplianceGuard(
        info(region), {"audit_store": audit, "consent_registry": built.registry}
    )

    error, sent = await attempt(guard, built.purpose)
    findings = findings_for(region, case, built, error, sent)

    assert not findings, control_failure(consent_control(region), findings)
    assert sent == 0
    assert [r.outcome for r in audit.records()] == ["denied"]


@pytest.mark.asyncio
@pytest.mark.parametrize("region", ["US", "CA", "AU"])
async def test_presumed_consent_sends(audit: AuditStore, region: str) -> None:
    guard = ComplianceGuard(
        info(region), {"audit_store": audit, "consent_registry": ConsentRegistry()}
    )

    error, sent = await attempt(guard, "direct-care")

    assert sent == 1
    # RecordingTransport returns status 599, which httpx passes on without raising.
    assert error is None
    records = audit.records()
    assert [r.outcome for r in records] == ["success"]
    assert "(presumed, no consent record)" in (records[0].detail or "")


def test_wrong_rejection_reason_found() -> None:
    error = ConsentRequiredError("No consent is recorded for patient TP-000002")

    findings = check_rejection_reason("x", "bundled purposes", error, "bundled with")

    assert len(findings) == 1
    assert "found a rejection for another reason: No consent is recorded" in str(
        findings[0]
    )
    assert "required a rejection for bundled purposes whose message contains" in str(
        findings[0]
    )
