"""Provider registry: registration, metadata from config, discovery, entry points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from carecert.adapters import registry as registry_module
from carecert.adapters.errors import ConfigurationError, UnknownProviderError
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    MfaKind,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.registry import ENTRY_POINT_GROUP, ProviderRegistry

SPAIN_INFO = ProviderInfo(
    id="sns",
    name="Sistema Nacional de Salud",
    type=ProviderType.PUBLIC_NATIONAL,
    country="ES",
    regions=("EU",),
    compliance=("GDPR", "LOPDGDD"),
    primary_auth=AuthMethod.OAUTH2,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)

GERMAN_INFO = ProviderInfo(
    id="tk",
    name="Techniker Krankenkasse",
    type=ProviderType.STATUTORY_INSURER,
    country="DE",
    regions=("EU", "DE"),
    compliance=("GDPR", "SGB V"),
    primary_auth=AuthMethod.X509,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)


class SpanishProvider(HealthcareProvider):
    info = SPAIN_INFO


class GermanInsurer(HealthcareProvider):
    info = GERMAN_INFO


class CustomHealthcareProvider(HealthcareProvider):
    """A provider that declares no ProviderInfo, so its metadata comes from config."""


CUSTOM_CONFIG: dict[str, Any] = {
    "name": "Custom Health System",
    "type": "PUBLIC_NATIONAL",
    "country": "XX",
    "compliance": ["GDPR", "CUSTOM_REG"],
    "auth_method": "OAuth2",
}


@pytest.fixture
def registry() -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register_provider("sns", SpanishProvider, {"base_url": "http://x"})
    registry.register_provider("tk", GermanInsurer)
    registry.register_provider(
        provider_id="custom_provider",
        provider_class=CustomHealthcareProvider,
        config=CUSTOM_CONFIG,
    )
    return registry


def ids(registrations: list[Any]) -> list[str]:
    return [r.provider_id for r in registrations]


def test_declared_info_used(registry: ProviderRegistry) -> None:
    registration = registry.get_registration("sns")
    assert registration.info is SPAIN_INFO
    assert registration.provider_class is SpanishProvider
    assert registration.config == {"base_url": "http://x"}


def test_info_built_from_config(registry: ProviderRegistry) -> None:
    info = registry.get_registration("custom_provider").info
    assert info.id == "custom_provider"
    assert info.name == "Custom Health System"
    assert info.type is ProviderType.PUBLIC_NATIONAL
    assert info.country == "XX"
    assert info.regions == ("XX",)
    assert info.compliance == ("GDPR", "CUSTOM_REG")
    assert info.primary_auth is AuthMethod.OAUTH2
    assert info.mfa_required is False
    assert info.mfa_kind is None


def test_optional_config_keys() -> None:
    registry = ProviderRegistry()
    config = {
        **CUSTOM_CONFIG,
        "regions": ["uk"],
        "mfa_required": True,
        "mfa_kind": "SMS",
    }
    info = registry.register_provider("p", CustomHealthcareProvider, config).info
    assert info.regions == ("UK",)
    assert info.mfa_required is True
    assert info.mfa_kind is MfaKind.SMS


def test_unknown_mfa_kind_named() -> None:
    config = {**CUSTOM_CONFIG, "mfa_kind": "CARRIER_PIGEON"}
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider, config)
    assert "mfa_kind" in str(caught.value)
    assert "'CARRIER_PIGEON'" in str(caught.value)


@pytest.mark.parametrize("key", ["compliance", "regions"])
def test_string_list_key_rejected(key: str) -> None:
    config = {**CUSTOM_CONFIG, key: "GDPR"}
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider, config)
    assert f"{key} must be a list of strings" in str(caught.value)
    assert "'GDPR'" in str(caught.value)


def test_find_by_country(registry: ProviderRegistry) -> None:
    assert ids(registry.find_by_country("ES")) == ["sns"]
    assert ids(registry.find_by_country("es")) == ["sns"]
    assert ids(registry.find_by_country("xx")) == ["custom_provider"]
    assert registry.find_by_country("FR") == []


def test_find_by_compliance(registry: ProviderRegistry) -> None:
    assert ids(registry.find_by_compliance("GDPR")) == ["sns", "tk", "custom_provider"]
    assert ids(registry.find_by_compliance("custom_reg")) == ["custom_provider"]
    assert registry.find_by_compliance("HIPAA") == []


def test_find_by_type_string(registry: ProviderRegistry) -> None:
    assert ids(registry.find_by_type("PUBLIC_NATIONAL")) == ["sns", "custom_provider"]
    assert ids(registry.find_by_type("STATUTORY_INSURER")) == ["tk"]


def test_find_by_type_enum(registry: ProviderRegistry) -> None:
    found = registry.find_by_type(ProviderType.PUBLIC_NATIONAL)
    assert ids(found) == ["sns", "custom_provider"]
    assert registry.find_by_type(ProviderType.PHARMACY) == []


def test_find_by_unknown_type(registry: ProviderRegistry) -> None:
    with pytest.raises(ConfigurationError) as caught:
        registry.find_by_type("HOSPITAL")
    assert "'HOSPITAL'" in str(caught.value)
    assert "PUBLIC_NATIONAL" in str(caught.value)


def test_find_by_region(registry: ProviderRegistry) -> None:
    assert ids(registry.find_by_region("EU")) == ["sns", "tk"]
    assert ids(registry.find_by_region("de")) == ["tk"]
    assert registry.find_by_region("UK") == []


def test_duplicate_id_rejected(registry: ProviderRegistry) -> None:
    with pytest.raises(ConfigurationError) as caught:
        registry.register_provider("sns", GermanInsurer)
    assert "'sns'" in str(caught.value)
    assert "SpanishProvider" in str(caught.value)
    assert registry.get_registration("sns").provider_class is SpanishProvider


def test_empty_id_rejected() -> None:
    with pytest.raises(ConfigurationError):
        ProviderRegistry().register_provider("", SpanishProvider)


def test_unknown_id_lists_registered(registry: ProviderRegistry) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        registry.get_provider("nhs")
    message = str(caught.value)
    assert "'nhs'" in message
    assert "custom_provider, sns, tk" in message
    assert caught.value.provider_id == "nhs"
    assert isinstance(caught.value, KeyError)


def test_unknown_id_empty_registry() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        ProviderRegistry().get_registration("nhs")
    assert "Registered: none" in str(caught.value)


@pytest.mark.parametrize("missing", ["name", "type", "country", "compliance"])
def test_missing_metadata_named(missing: str) -> None:
    config = {k: v for k, v in CUSTOM_CONFIG.items() if k != missing}
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider, config)
    assert f"config must give {missing}." in str(caught.value)
    assert "CustomHealthcareProvider" in str(caught.value)


def test_all_missing_metadata_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider)
    assert "name, type, country, compliance, auth_method" in str(caught.value)


def test_unknown_type_named() -> None:
    config = {**CUSTOM_CONFIG, "type": "NATIONAL"}
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider, config)
    assert "'NATIONAL'" in str(caught.value)
    assert "provider type" in str(caught.value)


def test_unknown_auth_method_named() -> None:
    config = {**CUSTOM_CONFIG, "auth_method": "oauth"}
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry().register_provider("p", CustomHealthcareProvider, config)
    assert "auth_method" in str(caught.value)
    assert "'oauth'" in str(caught.value)
    assert "OAuth2" in str(caught.value)


def test_get_provider_same_instance(registry: ProviderRegistry) -> None:
    first = registry.get_provider("sns")
    second = registry.get_provider("sns")
    assert first is second
    assert isinstance(first, SpanishProvider)
    assert first.config == {"base_url": "http://x"}


def test_config_provider_has_info(registry: ProviderRegistry) -> None:
    provider = registry.get_provider("custom_provider")
    assert provider.info.id == "custom_provider"
    assert repr(provider) == "<CustomHealthcareProvider provider='custom_provider'>"


def test_unregister_forgets_instance(registry: ProviderRegistry) -> None:
    first = registry.get_provider("sns")
    registry.unregister("sns")
    assert "sns" not in registry
    registry.register_provider("sns", SpanishProvider)
    assert registry.get_provider("sns") is not first


class FakeEntryPoint:
    def __init__(self, name: str, target: Callable[[ProviderRegistry], None]) -> None:
        self.name = name
        self._target = target

    def load(self) -> Callable[[ProviderRegistry], None]:
        return self._target


def test_load_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    requested_groups: list[str] = []

    def register_spain(registry: ProviderRegistry) -> None:
        registry.register_provider("sns", SpanishProvider)

    def register_germany(registry: ProviderRegistry) -> None:
        registry.register_provider("tk", GermanInsurer)

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        requested_groups.append(group)
        return [
            FakeEntryPoint("spain", register_spain),
            FakeEntryPoint("germany", register_germany),
        ]

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    registry = ProviderRegistry()
    registry.load_entry_points()
    assert requested_groups == [ENTRY_POINT_GROUP]
    assert ids(registry.registrations()) == ["sns", "tk"]
    assert len(registry) == 2


def test_declared_info_rejects_metadata_in_config() -> None:
    registry = ProviderRegistry()

    with pytest.raises(ConfigurationError) as caught:
        registry.register_provider("sns", SpanishProvider, {"regions": ["DE"]})

    assert "regions" in str(caught.value)
    assert "dataclasses.replace" in str(caught.value)


def test_declared_info_rejects_other_id() -> None:
    registry = ProviderRegistry()

    with pytest.raises(ConfigurationError) as caught:
        registry.register_provider("acme-fr", SpanishProvider)

    assert "'acme-fr'" in str(caught.value)
    assert f"{SpanishProvider.info.id!r}" in str(caught.value)
