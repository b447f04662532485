"""The France and Italy templates: metadata, registration, identifiers and the
operations they declare as not implemented."""

from __future__ import annotations

import pytest

from carecert.adapters.builtin import default_registry
from carecert.adapters.errors import InvalidIdentifierError, OperationNotSupportedError
from carecert.adapters.identifiers import CODICE_FISCALE_SYSTEM, INS_NIR_SYSTEM
from carecert.adapters.models import Identifier
from carecert.adapters.provider import AuthMethod, MfaKind, ProviderType
from carecert.adapters.registry import ProviderRegistry
from carecert.adapters.templates import (
    TEMPLATE_PROVIDERS,
    AmeliTemplate,
    SSNTemplate,
    register_templates,
)
from carecert.harness.providers import harness_for

NIR = "184127512345640"
CODICE = "RSSMRA85T10A562S"


def test_ameli_info() -> None:
    info = AmeliTemplate.info
    assert info.id == "ameli"
    assert info.type is ProviderType.STATUTORY_INSURER
    assert info.country == "FR"
    assert info.regions == ("FR",)
    assert info.compliance == ("CNIL", "RGPD")
    assert info.primary_auth is AuthMethod.SMART_CARD
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.SMART_CARD
    assert info.openapi is None
    assert [host.jurisdiction for host in info.hosts] == ["FR"]


def test_ssn_info() -> None:
    info = SSNTemplate.info
    assert info.id == "ssn"
    assert info.type is ProviderType.PUBLIC_NATIONAL
    assert info.country == "IT"
    assert info.regions == ("IT",)
    assert info.compliance == ("Codice Privacy", "GDPR")
    assert info.primary_auth is AuthMethod.SMART_CARD
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.SMART_CARD
    assert info.openapi is None
    assert [host.jurisdiction for host in info.hosts] == ["IT"]


@pytest.mark.parametrize("template", [AmeliTemplate, SSNTemplate])
def test_placeholder_hosts_unresolvable(template: type) -> None:
    # The .invalid top-level domain is reserved and never resolves.
    assert all(host.host.endswith(".invalid") for host in template.info.hosts)


def test_register_templates_adds_both() -> None:
    registry = ProviderRegistry()

    registrations = register_templates(registry)

    assert [r.provider_id for r in registrations] == ["ameli", "ssn"]
    assert [r.provider_id for r in registry.find_by_country("FR")] == ["ameli"]
    assert [r.provider_id for r in registry.find_by_country("IT")] == ["ssn"]
    assert [r.provider_id for r in registry.find_by_compliance("cnil")] == ["ameli"]
    assert [r.provider_id for r in registry.find_by_region("IT")] == ["ssn"]
    assert isinstance(registry.get_provider("ameli"), AmeliTemplate)


def test_templates_builtin_without_harness() -> None:
    registry = default_registry(entry_points=False)

    for provider_id, provider_class in TEMPLATE_PROVIDERS.items():
        assert provider_id in registry
        registration = registry.get_registration(provider_id)
        assert registration.provider_class is provider_class
        assert harness_for(provider_class) is None, provider_id


def test_ameli_validates_nir() -> None:
    provider = AmeliTemplate({})

    identifier = provider.validate_patient_identifier("1 84 12 75 123 456 40")

    assert identifier == Identifier(system=INS_NIR_SYSTEM, value=NIR)
    with pytest.raises(InvalidIdentifierError, match="modulus 97"):
        provider.validate_patient_identifier("184127512345641")


def test_ssn_validates_codice_fiscale() -> None:
    provider = SSNTemplate({})

    identifier = provider.validate_patient_identifier("rssmra85t10a562s")

    assert identifier == Identifier(system=CODICE_FISCALE_SYSTEM, value=CODICE)
    with pytest.raises(InvalidIdentifierError, match="check letter"):
        provider.validate_patient_identifier("RSSMRA85T10A562T")


@pytest.mark.parametrize("template", [AmeliTemplate, SSNTemplate])
def test_declared_operations(template: type) -> None:
    assert template.supports("validate_patient_identifier")
    assert template.supports("patient_from_fhir")
    assert template.supports("patient_to_fhir")
    assert sorted(template.unsupported_operations()) == [
        "book_appointment",
        "get_patient_record",
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("template", "patient_id"), [(AmeliTemplate, NIR), (SSNTemplate, CODICE)]
)
async def test_get_patient_record_not_supported(
    template: type, patient_id: str
) -> None:
    provider = template({})

    with pytest.raises(OperationNotSupportedError) as raised:
        await provider.get_patient_record(patient_id)

    assert raised.value.provider == template.info.id
    assert raised.value.operation == "get_patient_record"
    assert raised.value.reason == template.operations["get_patient_record"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("template", "patient_id"), [(AmeliTemplate, NIR), (SSNTemplate, CODICE)]
)
async def test_book_appointment_not_supported(template: type, patient_id: str) -> None:
    provider = template({})

    with pytest.raises(OperationNotSupportedError) as raised:
        await provider.book_appointment(patient_id, "cardiology")

    assert raised.value.provider == template.info.id
    assert raised.value.operation == "book_appointment"
    assert "Copy the template" in str(raised.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("template", [AmeliTemplate, SSNTemplate])
async def test_context_manager_works(template: type) -> None:
    async with template({}) as provider:
        assert repr(provider) == f"<{template.__name__} provider={template.info.id!r}>"
