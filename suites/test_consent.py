"""Consent controls: no patient data is requested without an accepted consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance import ConsentRecord, ConsentRegistry
from carecert.adapters.errors import ConsentRequiredError
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import check_rejected_before_sending, error_of
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio

NOW = datetime.now(UTC)


def _record(patient, basis, purpose="direct-care", **changes):
    fields = {"granted_at": NOW - timedelta(days=30), **changes}
    return ConsentRecord(patient=patient, purpose=purpose, basis=basis, **fields)


# Each case returns the consent records to offer, given the patient, a basis
# the region accepts and one it rejects.
REFUSALS = {
    "no record": lambda patient, accepted, rejected: [],
    "withdrawn": lambda patient, accepted, rejected: [
        _record(patient, accepted, withdrawn_at=NOW - timedelta(days=1))
    ],
    "expired": lambda patient, accepted, rejected: [
        _record(patient, accepted, expires_at=NOW - timedelta(days=1))
    ],
    "other purpose": lambda patient, accepted, rejected: [
        _record(patient, accepted, purpose="research")
    ],
    "unaccepted basis": lambda patient, accepted, rejected: [
        _record(patient, rejected)
    ],
}


@pytest.mark.control(check="consent-required")
@pytest.mark.parametrize("case", list(REFUSALS))
async def test_access_without_valid_consent_sends_nothing(
    provider_id, case, carecert_rules, provider_factory, provider_harness, evidence
):
    control = carecert_rules.control
    bases, rule = carecert_rules.accepted_bases()
    rejected = carecert_rules.rejected_basis()
    if case == "unaccepted basis" and rejected is None:
        pytest.skip(
            f"not applicable: {', '.join(carecert_rules.codes)} accept every "
            "consent basis, so no basis can be refused"
        )
    accepted = next(iter(sorted(bases)), None)
    assert accepted is not None, f"no consent basis is accepted: {rule}"
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    records = REFUSALS[case](patient, accepted, rejected)
    registry = ConsentRegistry(records, accepted_bases=bases)
    transport = RecordingTransport()
    provider = provider_factory(
        provider_id, consent_registry=registry, transport=transport
    )

    error = await error_of(harness.read_patient(provider, patient))

    findings = check_rejected_before_sending(
        provider_id,
        f"consent case {case!r}",
        error,
        ConsentRequiredError,
        len(transport.requests),
    )
    assert not findings, control_failure(control, findings)
    assert patient.value in str(error)
    evidence.decide(rule)
    evidence.note(f"{case}: refused with {type(error).__name__}: {error}")
