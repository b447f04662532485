"""Provider adapters, the canonical model and the provider registry."""

from carecert.adapters.errors import (
    AuthenticationError,
    CarecertError,
    ComplianceError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    InvalidResponseError,
    OperationNotSupportedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ResourceNotFoundError,
    RetentionViolationError,
    SecondFactorRequiredError,
    UnknownProviderError,
)
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.registry import ProviderRegistration, ProviderRegistry

# isort: split
# Provider adapters come last because they import the modules above.
from carecert.adapters.axa import AXAProvider
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.sas import SASInterface

__all__ = [
    "AXAProvider",
    "CVSInterface",
    "KaiserInterface",
    "MedicareAustraliaProvider",
    "AuthMethod",
    "AuthenticationError",
    "CarecertError",
    "ComplianceError",
    "ConfigurationError",
    "ConsentRequiredError",
    "GKVInterface",
    "HealthcareProvider",
    "InvalidIdentifierError",
    "InvalidResponseError",
    "MfaKind",
    "NHSInterface",
    "ProviderError",
    "ProviderHost",
    "ProviderInfo",
    "ProviderRegistration",
    "ProviderRegistry",
    "ProviderType",
    "ProviderUnavailableError",
    "RateLimitedError",
    "OperationNotSupportedError",
    "ResourceNotFoundError",
    "RetentionViolationError",
    "SASInterface",
    "SecondFactorRequiredError",
    "UnknownProviderError",
]
