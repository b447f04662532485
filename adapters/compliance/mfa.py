"""Second factors for user-restricted access.

A UserSession carries the factors a user has verified. Verifiers issue and
check one-time codes (SMS or email, delivered by a sender the user supplies)
or TOTP codes (RFC 6238, checked with pyotp).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyotp

from carecert.adapters.provider import MfaKind

__all__ = ["OneTimeCodeVerifier", "TotpVerifier", "UserSession"]


@dataclass
class UserSession:
    """An end user's session and the second factors verified in it."""

    user_id: str
    verified_factors: dict[MfaKind, datetime] = field(default_factory=dict)

    def mark_verified(self, kind: MfaKind, at: datetime | None = None) -> None:
        """Record that factor ``kind`` was verified at ``at`` (now by default)."""
        self.verified_factors[kind] = at or datetime.now(UTC)

    def has_verified(
        self, kind: MfaKind, *, max_age: timedelta, at: datetime | None = None
    ) -> bool:
        """Tell whether ``kind`` was verified within ``max_age`` before ``at``."""
        verified_at = self.verified_factors.get(kind)
        if verified_at is None:
            return False
        # A verification after ``at`` does not count as verified before it.
        return timedelta(0) <= (at or datetime.now(UTC)) - verified_at <= max_age

    def __repr__(self) -> str:
        kinds = ", ".join(sorted(k.value for k in self.verified_factors))
        return f"UserSession(user_id={self.user_id!r}, verified=[{kinds}])"


CodeSender = Callable[[str, str], None]
"""Delivers a code: called with (user_id, code); SMS or email in production."""


class OneTimeCodeVerifier:
    """Issue and check single-use numeric codes sent by SMS or email.

    Codes are six digits from ``secrets``, valid for ``ttl``, single use, and
    locked after ``max_attempts`` wrong tries; comparison is constant-time.
    """

    def __init__(
        self,
        kind: MfaKind,
        sender: CodeSender,
        *,
        ttl: timedelta = timedelta(minutes=5),
        max_attempts: int = 3,
    ) -> None:
        if kind not in (MfaKind.SMS, MfaKind.EMAIL):
            raise ValueError(
                f"OneTimeCodeVerifier handles SMS or EMAIL codes, not {kind}."
            )
        self.kind = kind
        self._sender = sender
        self._ttl = ttl
        self._max_attempts = max_attempts
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, datetime, int]] = {}

    def challenge(self, session: UserSession, at: datetime | None = None) -> None:
        """Send a new code to the session's user, replacing any earlier one."""
        code = f"{secrets.randbelow(10**6):06d}"
        with self._lock:
            self._pending[session.user_id] = (
                code,
                (at or datetime.now(UTC)) + self._ttl,
                0,
            )
        self._sender(session.user_id, code)

    def verify(
        self, session: UserSession, code: str, at: datetime | None = None
    ) -> bool:
        """Check ``code``; on success mark the factor verified in ``session``."""
        now = at or datetime.now(UTC)
        with self._lock:
            pending = self._pending.get(session.user_id)
            if pending is None:
                return False
            expected, expires_at, attempts = pending
            if now >= expires_at or attempts >= self._max_attempts:
                del self._pending[session.user_id]
                return False
            # Bytes, because compare_digest raises TypeError on non-ASCII str.
            if not hmac.compare_digest(expected.encode(), code.encode()):
                self._pending[session.user_id] = (expected, expires_at, attempts + 1)
                return False
            del self._pending[session.user_id]
        session.mark_verified(self.kind, now)
        return True


class TotpVerifier:
    """Check RFC 6238 time-based codes against a user's shared secret."""

    kind = MfaKind.TOTP

    def __init__(
        self, secret_for_user: Callable[[str], str], *, valid_window: int = 1
    ) -> None:
        self._secret_for_user = secret_for_user
        self._valid_window = valid_window
        self._lock = threading.Lock()
        self._last_step: dict[str, int] = {}

    def verify(
        self, session: UserSession, code: str, at: datetime | None = None
    ) -> bool:
        """Check ``code`` for the session's user; a code is accepted once.

        A code whose time step is not later than the user's last accepted one
        is rejected. That stops a replay, but the same six digits are accepted
        again when they recur in a later step.
        """
        now = at or datetime.now(UTC)
        totp = pyotp.TOTP(self._secret_for_user(session.user_id))
        current = totp.timecode(now)
        step = None
        for offset in range(-self._valid_window, self._valid_window + 1):
            candidate = current + offset
            if pyotp.utils.strings_equal(str(code), totp.generate_otp(candidate)):
                step = candidate
                break
        if step is None:
            return False
        with self._lock:
            if step <= self._last_step.get(session.user_id, -1):
                return False
            self._last_step[session.user_id] = step
        session.mark_verified(self.kind, now)
        return True
