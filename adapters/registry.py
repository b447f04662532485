"""Provider registry: register adapters and find them by country, law or type."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from carecert.adapters.errors import ConfigurationError, UnknownProviderError
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    MfaKind,
    ProviderInfo,
    ProviderType,
)

__all__ = ["ENTRY_POINT_GROUP", "ProviderRegistration", "ProviderRegistry"]

log = logging.getLogger("carecert.registry")

ENTRY_POINT_GROUP = "carecert.providers"
"""Entry point group through which installed packages register providers."""

# Region codes follow the compliance catalogue, which names the United Kingdom
# "UK" where ISO 3166-1 gives "GB". Every other code is the same in both.
_COUNTRY_TO_REGION = {"GB": "UK"}

_ALL_METADATA_KEYS = (
    "name",
    "type",
    "country",
    "compliance",
    "auth_method",
    "regions",
    "mfa_required",
    "mfa_kind",
    "hosts",
)
_METADATA_KEYS = ("name", "type", "country", "compliance", "auth_method")


@dataclass(frozen=True)
class ProviderRegistration:
    """One registered provider: its class, metadata and constructor config."""

    provider_id: str
    provider_class: type[HealthcareProvider]
    info: ProviderInfo
    config: Mapping[str, Any]

    def create(self, config: Mapping[str, Any] | None = None) -> HealthcareProvider:
        """Build an instance with ``config`` (the registered config by default).

        A class registered with metadata in config has no ``info`` of its own,
        and HealthcareProvider.__repr__ and the compliance guard read it, so
        the instance gets the registered info.
        """
        instance = self.provider_class(self.config if config is None else config)
        if not isinstance(getattr(instance, "info", None), ProviderInfo):
            instance.info = self.info
        return instance


class ProviderRegistry:
    """Registered providers, keyed by provider id.

    A provider class that declares ``info`` needs no metadata in ``config``;
    any other class must give ``name``, ``type``, ``country``, ``compliance``
    and ``auth_method`` there, and the registry builds its ProviderInfo.
    Optional config keys are ``regions`` (the country by default, with GB as UK),
    ``mfa_required``, ``mfa_kind`` and ``hosts``.
    """

    def __init__(self) -> None:
        self._registrations: dict[str, ProviderRegistration] = {}
        self._instances: dict[str, HealthcareProvider] = {}

    def register_provider(
        self,
        provider_id: str,
        provider_class: type[HealthcareProvider],
        config: Mapping[str, Any] | None = None,
    ) -> ProviderRegistration:
        """Register ``provider_class`` under ``provider_id`` with its config."""
        config = dict(config or {})
        if not provider_id:
            raise ConfigurationError(
                "register_provider: provider_id must not be empty."
            )
        if provider_id in self._registrations:
            raise ConfigurationError(
                f"register_provider: {provider_id!r} is already registered to "
                f"{self._registrations[provider_id].provider_class.__name__}. "
                "Use another id or unregister it first."
            )
        info = _info_for(provider_id, provider_class, config)
        registration = ProviderRegistration(provider_id, provider_class, info, config)
        self._registrations[provider_id] = registration
        log.debug("registered provider %s (%s)", provider_id, provider_class.__name__)
        return registration

    def unregister(self, provider_id: str) -> None:
        """Remove a provider and forget its cached instance."""
        self._registration(provider_id)
        del self._registrations[provider_id]
        self._instances.pop(provider_id, None)

    def get_provider(self, provider_id: str) -> HealthcareProvider:
        """Return the provider instance for ``provider_id``, built once per registry."""
        if provider_id not in self._instances:
            registration = self._registration(provider_id)
            self._instances[provider_id] = registration.create()
        return self._instances[provider_id]

    def get_registration(self, provider_id: str) -> ProviderRegistration:
        """Return the registration of ``provider_id``."""
        return self._registration(provider_id)

    def registrations(self) -> list[ProviderRegistration]:
        """Return every registration, in registration order."""
        return list(self._registrations.values())

    def find_by_country(self, country: str) -> list[ProviderRegistration]:
        """Return providers whose country is ``country`` (ISO 3166-1 alpha-2)."""
        wanted = country.upper()
        return [r for r in self._registrations.values() if r.info.country == wanted]

    def find_by_compliance(self, regime: str) -> list[ProviderRegistration]:
        """Return providers that declare compliance regime ``regime``."""
        wanted = regime.casefold()
        return [
            r
            for r in self._registrations.values()
            if any(c.casefold() == wanted for c in r.info.compliance)
        ]

    def find_by_type(
        self, provider_type: str | ProviderType
    ) -> list[ProviderRegistration]:
        """Return providers of ``provider_type`` (``PUBLIC_NATIONAL``, ...)."""
        wanted = _provider_type(str(provider_type), "find_by_type")
        return [r for r in self._registrations.values() if r.info.type == wanted]

    def find_by_region(self, region: str) -> list[ProviderRegistration]:
        """Return providers that serve compliance region ``region`` (``UK``, ...)."""
        wanted = region.upper()
        return [r for r in self._registrations.values() if wanted in r.info.regions]

    def load_entry_points(self) -> None:
        """Register providers that installed packages publish as entry points.

        Each entry point in group ``carecert.providers`` names a callable that
        takes this registry and registers its providers on it.
        """
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            register = entry_point.load()
            register(self)

    def _registration(self, provider_id: str) -> ProviderRegistration:
        try:
            return self._registrations[provider_id]
        except KeyError:
            raise UnknownProviderError(provider_id, list(self._registrations)) from None

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._registrations

    def __len__(self) -> int:
        return len(self._registrations)


def _provider_type(value: str, where: str) -> ProviderType:
    try:
        return ProviderType(value)
    except ValueError:
        valid = ", ".join(t.value for t in ProviderType)
        raise ConfigurationError(
            f"{where}: unknown provider type {value!r}. Valid types: {valid}."
        ) from None


def _check_declared(
    provider_id: str,
    provider_class: type[HealthcareProvider],
    declared: ProviderInfo,
    config: Mapping[str, Any],
) -> None:
    # A class's own ProviderInfo decides its id, regions and hosts. Metadata in
    # the config, or another id, would be silently ignored, so reject both.
    name = provider_class.__name__
    overridden = [key for key in _ALL_METADATA_KEYS if key in config]
    if overridden:
        raise ConfigurationError(
            f"register_provider({provider_id!r}): {name} declares its own "
            f"ProviderInfo, so config keys {', '.join(overridden)} would be "
            f"ignored. Subclass it with info = dataclasses.replace({name}.info, "
            "...) instead."
        )
    if declared.id != provider_id:
        raise ConfigurationError(
            f"register_provider({provider_id!r}): {name}.info.id is "
            f"{declared.id!r}. Register it under that id, or subclass it with "
            f"info = dataclasses.replace({name}.info, id={provider_id!r})."
        )


def _info_for(
    provider_id: str,
    provider_class: type[HealthcareProvider],
    config: Mapping[str, Any],
) -> ProviderInfo:
    declared = getattr(provider_class, "info", None)
    if isinstance(declared, ProviderInfo):
        _check_declared(provider_id, provider_class, declared, config)
        return declared
    missing = [key for key in _METADATA_KEYS if key not in config]
    if missing:
        raise ConfigurationError(
            f"register_provider({provider_id!r}): {provider_class.__name__} "
            "declares no "
            f"ProviderInfo, so config must give {', '.join(missing)}."
        )
    try:
        primary = AuthMethod(config["auth_method"])
    except ValueError:
        valid = ", ".join(a.value for a in AuthMethod)
        raise ConfigurationError(
            f"register_provider({provider_id!r}): unknown auth_method "
            f"{config['auth_method']!r}. Valid methods: {valid}."
        ) from None
    country = str(config["country"]).upper()
    return ProviderInfo(
        id=provider_id,
        name=str(config["name"]),
        type=_provider_type(str(config["type"]), f"register_provider({provider_id!r})"),
        country=country,
        regions=tuple(
            region.upper()
            for region in _string_list(
                provider_id,
                config,
                "regions",
                [_COUNTRY_TO_REGION.get(country, country)],
            )
        ),
        compliance=tuple(_string_list(provider_id, config, "compliance", None)),
        primary_auth=primary,
        secondary_auth=None,
        mfa_required=bool(config.get("mfa_required", False)),
        mfa_kind=_mfa_kind(provider_id, config.get("mfa_kind")),
        hosts=tuple(config.get("hosts", ())),
    )


def _string_list(
    provider_id: str, config: Mapping[str, Any], key: str, default: list[str] | None
) -> list[str]:
    # A bare string is rejected because tuple() would split it into characters.
    value = config.get(key, default)
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) for item in value
    ):
        raise ConfigurationError(
            f"register_provider({provider_id!r}): {key} must be a list of strings, "
            f"got {value!r}."
        )
    return list(value)


def _mfa_kind(provider_id: str, value: Any) -> MfaKind | None:
    if value is None:
        return None
    try:
        return MfaKind(value)
    except ValueError:
        valid = ", ".join(k.value for k in MfaKind)
        raise ConfigurationError(
            f"register_provider({provider_id!r}): unknown mfa_kind {value!r}. "
            f"Valid kinds: {valid}."
        ) from None
