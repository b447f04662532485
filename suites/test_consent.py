"""Consent controls: each region's consent model decides whether data may leave.

Every rejection runs against a transport that records requests, so a rejected
access must send nothing. Each parametrized case runs every variant that the
provider's consent models define. For example, "unaccepted basis" also offers a
bundled consent where a model is granular and an explicit consent without
written evidence where a model requires writing. That the access a model
allows goes ahead, and that its audit record names the consent basis, is
checked by the audit-every-access test in test_retention.py.
"""

from __future__ import annotations

import pytest

from carecert.adapters.errors import ConsentRequiredError
from carecert.harness.controls.consent import (
    RejectionCase,
    check_rejection_reason,
    rejection_case,
)
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import check_rejected_before_sending, error_of
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio

# Each parametrized case and the rejection variants it runs, where they apply.
CASE_VARIANTS = {
    "no record": ["no record"],
    "withdrawn": ["withdrawn", "opted out"],
    "expired": ["expired"],
    "other purpose": ["other purpose"],
    "unaccepted basis": [
        "unaccepted basis",
        "bundled purposes",
        "written without evidence",
        "explicit without writing",
        "legal basis unnamed",
    ],
}


@pytest.mark.control(check="consent-required")
@pytest.mark.parametrize("case", list(CASE_VARIANTS))
async def test_access_without_valid_consent_sends_nothing(
    provider_id, case, carecert_rules, provider_factory, provider_harness, evidence
):
    control = carecert_rules.control
    policy, rule = carecert_rules.consent_policy()
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    built: dict[str, RejectionCase] = {}
    reasons: list[str] = []
    for variant in CASE_VARIANTS[case]:
        outcome = rejection_case(variant, policy, harness.consent_for(patient))
        if isinstance(outcome, str):
            reasons.append(f"{variant}: {outcome}")
        else:
            built[variant] = outcome
    if not built:
        pytest.skip(f"not applicable: {'; '.join(reasons)}")

    findings = []
    rejections = []
    sent = {}
    for variant, rejected in built.items():
        transport = RecordingTransport()
        provider = provider_factory(
            provider_id, consent_registry=rejected.registry, transport=transport
        )
        error = await error_of(_read(harness, provider, patient, rejected.purpose))
        findings += check_rejected_before_sending(
            provider_id,
            f"consent case {variant!r}",
            error,
            ConsentRequiredError,
            len(transport.requests),
        )
        findings += check_rejection_reason(provider_id, variant, error, rejected.reason)
        rejections.append((variant, error))
        sent[variant] = len(transport.requests)

    assert not findings, control_failure(control, findings)
    evidence.decide(rule)
    for variant, error in rejections:
        assert patient.value in str(error), (
            f"{control.id}: the rejection for {variant} does not name patient "
            f"{patient.value}: {error}"
        )
        evidence.note(
            f"{variant}: found {type(error).__name__} and {sent[variant]} request(s) "
            f"sent; required ConsentRequiredError, no request sent and a message "
            f"containing {built[variant].reason!r}. Message: {error}"
        )
    for reason in reasons:
        evidence.note(f"not applicable: {reason}")


def _read(harness, provider, patient, purpose):
    if purpose == "direct-care":
        return harness.read_patient(provider, patient)
    return _read_for_purpose(harness, provider, patient, purpose)


async def _read_for_purpose(harness, provider, patient, purpose):
    # ProviderHarness.read_patient has no purpose parameter, so the guard is
    # asked directly for purposes other than direct care.
    provider.guard.check_access(
        patient=patient, purpose=purpose, operation="read_patient"
    )
    return await harness.read_patient(provider, patient)
