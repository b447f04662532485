"""The country templates: metadata, registration, identifiers and the
operations they declare as not implemented."""

from __future__ import annotations

import pytest

from carecert.adapters.builtin import default_registry
from carecert.adapters.errors import InvalidIdentifierError, OperationNotSupportedError
from carecert.adapters.identifiers import (
    CNS_SYSTEM,
    CODICE_FISCALE_SYSTEM,
    INS_NIR_SYSTEM,
    ONTARIO_HEALTH_NUMBER_SYSTEM,
)
from carecert.adapters.models import Identifier
from carecert.adapters.provider import AuthMethod, MfaKind, ProviderType
from carecert.adapters.registry import ProviderRegistry
from carecert.adapters.templates import (
    TEMPLATE_PROVIDERS,
    AmeliTemplate,
    NHIJapanTemplate,
    OHIPTemplate,
    SSNTemplate,
    SUSTemplate,
    register_templates,
)
from carecert.adapters.templates.japan import MY_NUMBER_SYSTEM
from carecert.harness.providers import harness_for

NIR = "184127512345640"
CODICE = "RSSMRA85T10A562S"
HEALTH_NUMBER = "9876543217"
MY_NUMBER = "123456789018"
CNS = "700000000000005"

ALL_TEMPLATES = [
    AmeliTemplate,
    SSNTemplate,
    OHIPTemplate,
    NHIJapanTemplate,
    SUSTemplate,
]
PATIENT_IDS = [
    (AmeliTemplate, NIR),
    (SSNTemplate, CODICE),
    (OHIPTemplate, HEALTH_NUMBER),
    (NHIJapanTemplate, MY_NUMBER),
    (SUSTemplate, CNS),
]


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


def test_ohip_info() -> None:
    info = OHIPTemplate.info
    assert info.id == "ohip"
    assert info.type is ProviderType.PUBLIC_REGIONAL
    assert info.country == "CA"
    assert info.regions == ("CA",)
    assert info.compliance == ("PIPEDA", "PHIPA")
    assert info.primary_auth is AuthMethod.OAUTH2
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.TOTP
    assert info.openapi is None
    assert [host.jurisdiction for host in info.hosts] == ["CA"]


def test_nhi_japan_info() -> None:
    info = NHIJapanTemplate.info
    assert info.id == "nhi-jp"
    assert info.type is ProviderType.STATUTORY_INSURER
    assert info.country == "JP"
    assert info.regions == ("JP",)
    assert info.compliance == ("APPI",)
    assert info.primary_auth is AuthMethod.SMART_CARD
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.SMART_CARD
    assert info.openapi is None
    assert [host.jurisdiction for host in info.hosts] == ["JP"]


def test_sus_info() -> None:
    info = SUSTemplate.info
    assert info.id == "sus"
    assert info.type is ProviderType.PUBLIC_NATIONAL
    assert info.country == "BR"
    assert info.regions == ("BR",)
    assert info.compliance == ("LGPD",)
    assert info.primary_auth is AuthMethod.X509
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.APP
    assert info.openapi is None
    assert [host.jurisdiction for host in info.hosts] == ["BR"]


@pytest.mark.parametrize("template", ALL_TEMPLATES)
def test_placeholder_hosts_unresolvable(template: type) -> None:
    # The .invalid top-level domain is reserved and never resolves.
    assert all(host.host.endswith(".invalid") for host in template.info.hosts)


def test_register_templates_adds_all() -> None:
    registry = ProviderRegistry()

    registrations = register_templates(registry)

    assert [r.provider_id for r in registrations] == [
        "ameli",
        "ssn",
        "ohip",
        "nhi-jp",
        "sus",
    ]
    assert [r.provider_id for r in registry.find_by_country("FR")] == ["ameli"]
    assert [r.provider_id for r in registry.find_by_country("IT")] == ["ssn"]
    assert [r.provider_id for r in registry.find_by_country("CA")] == ["ohip"]
    assert [r.provider_id for r in registry.find_by_country("JP")] == ["nhi-jp"]
    assert [r.provider_id for r in registry.find_by_country("BR")] == ["sus"]
    assert [r.provider_id for r in registry.find_by_compliance("cnil")] == ["ameli"]
    assert [r.provider_id for r in registry.find_by_compliance("pipeda")] == ["ohip"]
    assert [r.provider_id for r in registry.find_by_compliance("appi")] == ["nhi-jp"]
    assert [r.provider_id for r in registry.find_by_compliance("lgpd")] == ["sus"]
    assert [r.provider_id for r in registry.find_by_region("IT")] == ["ssn"]
    assert [r.provider_id for r in registry.find_by_region("CA")] == ["ohip"]
    assert isinstance(registry.get_provider("ameli"), AmeliTemplate)
    assert isinstance(registry.get_provider("sus"), SUSTemplate)


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


def test_ohip_validates_health_number() -> None:
    provider = OHIPTemplate({})

    identifier = provider.validate_patient_identifier("9876-543-217-ab")

    assert identifier == Identifier(
        system=ONTARIO_HEALTH_NUMBER_SYSTEM, value=HEALTH_NUMBER + "AB"
    )
    with pytest.raises(InvalidIdentifierError, match="Luhn check gives 7"):
        provider.validate_patient_identifier("9876543218")


def test_nhi_japan_validates_my_number() -> None:
    provider = NHIJapanTemplate({})

    identifier = provider.validate_patient_identifier("1234 5678 9018")

    assert identifier == Identifier(system=MY_NUMBER_SYSTEM, value=MY_NUMBER)
    with pytest.raises(InvalidIdentifierError, match="modulo 11 gives 8"):
        provider.validate_patient_identifier("123456789019")


def test_sus_validates_cns() -> None:
    provider = SUSTemplate({})

    identifier = provider.validate_patient_identifier("700 0000 0000 0005")

    assert identifier == Identifier(system=CNS_SYSTEM, value=CNS)
    with pytest.raises(InvalidIdentifierError, match="not a multiple of 11"):
        provider.validate_patient_identifier("700000000000006")


@pytest.mark.parametrize("template", ALL_TEMPLATES)
def test_declared_operations(template: type) -> None:
    assert template.supports("validate_patient_identifier")
    assert template.supports("patient_from_fhir")
    assert template.supports("patient_to_fhir")
    assert sorted(template.unsupported_operations()) == [
        "book_appointment",
        "get_patient_record",
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(("template", "patient_id"), PATIENT_IDS)
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
@pytest.mark.parametrize(("template", "patient_id"), PATIENT_IDS)
async def test_book_appointment_not_supported(template: type, patient_id: str) -> None:
    provider = template({})

    with pytest.raises(OperationNotSupportedError) as raised:
        await provider.book_appointment(patient_id, "cardiology")

    assert raised.value.provider == template.info.id
    assert raised.value.operation == "book_appointment"
    assert "Copy the template" in str(raised.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("template", ALL_TEMPLATES)
async def test_context_manager_works(template: type) -> None:
    async with template({}) as provider:
        assert repr(provider) == f"<{template.__name__} provider={template.info.id!r}>"
