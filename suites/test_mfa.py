"""MFA controls: user-restricted access needs a verified second factor."""

from __future__ import annotations

import pytest

from carecert.adapters.compliance import (
    ConsentRegistry,
    UserSession,
)
from carecert.adapters.compliance.guard import SECOND_FACTOR_MAX_AGE
from carecert.adapters.errors import SecondFactorRequiredError
from carecert.harness.controls.findings import control_failure
from carecert.harness.controls.rejections import check_rejected_before_sending, error_of
from carecert.harness.transports import RecordingTransport

pytestmark = pytest.mark.asyncio


@pytest.mark.control(check="second-factor")
async def test_user_restricted_access_without_second_factor_refused(
    provider_id,
    carecert_control,
    carecert_state,
    provider_factory,
    provider_harness,
    evidence,
):
    harness = provider_harness(provider_id)
    info = carecert_state.registry.get_registration(provider_id).info
    if not info.mfa_required:
        pytest.skip(f"not applicable: {provider_id} does not require MFA")
    patient = harness.sample_patient
    transport = RecordingTransport()
    provider = provider_factory(
        provider_id,
        access_mode="user-restricted",
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
        transport=transport,
    )

    without_session = await error_of(harness.read_patient(provider, patient))
    sent_without_session = len(transport.requests)
    unverified = await error_of(
        harness.read_patient(provider, patient, session=UserSession("clinician-1"))
    )
    sent_unverified = len(transport.requests) - sent_without_session

    findings = check_rejected_before_sending(
        provider_id,
        "no user session",
        without_session,
        SecondFactorRequiredError,
        sent_without_session,
    ) + check_rejected_before_sending(
        provider_id,
        "a user without a verified second factor",
        unverified,
        SecondFactorRequiredError,
        sent_unverified,
    )
    assert not findings, control_failure(carecert_control, findings)
    evidence.note(
        f"{provider_id} declares MFA kind {info.mfa_kind}. carecert's compliance "
        "guard enforces the second factor before any request. Found: with no user "
        f"session it raised {_describe(without_session)} and sent "
        f"{sent_without_session} request(s); for a user without a verified second "
        f"factor it raised {_describe(unverified)} and sent {sent_unverified} "
        "request(s). Required: SecondFactorRequiredError and no request sent in "
        "both cases"
    )


def _describe(error):
    return f"{type(error).__name__} ({error})"


@pytest.mark.control(check="second-factor")
async def test_user_restricted_access_with_verified_factor_allowed(
    provider_id,
    carecert_state,
    provider_factory,
    provider_harness,
    provider_cassette,
    evidence,
):
    harness = provider_harness(provider_id)
    info = carecert_state.registry.get_registration(provider_id).info
    if not info.mfa_required:
        pytest.skip(f"not applicable: {provider_id} does not require MFA")
    patient = harness.sample_patient
    session = UserSession("clinician-1")
    verified = harness.verify_second_factor(session)

    provider = provider_factory(
        provider_id,
        access_mode="user-restricted",
        consent_registry=ConsentRegistry([harness.consent_for(patient)]),
    )
    with provider_cassette(provider_id, "user_restricted_read"):
        record = await harness.read_patient(provider, patient, session=session)

    assert record.patient.identifier_value(patient.system) == patient.value
    if carecert_state.mock_api:
        traffic = "the in-process simulator served the request"
    elif carecert_state.replaying:
        traffic = "the request was replayed from cassette user_restricted_read"
    else:
        traffic = "the simulator's response was recorded into user_restricted_read"
    note = (
        f"found: {verified}; carecert's compliance guard checked the second factor "
        f"before any request and allowed access, and {traffic}"
    )
    if harness.user_token_note:
        note += f". {harness.user_token_note}"
    max_age_hours = SECOND_FACTOR_MAX_AGE.total_seconds() / 3600
    note += (
        f". Required: a second factor of kind {info.mfa_kind} (the kind "
        f"{provider_id} declares) verified within the last {max_age_hours:g} hours"
    )
    evidence.note(note)
