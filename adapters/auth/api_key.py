"""API keys in a request header, alone or with a client-signed JWT."""

from __future__ import annotations

import re
from collections.abc import Generator

import httpx

from carecert.adapters.auth.jwt_assertion import JWTAssertionSigner
from carecert.adapters.errors import ConfigurationError

__all__ = ["ApiKeyAuth", "ApiKeyJwtAuth"]

# RFC 9110 section 5.1: a field name is a token.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ApiKeyAuth(httpx.Auth):
    """httpx auth that sends an API key in the header ``header_name``."""

    def __init__(
        self, provider_id: str, api_key: str, *, header_name: str = "x-api-key"
    ) -> None:
        _check_header_name(provider_id, header_name)
        if not isinstance(api_key, str) or not api_key:
            raise ConfigurationError(
                f"{provider_id}: api_key is missing or empty. Set it to the key "
                "the provider issued."
            )
        self.provider_id = provider_id
        self.header_name = header_name
        self._api_key = api_key

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header_name] = self._api_key
        yield request

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} provider={self.provider_id!r} "
            f"header={self.header_name!r}>"
        )


class ApiKeyJwtAuth(ApiKeyAuth):
    """httpx auth that sends an API key and a JWT signed by the client.

    Each request gets ``Authorization: Bearer`` with a new JWT from
    ``signer`` for ``audience``, so each JWT has its own ``jti``. This is the
    pattern of APIs that want both an API key and proof of a private key,
    such as ``x-api-key`` plus a signed Bearer JWT.
    """

    def __init__(
        self,
        provider_id: str,
        api_key: str,
        signer: JWTAssertionSigner,
        *,
        audience: str,
        header_name: str = "x-api-key",
    ) -> None:
        super().__init__(provider_id, api_key, header_name=header_name)
        if header_name.lower() == "authorization":
            raise ConfigurationError(
                f"{provider_id}: API key header name {header_name!r} is taken "
                "by the Bearer JWT. Give the provider's API key header, such as "
                "x-api-key."
            )
        if not audience:
            raise ConfigurationError(
                f"{provider_id}: the JWT audience is empty. Set it to the value "
                "the provider expects in aud, usually the API's base URL."
            )
        self.signer = signer
        self.audience = audience

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header_name] = self._api_key
        request.headers["Authorization"] = f"Bearer {self.signer.sign(self.audience)}"
        yield request

    def __repr__(self) -> str:
        return (
            f"<ApiKeyJwtAuth provider={self.provider_id!r} "
            f"header={self.header_name!r} audience={self.audience!r} "
            f"signer={self.signer!r}>"
        )


def _check_header_name(provider_id: str, header_name: str) -> None:
    if not isinstance(header_name, str) or not _FIELD_NAME.fullmatch(header_name):
        raise ConfigurationError(
            f"{provider_id}: API key header name {header_name!r} is invalid. "
            "Give an HTTP field name such as x-api-key."
        )
