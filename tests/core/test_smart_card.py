"""Smart-card second factor: a signature over a fresh challenge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from carecert.adapters.compliance import SmartCardVerifier, UserSession
from carecert.adapters.provider import MfaKind

CARD = ec.generate_private_key(ec.SECP256R1())
OTHER_CARD = ec.generate_private_key(ec.SECP256R1())
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def _verifier() -> SmartCardVerifier:
    return SmartCardVerifier(lambda user: CARD.public_key())


def test_card_signature_verifies_factor() -> None:
    verifier = _verifier()
    session = UserSession("doctor-1")

    challenge = verifier.challenge(session, at=NOW)

    assert verifier.verify(session, _sign(CARD, challenge), at=NOW)
    assert session.has_verified(MfaKind.SMART_CARD, max_age=timedelta(hours=1), at=NOW)


def test_other_card_rejected() -> None:
    verifier = _verifier()
    session = UserSession("doctor-1")
    challenge = verifier.challenge(session, at=NOW)

    assert not verifier.verify(session, _sign(OTHER_CARD, challenge), at=NOW)
    assert MfaKind.SMART_CARD not in session.verified_factors


def test_signature_replay_rejected() -> None:
    verifier = _verifier()
    session = UserSession("doctor-1")
    challenge = verifier.challenge(session, at=NOW)
    signature = _sign(CARD, challenge)

    assert verifier.verify(session, signature, at=NOW)
    assert not verifier.verify(session, signature, at=NOW)


def test_expired_challenge_rejected() -> None:
    verifier = _verifier()
    session = UserSession("doctor-1")
    challenge = verifier.challenge(session, at=NOW)

    late = NOW + timedelta(minutes=3)

    assert not verifier.verify(session, _sign(CARD, challenge), at=late)


def test_signature_over_other_data_rejected() -> None:
    verifier = _verifier()
    session = UserSession("doctor-1")
    verifier.challenge(session, at=NOW)

    assert not verifier.verify(session, _sign(CARD, b"not the challenge"), at=NOW)
