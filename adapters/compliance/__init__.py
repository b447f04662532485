"""Compliance guards that adapters enforce: consent, second factors and audit."""

from carecert.adapters.compliance.audit import AuditRecord, AuditStore
from carecert.adapters.compliance.catalogue import (
    Catalogue,
    CatalogueError,
    Control,
    Region,
    load_catalogue,
)
from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.compliance.consent_policy import (
    ConsentDecision,
    ConsentPolicy,
    RegionConsentModel,
)
from carecert.adapters.compliance.guard import ComplianceGuard
from carecert.adapters.compliance.mfa import (
    OneTimeCodeVerifier,
    TotpVerifier,
    UserSession,
)
from carecert.adapters.compliance.smart_card import (
    AppApprovalVerifier,
    CardSigner,
    DeviceVerifier,
    SmartCardVerifier,
)

__all__ = [
    "AppApprovalVerifier",
    "DeviceVerifier",
    "AuditRecord",
    "AuditStore",
    "Catalogue",
    "CatalogueError",
    "ComplianceGuard",
    "ConsentBasis",
    "ConsentDecision",
    "ConsentPolicy",
    "ConsentRecord",
    "ConsentRegistry",
    "Control",
    "OneTimeCodeVerifier",
    "CardSigner",
    "Region",
    "RegionConsentModel",
    "SmartCardVerifier",
    "TotpVerifier",
    "UserSession",
    "load_catalogue",
]
