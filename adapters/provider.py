"""The provider interface that every adapter implements, and its metadata."""

from __future__ import annotations

import os
from abc import ABC
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from carecert.adapters.errors import ConfigurationError

__all__ = [
    "AuthMethod",
    "HealthcareProvider",
    "MfaKind",
    "ProviderHost",
    "ProviderInfo",
    "ProviderType",
]


class ProviderType(StrEnum):
    """Kinds of provider, as used for registry discovery."""

    PUBLIC_NATIONAL = "PUBLIC_NATIONAL"
    PUBLIC_REGIONAL = "PUBLIC_REGIONAL"
    STATUTORY_INSURER = "STATUTORY_INSURER"
    PRIVATE_INSURER = "PRIVATE_INSURER"
    PRIVATE_PROVIDER = "PRIVATE_PROVIDER"
    PHARMACY = "PHARMACY"
    MOCK = "MOCK"


class AuthMethod(StrEnum):
    """Authentication schemes a provider accepts."""

    API_KEY = "API_KEY"
    OAUTH2 = "OAuth2"
    JWT_CLIENT_ASSERTION = "JWT_CLIENT_ASSERTION"
    JWT = "JWT"
    SAML2 = "SAML_2.0"
    X509 = "X.509"
    PKI = "PKI"
    SMART_CARD = "SMART_CARD"
    PRODA = "PRODA"


class MfaKind(StrEnum):
    """Second factors a provider can require for user-restricted access."""

    SMS = "SMS"
    EMAIL = "EMAIL"
    TOTP = "TOTP"
    SMART_CARD = "SMART_CARD"
    DEVICE = "DEVICE"
    APP = "APP"


@dataclass(frozen=True)
class ProviderHost:
    """A host a provider's traffic goes to, with the jurisdiction it sits in.

    ``jurisdiction`` is an ISO 3166-1 alpha-2 code (``GB`` for the United
    Kingdom); residency controls compare it with what a region allows.
    """

    host: str
    jurisdiction: str
    purpose: str


@dataclass(frozen=True)
class ProviderInfo:
    """A provider's declaration of its identity, law, auth methods and hosts."""

    id: str
    name: str
    type: ProviderType
    country: str
    regions: tuple[str, ...]
    compliance: tuple[str, ...]
    primary_auth: AuthMethod
    secondary_auth: AuthMethod | None
    mfa_required: bool
    mfa_kind: MfaKind | None
    hosts: tuple[ProviderHost, ...]
    openapi: str | None = field(
        default=None,
        metadata={
            "doc": "Resource name of the OpenAPI file inside the adapter package."
        },
    )
    package: str | None = None
    tls_min_version: str = "TLSv1.2"

    def openapi_path(self) -> Path | None:
        """Return the file system path of the provider's OpenAPI description."""
        if self.openapi is None or self.package is None:
            return None
        traversable = resources.files(self.package).joinpath(self.openapi)
        return Path(str(traversable))

    def host_jurisdiction(self, host: str) -> str | None:
        """Return the declared jurisdiction of ``host``, or None if undeclared.

        Host names match case-insensitively, as DNS names do.
        """
        expected = host.lower()
        for declared in self.hosts:
            if declared.host.lower() == expected:
                return declared.jurisdiction
        return None


class HealthcareProvider(ABC):
    """Base class of every provider adapter.

    Subclasses set ``info`` and implement their provider's operations as async
    methods. An adapter owns one ``httpx.AsyncClient``; use it as an async
    context manager, or call ``initialize()`` and ``aclose()``.
    """

    info: ClassVar[ProviderInfo]

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise ConfigurationError(
                f"{type(self).__name__} expects a mapping of config keys, "
                f"got {type(config).__name__}."
            )
        self.config: Mapping[str, Any] = config

    async def initialize(self) -> None:  # noqa: B027 (an optional hook)
        """Prepare the adapter for calls; the default does nothing."""

    async def aclose(self) -> None:  # noqa: B027 (an optional hook)
        """Release the adapter's connections; the default does nothing."""

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _setting(
        self, key: str, env: str | None = None, *, required: bool = True
    ) -> Any:
        """Read a config key, falling back to an environment variable.

        The error names the key and the variable but never the value, because
        settings read this way are often secrets.
        """
        if key in self.config and self.config[key] not in (None, ""):
            return self.config[key]
        if env is not None and os.environ.get(env):
            return os.environ[env]
        if not required:
            return None
        where = f"config key {key!r}" + (
            f" or environment variable {env}" if env else ""
        )
        raise ConfigurationError(
            f"{type(self).__name__}: missing {where}. Set it in the provider config."
        )

    def __repr__(self) -> str:
        # The config may hold keys and secrets, so it is left out.
        return f"<{type(self).__name__} provider={self.info.id!r}>"
