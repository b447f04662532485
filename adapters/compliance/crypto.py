"""AES-256-GCM encryption of audit record fields at rest.

Each value gets a random 96-bit nonce. The record id and column name are the
associated data, so a ciphertext copied to another record or column fails
authentication, as does any changed byte or a different key.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carecert.adapters.errors import CarecertError, ConfigurationError

__all__ = ["KEY_BYTES", "NONCE_BYTES", "AuditIntegrityError", "FieldCipher", "read_key"]

KEY_BYTES = 32
NONCE_BYTES = 12
_FORMAT = b"carecert-audit-v1"


class AuditIntegrityError(CarecertError):
    """Error for an encrypted audit value that failed authentication.

    It is raised in place of returning the value, so altered data never
    reaches the caller.
    """


def read_key(value: object, source: str) -> bytes:
    """Return a 32-byte key given as bytes or as base64 text.

    ``source`` names the setting in the ConfigurationError, which never
    contains the value, because it is a secret.
    """
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ConfigurationError(
                f"{source} is not valid base64. Give 32 random bytes, or their "
                "base64 text, e.g. from AESGCM.generate_key(bit_length=256)."
            ) from None
    if not isinstance(value, bytes) or len(value) != KEY_BYTES:
        length = len(value) if isinstance(value, bytes) else type(value).__name__
        raise ConfigurationError(
            f"{source} must be {KEY_BYTES} bytes for AES-256-GCM, got {length}. "
            "Generate one with AESGCM.generate_key(bit_length=256)."
        )
    return value


class FieldCipher:
    """Encrypt and decrypt one store's field values with AES-256-GCM."""

    def __init__(self, key: bytes | str, store: str) -> None:
        self._aead = AESGCM(read_key(key, f"the audit key of {store}"))
        self._store = store

    def encrypt(self, value: str, *, record_id: int, column: str) -> bytes:
        """Return nonce followed by ciphertext and tag, bound to the record field."""
        nonce = os.urandom(NONCE_BYTES)
        data = self._aead.encrypt(
            nonce, value.encode("utf-8"), _associated(record_id, column)
        )
        return nonce + data

    def decrypt(self, stored: bytes, *, record_id: int, column: str) -> str:
        """Return the plaintext, or raise AuditIntegrityError naming the field."""
        nonce, data = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, data, _associated(record_id, column))
        except InvalidTag:
            raise AuditIntegrityError(
                f"Audit record {record_id} column {column} in {self._store} failed "
                "AES-GCM authentication: the value was altered, moved from another "
                "record or column, or the key is not the one it was written with. "
                "Restore the store from a backup, or open it with its own key."
            ) from None
        return plain.decode("utf-8")


def _associated(record_id: int, column: str) -> bytes:
    return b"\x00".join((_FORMAT, str(record_id).encode(), column.encode()))
