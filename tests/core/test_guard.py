"""Compliance guard: consent, second factor and audit checks for one provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carecert.adapters.compliance.audit import AuditStore
from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.compliance.guard import ComplianceGuard, accepted_bases_for
from carecert.adapters.compliance.mfa import OneTimeCodeVerifier, UserSession
from carecert.adapters.errors import (
    ConfigurationError,
    ConsentRequiredError,
    SecondFactorRequiredError,
)
from carecert.adapters.models import Identifier
from carecert.adapters.provider import (
    AuthMethod,
    MfaKind,
    ProviderInfo,
    ProviderType,
)

INFO = ProviderInfo(
    id="uk-test",
    name="UK test provider",
    type=ProviderType.MOCK,
    country="GB",
    regions=("UK",),
    compliance=("UK GDPR",),
    primary_auth=AuthMethod.OAUTH2,
    secondary_auth=None,
    mfa_required=True,
    mfa_kind=MfaKind.SMS,
    hosts=(),
)
PATIENT = Identifier(system="https://fhir.nhs.uk/Id/nhs-number", value="9000000009")
PURPOSE = "direct-care"


@pytest.fixture
def audit() -> Iterator[AuditStore]:
    store = AuditStore(retention_years={"UK": 7})
    yield store
    store.close()


@pytest.fixture
def consent() -> ConsentRegistry:
    return ConsentRegistry(
        [
            ConsentRecord(
                patient=PATIENT,
                purpose=PURPOSE,
                basis=ConsentBasis.EXPLICIT,
                granted_at=datetime.now(UTC) - timedelta(days=1),
            )
        ]
    )


def make_guard(audit: AuditStore, **config: Any) -> ComplianceGuard:
    return ComplianceGuard(INFO, {"audit_store": audit, **config})


def check(guard: ComplianceGuard, session: UserSession | None = None) -> None:
    guard.check_access(
        patient=PATIENT, purpose=PURPOSE, operation="patient.read", session=session
    )


def sms_verified_session() -> UserSession:
    outbox: list[str] = []
    verifier = OneTimeCodeVerifier(MfaKind.SMS, lambda user, code: outbox.append(code))
    session = UserSession("clinician-1")
    verifier.challenge(session)
    assert verifier.verify(session, outbox[-1])
    return session


def test_default_consent_rejects(audit: AuditStore) -> None:
    guard = make_guard(audit)
    with pytest.raises(ConsentRequiredError) as caught:
        check(guard)
    assert "No consent is recorded" in str(caught.value)


def test_default_registry_bases(audit: AuditStore) -> None:
    guard = make_guard(audit)
    expected = frozenset({ConsentBasis.EXPLICIT, ConsentBasis.WRITTEN})
    assert guard.consent.accepted_bases == expected


def test_rejection_audited_denied(audit: AuditStore) -> None:
    guard = make_guard(audit)
    with pytest.raises(ConsentRequiredError):
        check(guard)
    records = audit.records()
    assert len(records) == 1
    assert records[0].outcome == "denied"
    assert records[0].detail == "ConsentRequiredError"
    assert records[0].provider == "uk-test"
    assert records[0].operation == "patient.read"
    assert records[0].patient_value == "9000000009"
    assert records[0].purpose == PURPOSE
    assert records[0].actor == "application:uk-test"
    assert records[0].region == "UK"


def test_application_access_passes(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent)
    check(guard)
    assert audit.records() == []


def test_user_without_session(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent, access_mode="user-restricted")
    with pytest.raises(SecondFactorRequiredError) as caught:
        check(guard)
    assert "SMS" in str(caught.value)
    assert "none was given" in str(caught.value)
    assert [r.detail for r in audit.records()] == ["SecondFactorRequiredError"]


def test_user_unverified_session(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent, access_mode="user-restricted")
    with pytest.raises(SecondFactorRequiredError) as caught:
        check(guard, UserSession("clinician-1"))
    assert "'clinician-1'" in str(caught.value)
    assert audit.records()[0].actor == "clinician-1"


def test_user_stale_factor(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent, access_mode="user-restricted")
    session = UserSession("clinician-1")
    session.mark_verified(MfaKind.SMS, datetime.now(UTC) - timedelta(hours=13))
    with pytest.raises(SecondFactorRequiredError):
        check(guard, session)


def test_user_wrong_factor_kind(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent, access_mode="user-restricted")
    session = UserSession("clinician-1")
    session.mark_verified(MfaKind.EMAIL)
    with pytest.raises(SecondFactorRequiredError):
        check(guard, session)


def test_user_sms_and_consent_pass(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent, access_mode="user-restricted")
    check(guard, sms_verified_session())
    assert audit.records() == []


def test_user_sms_without_consent(audit: AuditStore) -> None:
    guard = make_guard(audit, access_mode="user-restricted")
    with pytest.raises(ConsentRequiredError):
        check(guard, sms_verified_session())
    assert [r.detail for r in audit.records()] == ["ConsentRequiredError"]


def test_record_access_success(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent)
    guard.record_access(
        patient=PATIENT, purpose=PURPOSE, operation="patient.read", outcome="success"
    )
    assert [r.outcome for r in audit.records()] == ["success"]


def test_invalid_access_mode(audit: AuditStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_guard(audit, access_mode="user")
    assert "'user'" in str(caught.value)
    assert "user-restricted" in str(caught.value)


def test_wrong_registry_type(audit: AuditStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_guard(audit, consent_registry={"9000000009": "yes"})
    assert "consent_registry" in str(caught.value)
    assert "dict" in str(caught.value)


def test_wrong_audit_store_type() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ComplianceGuard(INFO, {"audit_store": 42})
    assert "audit_store" in str(caught.value)
    assert "int" in str(caught.value)


def test_audit_store_path_string(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    guard = ComplianceGuard(INFO, {"audit_store": str(path)})
    try:
        with pytest.raises(ConsentRequiredError):
            check(guard)
        assert guard.audit.path == str(path)
    finally:
        guard.audit.close()
    reopened = AuditStore(path, retention_years={"UK": 7})
    try:
        assert [r.outcome for r in reopened.records()] == ["denied"]
    finally:
        reopened.close()


def test_audit_path_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "env" / "audit.sqlite3"
    monkeypatch.setenv("CARECERT_AUDIT_DB", str(path))
    guard = ComplianceGuard(INFO, {})
    try:
        assert guard.audit.path == str(path)
    finally:
        guard.audit.close()
    assert path.exists()


def test_uk_bases_exclude_implied() -> None:
    bases = accepted_bases_for(("UK",))
    assert ConsentBasis.IMPLIED not in bases
    assert ConsentBasis.OPT_OUT not in bases
    assert ConsentBasis.EXPLICIT in bases
    assert ConsentBasis.WRITTEN in bases


def test_unknown_region_bases() -> None:
    with pytest.raises(ConfigurationError) as caught:
        accepted_bases_for(("MARS",))
    assert "'MARS'" in str(caught.value)


def test_audited_block_success(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent)
    with guard.audited(patient=PATIENT, purpose=PURPOSE, operation="patient.read"):
        pass
    records = audit.records()
    assert len(records) == 1
    assert records[0].outcome == "success"
    assert records[0].detail is not None
    assert records[0].detail.startswith("consent basis explicit (record granted")
    assert records[0].operation == "patient.read"


def test_audited_block_failure(audit: AuditStore, consent: ConsentRegistry) -> None:
    guard = make_guard(audit, consent_registry=consent)
    with (
        pytest.raises(KeyError),
        guard.audited(patient=PATIENT, purpose=PURPOSE, operation="patient.read"),
    ):
        raise KeyError("boom")
    records = audit.records()
    assert len(records) == 1
    assert records[0].outcome == "failure"
    assert records[0].detail == "KeyError"


def test_audited_refusal_skips_block(audit: AuditStore) -> None:
    guard = make_guard(audit)
    ran = False
    with (
        pytest.raises(ConsentRequiredError),
        guard.audited(patient=PATIENT, purpose=PURPOSE, operation="patient.read"),
    ):
        ran = True
    assert not ran
    records = audit.records()
    assert len(records) == 1
    assert records[0].outcome == "denied"
