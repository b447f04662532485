"""Second factors: one-time codes, TOTP and the session that records them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from carecert.adapters.compliance.mfa import (
    OneTimeCodeVerifier,
    TotpVerifier,
    UserSession,
)
from carecert.adapters.provider import MfaKind

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class Outbox:
    """Code sender that stores each (user id, code) pair, in place of an SMS gateway."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, user_id: str, code: str) -> None:
        self.sent.append((user_id, code))

    @property
    def last_code(self) -> str:
        return self.sent[-1][1]


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def verifier(outbox: Outbox) -> OneTimeCodeVerifier:
    return OneTimeCodeVerifier(MfaKind.SMS, outbox, max_attempts=3)


def increment_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_code_sent_to_user(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    verifier.challenge(UserSession("alice"), at=T0)
    assert len(outbox.sent) == 1
    assert outbox.sent[0][0] == "alice"


def test_code_six_digits(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    session = UserSession("alice")
    for _ in range(50):
        verifier.challenge(session, at=T0)
        assert len(outbox.last_code) == 6
        assert outbox.last_code.isascii()
        assert outbox.last_code.isdigit()


def test_right_code_verifies_once(
    verifier: OneTimeCodeVerifier, outbox: Outbox
) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    code = outbox.last_code
    assert verifier.verify(session, code, at=T0 + timedelta(seconds=30))
    assert session.verified_factors[MfaKind.SMS] == T0 + timedelta(seconds=30)
    assert not verifier.verify(session, code, at=T0 + timedelta(seconds=31))


def test_wrong_code_fails(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    assert not verifier.verify(session, increment_code(outbox.last_code), at=T0)
    assert MfaKind.SMS not in session.verified_factors


def test_right_code_after_few_wrong(
    verifier: OneTimeCodeVerifier, outbox: Outbox
) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    code = outbox.last_code
    assert not verifier.verify(session, increment_code(code), at=T0)
    assert not verifier.verify(session, increment_code(code), at=T0)
    assert verifier.verify(session, code, at=T0)


def test_locks_after_max_attempts(
    verifier: OneTimeCodeVerifier, outbox: Outbox
) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    code = outbox.last_code
    for _ in range(3):
        assert not verifier.verify(session, increment_code(code), at=T0)
    assert not verifier.verify(session, code, at=T0)
    assert MfaKind.SMS not in session.verified_factors


def test_new_challenge_after_lock(
    verifier: OneTimeCodeVerifier, outbox: Outbox
) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    for _ in range(3):
        verifier.verify(session, increment_code(outbox.last_code), at=T0)
    verifier.challenge(session, at=T0)
    assert verifier.verify(session, outbox.last_code, at=T0)


def test_code_expires(outbox: Outbox) -> None:
    verifier = OneTimeCodeVerifier(MfaKind.EMAIL, outbox, ttl=timedelta(minutes=5))
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    assert not verifier.verify(session, outbox.last_code, at=T0 + timedelta(minutes=5))


def test_code_valid_before_expiry(outbox: Outbox) -> None:
    verifier = OneTimeCodeVerifier(MfaKind.EMAIL, outbox, ttl=timedelta(minutes=5))
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    late = T0 + timedelta(minutes=4, seconds=59)
    assert verifier.verify(session, outbox.last_code, at=late)
    assert session.has_verified(MfaKind.EMAIL, max_age=timedelta(0), at=late)


def test_new_challenge_replaces_code(
    verifier: OneTimeCodeVerifier, outbox: Outbox
) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    first = outbox.last_code
    verifier.challenge(session, at=T0)
    second = outbox.last_code
    if first != second:
        assert not verifier.verify(session, first, at=T0)
    assert verifier.verify(session, second, at=T0)


def test_no_challenge_fails(verifier: OneTimeCodeVerifier) -> None:
    assert not verifier.verify(UserSession("alice"), "123456", at=T0)


def test_codes_per_user(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    alice, bob = UserSession("alice"), UserSession("bob")
    verifier.challenge(alice, at=T0)
    alice_code = outbox.last_code
    verifier.challenge(bob, at=T0)
    bob_code = outbox.last_code
    assert verifier.verify(alice, alice_code, at=T0)
    assert verifier.verify(bob, bob_code, at=T0)


def test_non_ascii_code_fails(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in outbox.last_code)
    assert not verifier.verify(session, arabic_indic, at=T0)


@pytest.mark.parametrize(
    "kind", [MfaKind.TOTP, MfaKind.SMART_CARD, MfaKind.DEVICE, MfaKind.APP]
)
def test_only_sms_or_email(kind: MfaKind, outbox: Outbox) -> None:
    with pytest.raises(ValueError) as caught:
        OneTimeCodeVerifier(kind, outbox)
    assert kind.value in str(caught.value)


@pytest.mark.parametrize("kind", [MfaKind.SMS, MfaKind.EMAIL])
def test_sms_and_email_allowed(kind: MfaKind, outbox: Outbox) -> None:
    assert OneTimeCodeVerifier(kind, outbox).kind is kind


SECRET = pyotp.random_base32()


@pytest.fixture
def totp_verifier() -> TotpVerifier:
    return TotpVerifier(lambda user_id: SECRET, valid_window=1)


def test_totp_current_code(totp_verifier: TotpVerifier) -> None:
    session = UserSession("alice")
    code = pyotp.TOTP(SECRET).at(T0)
    assert totp_verifier.verify(session, code, at=T0)
    assert session.verified_factors[MfaKind.TOTP] == T0


def test_totp_real_clock(totp_verifier: TotpVerifier) -> None:
    session = UserSession("alice")
    assert totp_verifier.verify(session, pyotp.TOTP(SECRET).now())
    assert session.has_verified(MfaKind.TOTP, max_age=timedelta(minutes=1))


def test_totp_replay_rejected(totp_verifier: TotpVerifier) -> None:
    session = UserSession("alice")
    code = pyotp.TOTP(SECRET).at(T0)
    assert totp_verifier.verify(session, code, at=T0)
    assert not totp_verifier.verify(session, code, at=T0 + timedelta(seconds=10))


def test_totp_earlier_step_rejected(totp_verifier: TotpVerifier) -> None:
    totp = pyotp.TOTP(SECRET)
    session = UserSession("alice")
    assert totp_verifier.verify(session, totp.at(T0), at=T0)
    previous = totp.at(T0 - timedelta(seconds=30))
    if previous != totp.at(T0):
        assert not totp_verifier.verify(session, previous, at=T0)


def test_totp_next_step_accepted(totp_verifier: TotpVerifier) -> None:
    totp = pyotp.TOTP(SECRET)
    session = UserSession("alice")
    assert totp_verifier.verify(session, totp.at(T0), at=T0)
    later = T0 + timedelta(seconds=30)
    assert totp_verifier.verify(session, totp.at(later), at=later)


def test_totp_same_digits_later_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # A six-digit code recurs about once in a million steps on average, so
    # here every step yields the same digits.
    monkeypatch.setattr(pyotp.TOTP, "generate_otp", lambda self, step: "123456")
    verifier = TotpVerifier(lambda user_id: SECRET, valid_window=0)
    session = UserSession("alice")
    assert verifier.verify(session, "123456", at=T0)
    assert not verifier.verify(session, "123456", at=T0 + timedelta(seconds=10))
    assert verifier.verify(session, "123456", at=T0 + timedelta(seconds=60))


def test_totp_wrong_code(totp_verifier: TotpVerifier) -> None:
    session = UserSession("alice")
    code = pyotp.TOTP(SECRET).at(T0)
    assert not totp_verifier.verify(session, increment_code(code), at=T0)
    assert MfaKind.TOTP not in session.verified_factors


def test_totp_old_code(totp_verifier: TotpVerifier) -> None:
    session = UserSession("alice")
    old = pyotp.TOTP(SECRET).at(T0 - timedelta(days=1))
    current_window = {
        pyotp.TOTP(SECRET).at(T0 + timedelta(seconds=30 * offset))
        for offset in (-1, 0, 1)
    }
    if old not in current_window:
        assert not totp_verifier.verify(session, old, at=T0)


def test_totp_users_independent(totp_verifier: TotpVerifier) -> None:
    code = pyotp.TOTP(SECRET).at(T0)
    assert totp_verifier.verify(UserSession("alice"), code, at=T0)
    assert totp_verifier.verify(UserSession("bob"), code, at=T0)


def test_has_verified_max_age() -> None:
    session = UserSession("alice")
    session.mark_verified(MfaKind.SMS, T0)
    max_age = timedelta(hours=12)
    assert session.has_verified(MfaKind.SMS, max_age=max_age, at=T0 + max_age)
    late = T0 + max_age + timedelta(seconds=1)
    assert not session.has_verified(MfaKind.SMS, max_age=max_age, at=late)


def test_has_verified_other_kind() -> None:
    session = UserSession("alice")
    session.mark_verified(MfaKind.SMS, T0)
    assert not session.has_verified(MfaKind.TOTP, max_age=timedelta(hours=1), at=T0)


def test_has_verified_before_verification() -> None:
    session = UserSession("alice")
    session.mark_verified(MfaKind.SMS, T0)
    earlier = T0 - timedelta(minutes=1)
    assert not session.has_verified(MfaKind.SMS, max_age=timedelta(hours=1), at=earlier)


def test_repr_hides_codes(verifier: OneTimeCodeVerifier, outbox: Outbox) -> None:
    session = UserSession("alice")
    verifier.challenge(session, at=T0)
    code = outbox.last_code
    assert code not in repr(verifier)
    assert code not in repr(session)
    assert verifier.verify(session, code, at=T0)
    assert repr(session) == "UserSession(user_id='alice', verified=[SMS])"
    assert code not in repr(session)
