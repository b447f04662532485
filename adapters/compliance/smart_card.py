"""Possession factors: a smart card, a registered device or an app signs a challenge.

Health professional cards (the German HBA and SMC-B, for example) prove
possession by signing data with a key that never leaves the card. A device
registered with the provider (an Australian PRODA device, for example) and an
authenticator app that approves a push request prove possession the same way,
with a key bound to the device or app. carecert models each as a private key
the user supplies, or a stand-in for the reader or app, and checks the
signature against the registered public key.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from carecert.adapters.compliance.mfa import UserSession
from carecert.adapters.provider import MfaKind

__all__ = [
    "AppApprovalVerifier",
    "CardSigner",
    "DeviceVerifier",
    "SmartCardVerifier",
]

CardSigner = Callable[[bytes], bytes]
"""Signs a challenge with the card's key (ECDSA with SHA-256, DER-encoded)."""


class SmartCardVerifier:
    """Issue random challenges and check the card's signature over them.

    Subclasses change only ``kind``: the same check proves a registered
    device or an authenticator app.

    ``card_key_for_user`` returns the public key registered for a user's card.
    A challenge is 32 random bytes, valid for ``ttl`` and usable once, so a
    recorded signature cannot be replayed.
    """

    kind = MfaKind.SMART_CARD

    def __init__(
        self,
        card_key_for_user: Callable[[str], ec.EllipticCurvePublicKey],
        *,
        ttl: timedelta = timedelta(minutes=2),
    ) -> None:
        self._card_key_for_user = card_key_for_user
        self._ttl = ttl
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[bytes, datetime]] = {}

    def challenge(self, session: UserSession, at: datetime | None = None) -> bytes:
        """Return a new challenge for the session's user to sign with the card."""
        challenge = secrets.token_bytes(32)
        expires_at = (at or datetime.now(UTC)) + self._ttl
        with self._lock:
            self._pending[session.user_id] = (challenge, expires_at)
        return challenge

    def verify(
        self, session: UserSession, signature: bytes, at: datetime | None = None
    ) -> bool:
        """Check the signature over the pending challenge; mark the factor verified."""
        now = at or datetime.now(UTC)
        with self._lock:
            pending = self._pending.pop(session.user_id, None)
        if pending is None:
            return False
        challenge, expires_at = pending
        if now >= expires_at:
            return False
        public_key = self._card_key_for_user(session.user_id)
        try:
            public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        session.mark_verified(self.kind, now)
        return True


class DeviceVerifier(SmartCardVerifier):
    """Device factor: a device registered with the provider signs the challenge."""

    kind = MfaKind.DEVICE


class AppApprovalVerifier(SmartCardVerifier):
    """App factor: the user's authenticator app signs the challenge to approve it."""

    kind = MfaKind.APP
