"""The rejected-access control: the denied audit record is checked and described."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carecert.adapters.compliance import AuditStore
from carecert.adapters.errors import ConsentRequiredError
from carecert.harness.controls.retention import (
    check_rejection_audited,
    describe_rejection_audit,
)

PROVIDER = "nhs"
PATIENT = "9000000009"
ERROR = ConsentRequiredError("Consent for patient 9000000009 was withdrawn.")


@pytest.fixture
def store() -> Iterator[AuditStore]:
    audit = AuditStore(retention_years={"UK": 7})
    yield audit
    audit.close()


def _record(store: AuditStore, outcome: str, detail: str | None) -> None:
    store.record(
        regions=("UK",),
        provider=PROVIDER,
        operation="get_patient_record",
        outcome=outcome,
        patient_value=PATIENT,
        detail=detail,
    )


def test_denied_record_passes(store: AuditStore) -> None:
    before = store.records(provider=PROVIDER)
    _record(store, "denied", "ConsentRequiredError")
    after = store.records(provider=PROVIDER)

    assert check_rejection_audited(PROVIDER, PATIENT, ERROR, before, after) == []


def test_missing_record_fails(store: AuditStore) -> None:
    _record(store, "success", "consent basis explicit")
    before = store.records(provider=PROVIDER)

    findings = check_rejection_audited(PROVIDER, PATIENT, ERROR, before, before)

    assert len(findings) == 1
    assert "1 records before and 1 after, no new record" in findings[0].found
    assert "outcome 'denied'" in findings[0].required


def test_success_record_for_rejection_fails(store: AuditStore) -> None:
    before = store.records(provider=PROVIDER)
    _record(store, "success", "consent basis explicit")
    after = store.records(provider=PROVIDER)

    findings = check_rejection_audited(PROVIDER, PATIENT, ERROR, before, after)

    assert len(findings) == 1
    assert "outcome 'success'" in findings[0].found
    assert "detail 'ConsentRequiredError'" in findings[0].required


def test_wrong_reason_fails(store: AuditStore) -> None:
    before = store.records(provider=PROVIDER)
    _record(store, "denied", "SecondFactorRequiredError")
    after = store.records(provider=PROVIDER)

    findings = check_rejection_audited(PROVIDER, PATIENT, ERROR, before, after)

    assert len(findings) == 1
    assert "reason 'SecondFactorRequiredError'" in findings[0].found


def test_description_names_found_and_required(store: AuditStore) -> None:
    before = store.records(provider=PROVIDER)
    _record(store, "denied", "ConsentRequiredError")
    after = store.records(provider=PROVIDER)

    text = describe_rejection_audit(PROVIDER, ERROR, before, after)

    assert text.startswith("found: nhs rejected the access with ConsentRequiredError")
    assert "was withdrawn" in text
    assert "0 before and 1 after" in text
    assert "operation 'get_patient_record'" in text
    assert "outcome 'denied'" in text
    assert "reason 'ConsentRequiredError'" in text
    assert "Required: one new record with outcome 'denied'" in text
