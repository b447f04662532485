"""KaiserInterface against its simulator: record paging, booking, auth and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import AuditStore, ConsentRegistry
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    ResourceNotFoundError,
    SecondFactorRequiredError,
)
from carecert.adapters.identifiers import NPI_SYSTEM
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.auth import SCOPES
from carecert.adapters.kaiser.codes import FACILITY_SYSTEM, MRN_SYSTEM
from carecert.adapters.kaiser.synthetic import (
    SAMPLE_MRN,
    SAMPLE_NPI,
    SAMPLE_PATIENT_ID,
    UNKNOWN_MRN,
    synthetic_patients,
)
from carecert.adapters.models import AppointmentStatus, Identifier, RecordType

from ..support.config import Config
from ..support.recording import RecordingTransport
from ..support.registry import assert_registry_finds

GUIDE_NPI = "1234567890"
"""The NPI the integration guide's booking example uses; its check digit is wrong."""

API = "https://api.kaiserpermanente.org/fhir/R4"


# Health record


@pytest.mark.asyncio
async def test_health_record_reads_every_page(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    expected = synthetic_patients()[SAMPLE_PATIENT_ID]

    async with KaiserInterface(kaiser_config()) as kaiser:
        record = await kaiser.get_health_record(
            mrn=SAMPLE_MRN, sections=["problems", "medications", "immunizations"]
        )

    assert record.patient == expected.patient
    assert record.sections == (
        RecordType.DEMOGRAPHICS,
        RecordType.CONDITIONS,
        RecordType.MEDICATIONS,
        RecordType.IMMUNIZATIONS,
    )
    assert record.conditions == expected.conditions
    assert record.medication_requests == expected.medication_requests
    assert record.immunizations == expected.immunizations
    paths = kaiser_recorder.targets()
    assert paths[0] == "/oauth2/token"
    immunization_pages = [p for p in paths if p.startswith("/fhir/R4/Immunization")]
    assert immunization_pages == [
        f"/fhir/R4/Immunization?patient={SAMPLE_PATIENT_ID}",
        f"/fhir/R4/Immunization?patient={SAMPLE_PATIENT_ID}&_count=2&_offset=2",
        f"/fhir/R4/Immunization?patient={SAMPLE_PATIENT_ID}&_count=2&_offset=4",
    ]
    assert len(paths) == 1 + 1 + 2 + 2 + 3


@pytest.mark.asyncio
async def test_health_record_reads_only_requested_sections(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        record = await kaiser.get_health_record(SAMPLE_MRN, ["immunizations"])

    assert record.sections == (RecordType.DEMOGRAPHICS, RecordType.IMMUNIZATIONS)
    assert len(record.immunizations) == 5
    assert record.conditions == ()
    assert record.medication_requests == ()
    searched = {p.split("?")[0] for p in kaiser_recorder.targets()[1:]}
    assert searched == {"/fhir/R4/Patient", "/fhir/R4/Immunization"}


@pytest.mark.asyncio
async def test_problems_search_asks_for_problem_list(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        await kaiser.get_health_record(SAMPLE_MRN, ["problems"])

    first = next(
        request
        for request, _ in kaiser_recorder.exchanges
        if request.url.path.endswith("/Condition")
    )
    assert first.url.params["category"] == "problem-list-item"
    assert first.url.params["patient"] == SAMPLE_PATIENT_ID


@pytest.mark.asyncio
async def test_patient_without_records(kaiser_config: Config) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        record = await kaiser.get_health_record("KP318640295")

    assert record.patient.identifier_value(MRN_SYSTEM) == "KP318640295"
    assert record.conditions == ()
    assert record.immunizations == ()


@pytest.mark.parametrize(
    ("sections", "text"),
    [
        (["problems", "allergies"], "section 'allergies' is unknown"),
        ("problems", "must be a list"),
    ],
)
@pytest.mark.asyncio
async def test_bad_sections_send_nothing(
    kaiser_config: Config,
    kaiser_recorder: RecordingTransport,
    sections: Any,
    text: str,
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(ValueError, match=text):
            await kaiser.get_health_record(SAMPLE_MRN, sections)

    assert kaiser_recorder.exchanges == []


@pytest.mark.parametrize(
    "mrn", ["KP12345678", "kp123456789", "123456789", "KP 12345678"]
)
@pytest.mark.asyncio
async def test_invalid_mrn_sends_nothing(
    kaiser_config: Config, kaiser_recorder: RecordingTransport, mrn: str
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(InvalidIdentifierError, match="Kaiser MRN"):
            await kaiser.get_health_record(mrn)
        with pytest.raises(InvalidIdentifierError, match="KP123456789"):
            await kaiser.schedule_appointment(mrn, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE")

    assert kaiser_recorder.exchanges == []


@pytest.mark.asyncio
async def test_unknown_mrn_raises_not_found(kaiser_config: Config) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(
            ResourceNotFoundError, match=f"no patient has the MRN {UNKNOWN_MRN}"
        ):
            await kaiser.get_health_record(UNKNOWN_MRN)
        with pytest.raises(ResourceNotFoundError):
            await kaiser.schedule_appointment(
                UNKNOWN_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE"
            )


@pytest.mark.asyncio
async def test_consent_refusal_sends_nothing(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    config = kaiser_config(consent_registry=ConsentRegistry())
    async with KaiserInterface(config) as kaiser:
        with pytest.raises(ConsentRequiredError):
            await kaiser.get_health_record(SAMPLE_MRN, purpose="research")

    assert kaiser_recorder.exchanges == []


@pytest.mark.asyncio
async def test_user_restricted_needs_second_factor(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config(access_mode="user-restricted")) as kaiser:
        with pytest.raises(SecondFactorRequiredError, match="APP"):
            await kaiser.get_health_record(SAMPLE_MRN)

    assert kaiser_recorder.exchanges == []


@pytest.mark.asyncio
async def test_every_call_is_audited(
    kaiser_config: Config, kaiser_audit: AuditStore
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        await kaiser.get_health_record(SAMPLE_MRN)
        await kaiser.schedule_appointment(
            SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE"
        )
        with pytest.raises(ResourceNotFoundError):
            await kaiser.get_health_record(UNKNOWN_MRN)

    records = kaiser_audit.records(provider="kaiser")
    outcomes = [(r.operation, r.outcome, r.patient_value) for r in records]
    assert outcomes == [
        ("get_health_record", "success", SAMPLE_MRN),
        ("schedule_appointment", "success", SAMPLE_MRN),
        ("get_health_record", "failure", UNKNOWN_MRN),
    ]


# Booking


@pytest.mark.asyncio
async def test_schedule_appointment(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        booked = await kaiser.schedule_appointment(
            mrn=SAMPLE_MRN,
            department="CARDIOLOGY",
            provider_npi=SAMPLE_NPI,
            appointment_type="FOLLOW_UP",
        )

    assert booked.status is AppointmentStatus.BOOKED
    assert booked.patient == Identifier(system=MRN_SYSTEM, value=SAMPLE_MRN)
    assert booked.practitioner == Identifier(system=NPI_SYSTEM, value=SAMPLE_NPI)
    assert booked.location == Identifier(system=FACILITY_SYSTEM, value="NCAL")
    assert booked.department == "CARDIOLOGY"
    assert booked.appointment_type == "FOLLOW_UP"
    assert booked.start is not None
    assert booked.end is not None
    assert booked.end > booked.start
    request = kaiser_recorder.exchanges[-1][0]
    assert request.method == "POST"
    assert request.url.path == "/fhir/R4/Appointment"
    sent = json.loads(request.content)
    assert sent["status"] == "proposed"
    assert sent["appointmentType"]["coding"][0]["code"] == "FOLLOWUP"
    assert request.headers["If-None-Exist"] == (
        f"identifier=urn:ietf:rfc:3986|{booked.booking_id}"
    )


@pytest.mark.asyncio
async def test_guide_example_npi_is_rejected(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(InvalidIdentifierError) as raised:
            await kaiser.schedule_appointment(
                SAMPLE_MRN, "CARDIOLOGY", GUIDE_NPI, "FOLLOW_UP"
            )

    message = str(raised.value)
    assert "Invalid NPI '1234567890'" in message
    assert "check digit is 0" in message
    assert "gives 3" in message
    assert kaiser_recorder.exchanges == []


@pytest.mark.parametrize(
    ("department", "appointment_type", "text"),
    [
        ("cardiology", "FOLLOW_UP", "department 'cardiology' is invalid"),
        ("CARDIOLOGY", "FOLLOWUP", "appointment_type 'FOLLOWUP' is unknown"),
    ],
)
@pytest.mark.asyncio
async def test_bad_booking_argument_sends_nothing(
    kaiser_config: Config,
    kaiser_recorder: RecordingTransport,
    department: str,
    appointment_type: str,
    text: str,
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(ValueError, match=text):
            await kaiser.schedule_appointment(
                SAMPLE_MRN, department, SAMPLE_NPI, appointment_type
            )

    assert kaiser_recorder.exchanges == []


@pytest.mark.asyncio
async def test_same_key_books_once(
    kaiser_config: Config, kaiser_simulator: Starlette
) -> None:
    key = "0b7e4c8a-3f51-4d2e-9c6a-5e8f1a2b3c4d"
    async with KaiserInterface(kaiser_config()) as kaiser:
        first = await kaiser.schedule_appointment(
            SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE", idempotency_key=key
        )
        again = await kaiser.schedule_appointment(
            SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE", idempotency_key=key
        )
        other = await kaiser.schedule_appointment(
            SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE"
        )

    simulator = kaiser_simulator.state.simulator
    assert again == first
    assert other.id != first.id
    assert simulator.booking_requests == 3
    assert sorted(simulator.appointments) == sorted([first.id, other.id])


@pytest.mark.asyncio
async def test_non_uuid_key_rejected(kaiser_config: Config) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        with pytest.raises(ValueError, match="is not a UUID"):
            await kaiser.schedule_appointment(
                SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE", idempotency_key="x"
            )


# Authentication


@pytest.mark.asyncio
async def test_token_request_is_saml_bearer_grant(
    kaiser_config: Config, kaiser_recorder: RecordingTransport
) -> None:
    async with KaiserInterface(kaiser_config()) as kaiser:
        await kaiser.get_health_record(SAMPLE_MRN)
        await kaiser.get_health_record(SAMPLE_MRN)

    tokens = [r for r, _ in kaiser_recorder.exchanges if r.url.path == "/oauth2/token"]
    assert len(tokens) == 1
    assert tokens[0].url.host == "idp.kaiserpermanente.org"
    form = {k: v[0] for k, v in parse_qs(tokens[0].content.decode()).items()}
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:saml2-bearer"
    assert form["client_id"] == "carecert-kaiser-test-client"
    assert set(form["scope"].split()) == set(SCOPES)
    assert form["assertion"]
    bearer = [
        r.headers["Authorization"]
        for r, _ in kaiser_recorder.exchanges
        if r.url.path != "/oauth2/token"
    ]
    assert all(value.startswith("Bearer ") for value in bearer)


@pytest.mark.asyncio
async def test_untrusted_certificate_raises_authentication_error(
    kaiser_config: Config, other_saml_identity: Path
) -> None:
    config = kaiser_config(saml_certificate=str(other_saml_identity))
    async with KaiserInterface(config) as kaiser:
        with pytest.raises(AuthenticationError, match="saml_certificate") as raised:
            await kaiser.get_health_record(SAMPLE_MRN)

    assert "invalid_grant" in str(raised.value)


@pytest.mark.asyncio
async def test_separate_key_file(
    kaiser_config: Config, saml_identity: Path, tmp_path: Path
) -> None:
    text = saml_identity.read_text()
    split = text.index("-----BEGIN PRIVATE KEY-----")
    certificate = tmp_path / "certificate.pem"
    key = tmp_path / "key.pem"
    certificate.write_text(text[:split])
    key.write_text(text[split:])
    config = kaiser_config(saml_certificate=str(certificate), saml_private_key=str(key))

    async with KaiserInterface(config) as kaiser:
        record = await kaiser.get_health_record(SAMPLE_MRN, ["problems"])

    assert len(record.conditions) == 3


@pytest.mark.asyncio
async def test_missing_scope_raises_authentication_error(kaiser_config: Config) -> None:
    config = kaiser_config(scopes=["patient/Patient.read"])
    async with KaiserInterface(config) as kaiser:
        with pytest.raises(AuthenticationError, match="HTTP 403 INSUFFICIENT_SCOPE"):
            await kaiser.get_health_record(SAMPLE_MRN, ["problems"])


# Configuration and registration


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"client_id": ""}, "client_id"),
        ({"saml_certificate": None}, "saml_certificate' is missing"),
        (
            {"saml_certificate": "/nonexistent/kaiser.pem"},
            "cannot read saml_certificate",
        ),
        ({"facility_id": "ncal"}, "facility_id"),
        ({"facility_id": None}, "facility_id"),
        ({"api_base": "http://api.example.test"}, "plain http"),
        ({"max_search_pages": 0}, "max_search_pages"),
    ],
)
def test_bad_config_raises(
    kaiser_config: Config, overrides: dict[str, Any], text: str
) -> None:
    with pytest.raises(ConfigurationError, match=text):
        KaiserInterface(kaiser_config(**overrides))


def test_certificate_without_key_raises(
    kaiser_config: Config, saml_identity: Path, tmp_path: Path
) -> None:
    text = saml_identity.read_text()
    certificate = tmp_path / "certificate.pem"
    certificate.write_text(text[: text.index("-----BEGIN PRIVATE KEY-----")])

    with pytest.raises(ConfigurationError, match="contains no PEM private key"):
        KaiserInterface(kaiser_config(saml_certificate=str(certificate)))


@pytest.mark.parametrize(
    ("api_base", "fhir_base"),
    [
        ("https://api.kaiserpermanente.org", API),
        ("https://fhir.example.test/R4/", "https://fhir.example.test/R4"),
    ],
)
def test_api_base_forms(kaiser_config: Config, api_base: str, fhir_base: str) -> None:
    kaiser = KaiserInterface(kaiser_config(api_base=api_base))

    assert kaiser.endpoints.fhir_base == fhir_base
    assert kaiser.endpoints.token_url == "https://idp.kaiserpermanente.org/oauth2/token"


def test_registry_finds_kaiser() -> None:
    assert_registry_finds(
        "kaiser",
        KaiserInterface,
        countries=["US"],
        compliance=["HIPAA", "HITECH"],
        types=["PRIVATE_PROVIDER"],
        regions=["US"],
    )


def test_info_declares_auth_and_us_hosts() -> None:
    info = KaiserInterface.info
    hosts = {host.host: host.jurisdiction for host in info.hosts}
    assert hosts == {
        "api.kaiserpermanente.org": "US",
        "idp.kaiserpermanente.org": "US",
    }
    assert info.primary_auth == "SAML_2.0"
    assert info.secondary_auth == "OAuth2"
    assert info.mfa_required is True
    assert info.mfa_kind == "APP"
    assert info.compliance == ("HIPAA", "HITECH")
    assert info.openapi_path() is not None
