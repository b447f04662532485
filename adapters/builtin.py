"""The providers carecert ships, registered on a new registry."""

from __future__ import annotations

from carecert.adapters.nhs import NHSInterface
from carecert.adapters.registry import ProviderRegistry

__all__ = ["BUILTIN_PROVIDERS", "default_registry"]

BUILTIN_PROVIDERS = {
    "nhs": NHSInterface,
}


def default_registry(*, entry_points: bool = True) -> ProviderRegistry:
    """Return a registry holding the built-in providers and, by default, those
    that installed packages publish through the ``carecert.providers`` group."""
    registry = ProviderRegistry()
    for provider_id, provider_class in BUILTIN_PROVIDERS.items():
        registry.register_provider(provider_id, provider_class, {})
    if entry_points:
        registry.load_entry_points()
    return registry
