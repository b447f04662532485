"""The default ProviderHarness verifies each declared second-factor kind."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from carecert.adapters.compliance import UserSession
from carecert.adapters.nhs.testing import NHSHarness
from carecert.adapters.provider import MfaKind
from carecert.harness.providers import _POSSESSION_VERIFIERS

VERIFIABLE = list(MfaKind)


@pytest.mark.parametrize("kind", VERIFIABLE, ids=[k.value for k in VERIFIABLE])
def test_declared_kind_verified(kind: MfaKind) -> None:
    harness = NHSHarness()
    harness.info = dataclasses.replace(harness.info, mfa_kind=kind)
    session = UserSession("clinician-1")

    note = harness.verify_second_factor(session)

    assert session.has_verified(kind, max_age=timedelta(minutes=1))
    assert "verified" in note


def test_unsupported_kind_names_the_fix() -> None:
    harness = NHSHarness()
    # A kind outside MfaKind stands for one a future provider might declare.
    harness.info = dataclasses.replace(harness.info, mfa_kind="PALM_VEIN")  # type: ignore[arg-type]

    with pytest.raises(NotImplementedError) as caught:
        harness.verify_second_factor(UserSession("clinician-1"))

    assert "verify_second_factor()" in str(caught.value)


@pytest.mark.parametrize("kind", [MfaKind.SMART_CARD, MfaKind.DEVICE, MfaKind.APP])
def test_possession_signature_by_another_key_rejected(kind: MfaKind) -> None:
    verifier_class, _ = _POSSESSION_VERIFIERS[kind]
    registered = ec.generate_private_key(ec.SECP256R1())
    stolen = ec.generate_private_key(ec.SECP256R1())
    verifier = verifier_class(lambda user: registered.public_key())
    session = UserSession("clinician-1")

    challenge = verifier.challenge(session)
    signature = stolen.sign(challenge, ec.ECDSA(hashes.SHA256()))

    assert verifier.verify(session, signature) is False
    assert not session.has_verified(kind, max_age=timedelta(minutes=1))
