"""Registry lookups that each adapter's tests expect to find it by."""

from __future__ import annotations

from collections.abc import Sequence

from carecert.adapters.provider import HealthcareProvider
from carecert.adapters.registry import ProviderRegistration, ProviderRegistry


def provider_ids(registrations: Sequence[ProviderRegistration]) -> list[str]:
    """Return the provider id of each registration, in order."""
    return [registration.provider_id for registration in registrations]


def assert_registry_finds(
    provider_id: str,
    provider: type[HealthcareProvider],
    *,
    countries: Sequence[str] = (),
    compliance: Sequence[str] = (),
    types: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> ProviderRegistry:
    """Register only ``provider`` and check that every lookup finds it alone.

    Returns the registry, so that a test can also check lookups that must
    not find the provider.
    """
    registry = ProviderRegistry()
    registry.register_provider(provider_id, provider)
    expected = [provider_id]
    for country in countries:
        assert provider_ids(registry.find_by_country(country)) == expected, country
    for regime in compliance:
        assert provider_ids(registry.find_by_compliance(regime)) == expected, regime
    for provider_type in types:
        found = registry.find_by_type(provider_type)
        assert provider_ids(found) == expected, provider_type
    for region in regions:
        assert provider_ids(registry.find_by_region(region)) == expected, region
    return registry
