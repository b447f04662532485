"""The default ProviderHarness verifies each declared second-factor kind."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from carecert.adapters.compliance import UserSession
from carecert.adapters.nhs.testing import NHSHarness
from carecert.adapters.provider import MfaKind

VERIFIABLE = [MfaKind.SMS, MfaKind.EMAIL, MfaKind.TOTP, MfaKind.SMART_CARD]


@pytest.mark.parametrize("kind", VERIFIABLE, ids=[k.value for k in VERIFIABLE])
def test_declared_kind_verified(kind: MfaKind) -> None:
    harness = NHSHarness()
    harness.info = dataclasses.replace(harness.info, mfa_kind=kind)
    session = UserSession("clinician-1")

    note = harness.verify_second_factor(session)

    assert session.has_verified(kind, max_age=timedelta(minutes=1))
    assert "verified" in note


@pytest.mark.parametrize("kind", [MfaKind.DEVICE, MfaKind.APP])
def test_unsupported_kind_names_the_fix(kind: MfaKind) -> None:
    harness = NHSHarness()
    harness.info = dataclasses.replace(harness.info, mfa_kind=kind)

    with pytest.raises(NotImplementedError) as caught:
        harness.verify_second_factor(UserSession("clinician-1"))

    assert "verify_second_factor()" in str(caught.value)
