"""UK consent control: no patient data is requested without explicit consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance import ConsentBasis, ConsentRecord, ConsentRegistry
from carecert.adapters.errors import ConsentRequiredError
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio

NOW = datetime.now(UTC)


def _record(patient, purpose="direct-care", basis=ConsentBasis.EXPLICIT, **changes):
    fields = {"granted_at": NOW - timedelta(days=30), **changes}
    return ConsentRecord(patient=patient, purpose=purpose, basis=basis, **fields)


REFUSALS = {
    "no record": lambda patient: [],
    "withdrawn": lambda patient: [
        _record(patient, withdrawn_at=NOW - timedelta(days=1))
    ],
    "expired": lambda patient: [_record(patient, expires_at=NOW - timedelta(days=1))],
    "other purpose": lambda patient: [_record(patient, purpose="research")],
    "implied only": lambda patient: [_record(patient, basis=ConsentBasis.IMPLIED)],
}


@pytest.mark.control("UK-CON-01")
@pytest.mark.parametrize("case", list(REFUSALS))
async def test_access_without_explicit_consent_sends_nothing(
    provider_id, case, provider_factory, provider_harness, evidence
):
    harness = provider_harness(provider_id)
    patient = harness.sample_patient
    registry = ConsentRegistry(REFUSALS[case](patient))
    transport = RecordingTransport()
    provider = provider_factory(
        provider_id, consent_registry=registry, transport=transport
    )

    with pytest.raises(ConsentRequiredError) as refused:
        await harness.read_patient(provider, patient)

    assert transport.requests == [], (
        f"UK-CON-01 (UK GDPR Art. 6(1)(a), 7(1), 9(2)(a)): {provider_id} sent "
        f"{len(transport.requests)} request(s) with consent case {case!r}; "
        "required: nothing sent"
    )
    assert patient.value in str(refused.value)
    evidence.note(
        f"{case}: refused with {type(refused.value).__name__}: {refused.value}"
    )
