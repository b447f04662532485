"""MedicareAustraliaProvider against its in-process simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette

from carecert.adapters.compliance import (
    AuditStore,
    ConsentRegistry,
    DeviceVerifier,
    UserSession,
)
from carecert.adapters.errors import (
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    OperationNotSupportedError,
    ResourceNotFoundError,
    SecondFactorRequiredError,
)
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.codes import IHI_SYSTEM, MEDICARE_NUMBER_SYSTEM
from carecert.adapters.medicare_au.interface import IDEMPOTENCY_HEADER
from carecert.adapters.medicare_au.responses import RecordAccessCodeError
from carecert.adapters.medicare_au.synthetic import (
    RESTRICTED_IHI,
    SAMPLE_ACCESS_CODE,
    SAMPLE_IHI,
    SAMPLE_MEDICARE,
    SAMPLE_PROVIDER_NUMBER,
    UNKNOWN_IHI,
)
from carecert.adapters.models import ClaimOutcome, Identifier, Money, RecordType
from carecert.adapters.provider import MfaKind

from ..support.config import Config
from ..support.recording import RecordingTransport
from ..support.registry import assert_registry_finds
from .conftest import PKCS12_PASSWORD

GUIDE_CONFIG = {
    "provider_number": "2345678A",
    "hpi_o": "8003621234567890",
    "pki_certificate": "/certs/medicare_pki.p12",
    "my_health_record": {"enabled": True, "ihi_search": True},
}

PURPOSE = "direct-care"

pytestmark = pytest.mark.asyncio


# Configuration


async def test_guide_hpio_rejected_at_construction() -> None:
    with pytest.raises(ConfigurationError) as caught:
        MedicareAustraliaProvider(GUIDE_CONFIG)
    message = str(caught.value)
    assert "'hpi_o' is invalid" in message
    assert "Luhn check gives 2" in message


async def test_guide_provider_number_rejected(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MedicareAustraliaProvider(medicare_config(provider_number="2345678A"))
    assert "'provider_number' is invalid" in str(caught.value)
    assert "gives F" in str(caught.value)


async def test_missing_hpio_rejected(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="'hpi_o' is missing"):
        MedicareAustraliaProvider(medicare_config(hpi_o=None))


async def test_missing_certificate_rejected(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="'pki_certificate' is missing"):
        MedicareAustraliaProvider(medicare_config(pki_certificate=None))


async def test_unreadable_certificate_rejected(
    medicare_config: Config, tmp_path: Path
) -> None:
    missing = tmp_path / "absent.p12"
    with pytest.raises(ConfigurationError, match="cannot read pki_certificate"):
        MedicareAustraliaProvider(medicare_config(pki_certificate=str(missing)))


async def test_wrong_p12_password_rejected(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="password is wrong"):
        MedicareAustraliaProvider(medicare_config(pki_certificate_password="nope"))


async def test_p12_password_from_environment(
    medicare_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDICARE_PKI_PASSWORD", PKCS12_PASSWORD)
    config = medicare_config(pki_certificate_password=None)
    async with MedicareAustraliaProvider(config) as medicare:
        record = await medicare.get_my_health_record(SAMPLE_IHI)
    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI


async def test_pem_certificate_and_key_accepted(
    medicare_config: Config, pem_credential: tuple[Path, Path]
) -> None:
    certificate, key = pem_credential
    config = medicare_config(pki_certificate=str(certificate), pki_key=str(key))
    async with MedicareAustraliaProvider(config) as medicare:
        record = await medicare.get_my_health_record(SAMPLE_IHI)
    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI


async def test_pem_without_key_rejected(
    medicare_config: Config, pem_credential: tuple[Path, Path]
) -> None:
    config = medicare_config(pki_certificate=str(pem_credential[0]))
    with pytest.raises(ConfigurationError, match="'pki_key' is missing"):
        MedicareAustraliaProvider(config)


async def test_mismatched_key_rejected(
    medicare_config: Config, pem_credential: tuple[Path, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    config = medicare_config(pki_certificate=str(pem_credential[0]), pki_key=str(other))
    with pytest.raises(ConfigurationError, match="does not belong to the certificate"):
        MedicareAustraliaProvider(config)


async def test_expired_certificate_rejected(
    medicare_config: Config, tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now - timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "expired.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigurationError, match="Renew it"):
        MedicareAustraliaProvider(medicare_config(pki_certificate=str(path)))


async def test_bad_my_health_record_setting_rejected(medicare_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="unknown keys"):
        MedicareAustraliaProvider(medicare_config(my_health_record={"enable": True}))
    with pytest.raises(ConfigurationError, match="true or false"):
        MedicareAustraliaProvider(medicare_config(my_health_record={"enabled": "yes"}))


async def test_repr_hides_config(medicare_config: Config) -> None:
    medicare = MedicareAustraliaProvider(medicare_config())
    assert PKCS12_PASSWORD not in repr(medicare)
    await medicare.aclose()


# My Health Record


async def test_record_read(
    medicare_config: Config, medicare_recorder: RecordingTransport
) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        record = await medicare.get_my_health_record(SAMPLE_IHI)

    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI
    assert record.patient.identifier_value(MEDICARE_NUMBER_SYSTEM) == SAMPLE_MEDICARE
    assert RecordType.ALLERGIES in record.sections
    assert [c.code.display for c in record.conditions] == ["Asthma"]
    assert [m.medication.display for m in record.medications] == ["Salbutamol"]
    assert [a.substance.display for a in record.allergies] == ["Penicillin"]
    ((request, _),) = medicare_recorder.exchanges
    assert request.url.host == "services.ehealth.gov.au"
    assert b"accessCode" not in request.content


async def test_record_needs_access_code(medicare_config: Config) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(RecordAccessCodeError, match="pass it as access_code"):
            await medicare.get_my_health_record(RESTRICTED_IHI)


async def test_record_wrong_access_code(medicare_config: Config) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(RecordAccessCodeError, match="was not accepted"):
            await medicare.get_my_health_record(RESTRICTED_IHI, "0000")


async def test_record_with_access_code(medicare_config: Config) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        record = await medicare.get_my_health_record(RESTRICTED_IHI, SAMPLE_ACCESS_CODE)
    assert record.patient.identifier_value(IHI_SYSTEM) == RESTRICTED_IHI
    assert record.patient.names[0].family == "Ngữ-Wombat"
    assert record.conditions == ()


async def test_unknown_ihi_not_found(medicare_config: Config) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(ResourceNotFoundError, match="RECORD_NOT_FOUND"):
            await medicare.get_my_health_record(UNKNOWN_IHI)


async def test_unregistered_organisation_rejected(
    medicare_config: Config, medicare_simulator: Starlette
) -> None:
    medicare_simulator.state.simulator.hpio = "8003621566684455"
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(Exception, match="ORGANISATION_NOT_REGISTERED"):
            await medicare.get_my_health_record(SAMPLE_IHI)


@pytest.mark.parametrize(
    ("ihi", "access_code", "error"),
    [
        ("8003608833357362", None, InvalidIdentifierError),
        ("8003618833357361", None, InvalidIdentifierError),
        (SAMPLE_IHI, "12", ValueError),
    ],
)
async def test_invalid_input_sends_nothing(
    medicare_config: Config,
    medicare_recorder: RecordingTransport,
    ihi: str,
    access_code: str | None,
    error: type[Exception],
) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(error):
            await medicare.get_my_health_record(ihi, access_code)
    assert medicare_recorder.exchanges == []


async def test_disabled_record_access(
    medicare_config: Config, medicare_recorder: RecordingTransport
) -> None:
    config = medicare_config(my_health_record={"enabled": False})
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(OperationNotSupportedError, match="enabled is false"):
            await medicare.get_my_health_record(SAMPLE_IHI)
    assert medicare_recorder.exchanges == []


async def test_record_after_opt_out_sends_nothing(
    medicare_config: Config,
    medicare_recorder: RecordingTransport,
    medicare_audit: AuditStore,
) -> None:
    # Australia's consent model is opt-out, so an opt-out record refuses access.
    consent = ConsentRegistry()
    consent.record_opt_out(Identifier(system=IHI_SYSTEM, value=SAMPLE_IHI), PURPOSE)
    config = medicare_config(consent_registry=consent)
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(ConsentRequiredError, match=SAMPLE_IHI):
            await medicare.get_my_health_record(SAMPLE_IHI)
    assert medicare_recorder.exchanges == []
    outcomes = [record.outcome for record in medicare_audit.records()]
    assert outcomes == ["denied"]


async def test_user_restricted_needs_device_factor(
    medicare_config: Config, medicare_recorder: RecordingTransport
) -> None:
    assert MedicareAustraliaProvider.info.mfa_kind is MfaKind.DEVICE
    config = medicare_config(access_mode="user-restricted")
    session = UserSession("clinician-7")
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(SecondFactorRequiredError):
            await medicare.get_my_health_record(SAMPLE_IHI, session=session)
        assert medicare_recorder.exchanges == []

        device = ec.generate_private_key(ec.SECP256R1())
        verifier = DeviceVerifier(lambda user: device.public_key())
        challenge = verifier.challenge(session)
        signature = device.sign(challenge, ec.ECDSA(hashes.SHA256()))
        assert verifier.verify(session, signature)
        record = await medicare.get_my_health_record(SAMPLE_IHI, session=session)
    assert record.patient.identifier_value(IHI_SYSTEM) == SAMPLE_IHI


# Claims


async def test_bulk_bill_claim(
    medicare_config: Config,
    medicare_recorder: RecordingTransport,
    medicare_audit: AuditStore,
) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        result = await medicare.submit_bulk_bill_claim(
            provider_number=SAMPLE_PROVIDER_NUMBER,
            patient_medicare=SAMPLE_MEDICARE,
            item_numbers=["23", "36"],
            service_date="2025-01-20",
        )

    assert result.outcome is ClaimOutcome.COMPLETE
    assert result.benefit == Money(amount=Decimal("125.75"), currency="AUD")
    assert result.patient_share == Money(amount=Decimal("0.00"), currency="AUD")
    ((request, response),) = medicare_recorder.exchanges
    assert request.url.host == "healthclaiming.api.humanservices.gov.au"
    assert request.headers[IDEMPOTENCY_HEADER]
    assert response.status_code == 201
    (audit,) = medicare_audit.records()
    assert audit.patient_system == MEDICARE_NUMBER_SYSTEM
    assert audit.patient_value == SAMPLE_MEDICARE
    assert audit.outcome == "success"


async def test_claim_accepts_guide_card_number(medicare_config: Config) -> None:
    # The guide's card number passes its check digit. It has no IRN, and the
    # simulator accepts claims without one. Consent is found by IHI.
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        result = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER,
            "2123 45670 1",
            ["23"],
            "2025-01-20",
            patient_ihi=SAMPLE_IHI,
        )
    assert result.outcome is ClaimOutcome.COMPLETE
    assert result.benefit == Money(amount=Decimal("42.85"), currency="AUD")


async def test_claim_with_unknown_item_is_partial(medicare_config: Config) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        result = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23", "99999"], "2025-01-20"
        )
    assert result.outcome is ClaimOutcome.PARTIAL
    assert result.benefit == Money(amount=Decimal("42.85"), currency="AUD")
    assert result.messages == ("MBS item 99999 is not payable",)


async def test_resent_claim_applied_once(
    medicare_config: Config, medicare_simulator: Starlette
) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        first = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER,
            SAMPLE_MEDICARE,
            ["23"],
            "2025-01-20",
            idempotency_key="claim-key-1",
        )
        again = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER,
            SAMPLE_MEDICARE,
            ["23"],
            "2025-01-20",
            idempotency_key="claim-key-1",
        )
    simulator = medicare_simulator.state.simulator
    assert first == again
    assert simulator.claim_requests == 2
    assert list(simulator.claims) == [first.claim_id]


@pytest.mark.parametrize(
    ("provider", "card", "items", "day", "message"),
    [
        ("2345678A", SAMPLE_MEDICARE, ["23"], "2025-01-20", "gives F"),
        (SAMPLE_PROVIDER_NUMBER, "2123 45671 1", ["23"], "2025-01-20", "check digit"),
        (SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, [], "2025-01-20", "empty"),
        (SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23"], "2999-01-01", "future"),
    ],
)
async def test_invalid_claim_sends_nothing(
    medicare_config: Config,
    medicare_recorder: RecordingTransport,
    provider: str,
    card: str,
    items: list[str],
    day: str,
    message: str,
) -> None:
    async with MedicareAustraliaProvider(medicare_config()) as medicare:
        with pytest.raises(ValueError, match=message):
            await medicare.submit_bulk_bill_claim(provider, card, items, day)
    assert medicare_recorder.exchanges == []


async def test_claim_consent_by_ihi(
    medicare_config: Config,
    medicare_recorder: RecordingTransport,
    medicare_audit: AuditStore,
) -> None:
    consent = ConsentRegistry()
    consent.record_opt_out(Identifier(system=IHI_SYSTEM, value=SAMPLE_IHI), PURPOSE)
    config = medicare_config(consent_registry=consent)
    async with MedicareAustraliaProvider(config) as medicare:
        with pytest.raises(ConsentRequiredError, match=SAMPLE_IHI):
            await medicare.submit_bulk_bill_claim(
                SAMPLE_PROVIDER_NUMBER,
                SAMPLE_MEDICARE,
                ["23"],
                "2025-01-20",
                patient_ihi=SAMPLE_IHI,
            )
        assert medicare_recorder.exchanges == []
        # Without patient_ihi the claim is checked against the card number,
        # which has no opt-out recorded.
        result = await medicare.submit_bulk_bill_claim(
            SAMPLE_PROVIDER_NUMBER, SAMPLE_MEDICARE, ["23"], "2025-01-20"
        )
    assert result.outcome is ClaimOutcome.COMPLETE
    denied, allowed = medicare_audit.records()
    assert (denied.patient_system, denied.outcome) == (IHI_SYSTEM, "denied")
    assert (allowed.patient_system, allowed.outcome) == (
        MEDICARE_NUMBER_SYSTEM,
        "success",
    )


# Registry


async def test_registry_finds_medicare() -> None:
    assert_registry_finds(
        "medicare-au",
        MedicareAustraliaProvider,
        countries=["AU"],
        compliance=["Privacy Act 1988", "My Health Records Act 2012"],
        types=["PUBLIC_NATIONAL"],
        regions=["AU"],
    )


async def test_builtin_registry_has_medicare() -> None:
    from carecert.adapters.builtin import BUILTIN_PROVIDERS

    assert BUILTIN_PROVIDERS["medicare-au"] is MedicareAustraliaProvider


async def test_compliance_names_match_catalogue() -> None:
    from carecert.adapters.compliance import load_catalogue

    regimes = load_catalogue().region("AU").regimes
    assert set(MedicareAustraliaProvider.info.compliance) == set(regimes)
    hosts = {host.jurisdiction for host in MedicareAustraliaProvider.info.hosts}
    assert hosts == {"AU"}
