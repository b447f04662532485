"""Signed JWTs that identify the client (RFC 7523).

authlib signs the JWT (``private_key_jwt_sign``) and adds it to the token
request (``PrivateKeyJWT``). This module fixes what authlib leaves open: a
``kid`` header, a lifetime of at most five minutes, a UUID4 ``jti`` per JWT
and a clock that tests can set.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign

from carecert.adapters.auth.keys import JWS_ALGORITHMS, SigningKey
from carecert.adapters.errors import ConfigurationError

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "MAX_ASSERTION_LIFETIME",
    "JWTAssertionSigner",
    "PrivateKeyJwtClientAuth",
]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

MAX_ASSERTION_LIFETIME = 300
"""Maximum seconds a client assertion is valid. NHS England's token endpoint
allows at most five minutes."""


class JWTAssertionSigner:
    """Signer of short-lived JWTs whose issuer and subject are the client id.

    Each JWT carries the header ``alg``, ``typ`` and ``kid``, and the claims
    ``iss`` and ``sub`` (the client id), ``aud``, ``iat``, ``exp`` (``iat``
    plus ``lifetime`` seconds) and a new UUID4 ``jti``.
    """

    def __init__(
        self,
        *,
        provider_id: str,
        client_id: str,
        private_key: SigningKey,
        key_id: str,
        algorithm: str = "RS256",
        lifetime: int = MAX_ASSERTION_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        expected_key = JWS_ALGORITHMS.get(algorithm)
        if expected_key is None:
            raise ConfigurationError(
                f"{provider_id}: signing algorithm {algorithm!r} is not supported. "
                f"Use one of {', '.join(JWS_ALGORITHMS)}."
            )
        if not isinstance(private_key, expected_key):
            raise ConfigurationError(
                f"{provider_id}: {algorithm} needs an {expected_key.key_type} key, "
                f"but the private key is {private_key.key_type}. Change the "
                "algorithm or the key."
            )
        if not 0 < lifetime <= MAX_ASSERTION_LIFETIME:
            raise ConfigurationError(
                f"{provider_id}: assertion lifetime {lifetime!r} is invalid. Give "
                f"1 to {MAX_ASSERTION_LIFETIME} seconds."
            )
        self.provider_id = provider_id
        self.key_id = key_id
        self.algorithm = algorithm
        self.lifetime = lifetime
        self._client_id = client_id
        self._private_key = private_key
        self._clock = clock

    def sign(self, audience: str, claims: Mapping[str, Any] | None = None) -> str:
        """Sign a new JWT for ``audience``, with ``claims`` added or overriding."""
        now = int(self._clock())
        extra = {"jti": str(uuid.uuid4()), **(claims or {})}
        return private_key_jwt_sign(
            self._private_key,
            client_id=self._client_id,
            token_endpoint=audience,
            alg=self.algorithm,
            claims=extra,
            header={"kid": self.key_id},
            issued_at=now,
            expires_at=now + self.lifetime,
        )

    def __repr__(self) -> str:
        # Leaves out the client id, because NHS England uses the API key as one.
        return (
            f"<JWTAssertionSigner provider={self.provider_id!r} "
            f"alg={self.algorithm!r} kid={self.key_id!r}>"
        )


class PrivateKeyJwtClientAuth(PrivateKeyJWT):  # type: ignore[misc]
    """authlib's ``private_key_jwt`` client authentication, signed by ``signer``.

    The audience is the URL of the token request, so the assertion follows a
    changed token URL.
    """

    def __init__(self, signer: JWTAssertionSigner) -> None:
        super().__init__(token_endpoint=None, alg=signer.algorithm)
        self.signer = signer

    def sign(self, auth: Any, token_endpoint: str) -> str:
        return self.signer.sign(token_endpoint)

    def __repr__(self) -> str:
        return f"<PrivateKeyJwtClientAuth signer={self.signer!r}>"
