"""The providers carecert ships, registered on a new registry."""

from __future__ import annotations

from carecert.adapters.axa import AXAProvider
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.registry import ProviderRegistry
from carecert.adapters.sas import SASInterface
from carecert.adapters.templates import register_templates

__all__ = ["BUILTIN_PROVIDERS", "default_registry"]

BUILTIN_PROVIDERS = {
    "nhs": NHSInterface,
    "gkv": GKVInterface,
    "sas": SASInterface,
    "axa": AXAProvider,
    "medicare-au": MedicareAustraliaProvider,
    "cvs": CVSInterface,
    "kaiser": KaiserInterface,
}


def default_registry(*, entry_points: bool = True) -> ProviderRegistry:
    """Return a registry holding the built-in providers and, by default, those
    that installed packages publish through the ``carecert.providers`` group.

    The France and Italy templates are registered too. They define no
    carecert_harness(), so the suites report their controls as not applicable.
    """
    registry = ProviderRegistry()
    for provider_id, provider_class in BUILTIN_PROVIDERS.items():
        registry.register_provider(provider_id, provider_class, {})
    register_templates(registry)
    if entry_points:
        registry.load_entry_points()
    return registry
