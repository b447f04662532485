"""Template adapters to copy when starting a new country's adapter.

Templates validate their national identifier and map patients to FHIR R4,
and declare their provider operations as not implemented. The built-in
registry includes them through ``register_templates``.
"""

from __future__ import annotations

from carecert.adapters.provider import HealthcareProvider
from carecert.adapters.registry import ProviderRegistration, ProviderRegistry
from carecert.adapters.templates.brazil import SUSTemplate
from carecert.adapters.templates.canada import OHIPTemplate
from carecert.adapters.templates.france import AmeliTemplate
from carecert.adapters.templates.italy import SSNTemplate
from carecert.adapters.templates.japan import NHIJapanTemplate

__all__ = [
    "TEMPLATE_PROVIDERS",
    "AmeliTemplate",
    "NHIJapanTemplate",
    "OHIPTemplate",
    "SSNTemplate",
    "SUSTemplate",
    "register_templates",
]

TEMPLATE_PROVIDERS: dict[str, type[HealthcareProvider]] = {
    "ameli": AmeliTemplate,
    "ssn": SSNTemplate,
    "ohip": OHIPTemplate,
    "nhi-jp": NHIJapanTemplate,
    "sus": SUSTemplate,
}


def register_templates(registry: ProviderRegistry) -> list[ProviderRegistration]:
    """Register every template on ``registry`` under its provider id."""
    return [
        registry.register_provider(provider_id, provider_class, {})
        for provider_id, provider_class in TEMPLATE_PROVIDERS.items()
    ]
