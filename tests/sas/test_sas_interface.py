"""SASInterface against the in-process simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    InvalidResponseError,
    ProviderError,
    ResourceNotFoundError,
)
from carecert.adapters.models import AppointmentStatus, Identifier
from carecert.adapters.sas import SASInterface
from carecert.adapters.sas.codes import (
    CENTRE_CODE_SYSTEM,
    CENTRE_NAME_SYSTEM,
    DNI_SYSTEM,
    NUHSA_SYSTEM,
    SPECIALTY_SYSTEM,
)
from carecert.adapters.sas.interface import IDEMPOTENCY_HEADER
from carecert.adapters.sas.synthetic import (
    SAMPLE_DNI,
    SAMPLE_NUHSA,
    UNKNOWN_NUHSA,
    synthetic_dni,
)

from ..support.config import Config, simulator_state
from ..support.recording import RecordingTransport
from ..support.registry import assert_registry_finds
from .conftest import KEY_ID

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
END = datetime(2030, 3, 4, 9, 20, tzinfo=UTC)


@pytest.mark.asyncio
async def test_get_patient_maps_spanish_names(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        patient = await sas.get_patient(SAMPLE_NUHSA)

    assert patient.identifier_value(NUHSA_SYSTEM) == SAMPLE_NUHSA
    assert patient.identifier_value(DNI_SYSTEM) == SAMPLE_DNI
    assert patient.names[0].family == "Peña Ruiz"
    assert patient.names[0].given == ("Rocío",)
    assert patient.addresses[0].city == "Sevilla"


@pytest.mark.asyncio
async def test_get_patient_accepts_lower_case_nuhsa(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        patient = await sas.get_patient(SAMPLE_NUHSA.lower())
    assert patient.identifier_value(NUHSA_SYSTEM) == SAMPLE_NUHSA


@pytest.mark.asyncio
async def test_get_patient_with_matching_dni(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        patient = await sas.get_patient(SAMPLE_NUHSA, dni=SAMPLE_DNI.lower())
    assert patient.identifier_value(DNI_SYSTEM) == SAMPLE_DNI


@pytest.mark.asyncio
async def test_get_patient_with_other_dni(sas_config: Config) -> None:
    other = synthetic_dni(11111111)
    async with SASInterface(sas_config()) as sas:
        with pytest.raises(ResourceNotFoundError, match="no matching DNI"):
            await sas.get_patient(SAMPLE_NUHSA, dni=other)


@pytest.mark.asyncio
async def test_get_patient_with_nie(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        patient = await sas.get_patient("AN1000000017", dni="Y2345678Z")
    assert patient.names[0].family == "Núñez Castaño"


@pytest.mark.asyncio
async def test_restricted_patient_has_no_address(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        patient = await sas.get_patient("AN2000000025")
    assert patient.restricted
    assert patient.addresses == ()


@pytest.mark.parametrize(
    ("nuhsa", "dni"),
    [
        ("AN012345678", None),
        ("SE0123456789", None),
        ("AN01234567890", None),
        ("0123456789", None),
        (SAMPLE_NUHSA, "45678123A"),
        (SAMPLE_NUHSA, "4567812P"),
        (SAMPLE_NUHSA, "X1234567A"),
    ],
)
@pytest.mark.asyncio
async def test_invalid_identifier_sends_nothing(
    sas_config: Config,
    sas_recorder: RecordingTransport,
    nuhsa: str,
    dni: str | None,
) -> None:
    async with SASInterface(sas_config()) as sas:
        with pytest.raises(InvalidIdentifierError):
            await sas.get_patient(nuhsa, dni=dni)
        with pytest.raises(InvalidIdentifierError):
            await sas.book_appointment(nuhsa if dni is None else "AN1", "cardiologia")
        with pytest.raises(InvalidIdentifierError):
            await sas.get_prescriptions(nuhsa if dni is None else "AN1")
    assert sas_recorder.exchanges == []


@pytest.mark.asyncio
async def test_consent_refusal_sends_nothing(
    sas_config: Config, sas_recorder: RecordingTransport, sas_audit: Any
) -> None:
    async with SASInterface(sas_config(consent_registry=ConsentRegistry())) as sas:
        with pytest.raises(ConsentRequiredError):
            await sas.get_patient(SAMPLE_NUHSA)
        with pytest.raises(ConsentRequiredError):
            await sas.book_appointment(SAMPLE_NUHSA, "cardiologia")
        with pytest.raises(ConsentRequiredError):
            await sas.get_prescriptions(SAMPLE_NUHSA)

    assert sas_recorder.exchanges == []
    outcomes = [record.outcome for record in sas_audit.records(provider="sas")]
    assert outcomes == ["denied", "denied", "denied"]


@pytest.mark.asyncio
async def test_default_guard_requires_consent(
    sas_config: Config,
    sas_recorder: RecordingTransport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARECERT_AUDIT_DB", str(tmp_path / "audit.sqlite3"))
    config = sas_config()
    del config["consent_registry"]
    del config["audit_store"]
    async with SASInterface(config) as sas:
        with pytest.raises(ConsentRequiredError):
            await sas.get_patient(SAMPLE_NUHSA)
        records = sas.guard.audit.records(provider="sas")
    assert sas_recorder.exchanges == []
    assert [record.outcome for record in records] == ["denied"]


@pytest.mark.asyncio
async def test_every_call_is_audited(sas_config: Config, sas_audit: Any) -> None:
    async with SASInterface(sas_config()) as sas:
        await sas.get_patient(SAMPLE_NUHSA)
        await sas.get_prescriptions(SAMPLE_NUHSA)
        with pytest.raises(ResourceNotFoundError):
            await sas.get_patient(UNKNOWN_NUHSA)

    records = sas_audit.records(provider="sas")
    assert [r.operation for r in records] == [
        "get_patient",
        "get_prescriptions",
        "get_patient",
    ]
    assert [r.outcome for r in records] == ["success", "success", "failure"]


@pytest.mark.asyncio
async def test_book_appointment_by_centre_name(
    sas_config: Config, sas_recorder: RecordingTransport
) -> None:
    async with SASInterface(sas_config()) as sas:
        booked = await sas.book_appointment(
            nuhsa=SAMPLE_NUHSA,
            specialty="cardiologia",
            center_preference="Hospital Virgen del Rocío",
        )

    assert booked.status is AppointmentStatus.BOOKED
    assert booked.appointment_type == "cardiologia"
    assert booked.location == Identifier(
        system=CENTRE_NAME_SYSTEM, value="Hospital Virgen del Rocío"
    )
    assert booked.start is not None
    assert booked.id is not None
    request = sas_recorder.exchanges[-1][0]
    assert request.url.host == "citapreviacas.juntadeandalucia.es"
    assert request.headers[IDEMPOTENCY_HEADER]
    body = request.content.decode()
    assert SPECIALTY_SYSTEM in body
    assert "Rocío" in body


@pytest.mark.asyncio
async def test_book_defaults_to_configured_centre(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        booked = await sas.book_appointment(
            SAMPLE_NUHSA, "pediatria", start=START, end=END
        )
    assert booked.location == Identifier(
        system=CENTRE_CODE_SYSTEM, value="CS_SEVILLA_001"
    )
    assert booked.start == START
    assert booked.end == END


@pytest.mark.parametrize(
    ("specialty", "centre", "start", "end"),
    [
        ("cardio", "CS_SEVILLA_001", None, None),
        ("cardiologia", "  ", None, None),
        ("cardiologia", "CS_SEVILLA_001", datetime(2030, 1, 1, 9), None),
        ("cardiologia", "CS_SEVILLA_001", END, START),
        ("cardiologia", "CS_SEVILLA_001", START, None),
    ],
)
@pytest.mark.asyncio
async def test_bad_booking_argument_sends_nothing(
    sas_config: Config,
    sas_recorder: RecordingTransport,
    specialty: str,
    centre: str,
    start: datetime | None,
    end: datetime | None,
) -> None:
    async with SASInterface(sas_config()) as sas:
        with pytest.raises(ValueError):
            await sas.book_appointment(
                SAMPLE_NUHSA, specialty, centre, start=start, end=end
            )
    assert sas_recorder.exchanges == []


@pytest.mark.asyncio
async def test_same_idempotency_key_books_once(
    sas_config: Config, sas_simulator: Starlette
) -> None:
    async with SASInterface(sas_config()) as sas:
        first = await sas.book_appointment(
            SAMPLE_NUHSA, "cardiologia", idempotency_key="clave-1"
        )
        again = await sas.book_appointment(
            SAMPLE_NUHSA, "cardiologia", idempotency_key="clave-1"
        )
    assert again == first
    assert len(simulator_state(sas_simulator).appointments) == 1


@pytest.mark.asyncio
async def test_get_prescriptions(
    sas_config: Config, sas_recorder: RecordingTransport
) -> None:
    async with SASInterface(sas_config()) as sas:
        prescriptions = await sas.get_prescriptions(SAMPLE_NUHSA)
        none = await sas.get_prescriptions("AN1000000017")

    assert [p.medication_text for p in prescriptions] == [
        "Enalapril 10 mg comprimidos",
        "Omeprazol 20 mg cápsulas duras",
    ]
    assert all(p.patient.value == SAMPLE_NUHSA for p in prescriptions)
    assert all(p.patient_identifier_valid for p in prescriptions)
    assert none == []
    request = sas_recorder.exchanges[-1][0]
    assert request.url.host == "recetaelectronica.sas.es"
    assert request.url.params["patient.identifier"] == f"{NUHSA_SYSTEM}|AN1000000017"


@pytest.mark.asyncio
async def test_token_requested_once_for_concurrent_calls(
    sas_config: Config, sas_simulator: Starlette
) -> None:
    async with SASInterface(sas_config()) as sas:
        await asyncio.gather(
            *(sas.get_patient(SAMPLE_NUHSA) for _ in range(8)),
            sas.get_prescriptions(SAMPLE_NUHSA),
        )
        assert sas.tokens.token_requests == 1
    assert simulator_state(sas_simulator).token_requests == 1


@pytest.mark.asyncio
async def test_token_requests_all_scopes(
    sas_config: Config, sas_recorder: RecordingTransport
) -> None:
    async with SASInterface(sas_config()) as sas:
        await sas.get_patient(SAMPLE_NUHSA)
    token_request = sas_recorder.exchanges[0][0]
    assert token_request.url.path == "/oauth2/token"
    assert token_request.url.host == "api.sas.junta-andalucia.es"
    form = token_request.content.decode()
    assert "scope=patient%3Aread+appointment%3Awrite+prescription%3Aread" in form
    assert "Basic " in token_request.headers["Authorization"]


@pytest.mark.asyncio
async def test_private_key_jwt_client_auth(
    sas_config: Config, sas_private_key_path: Any, sas_recorder: RecordingTransport
) -> None:
    config = sas_config(private_key_path=str(sas_private_key_path), key_id=KEY_ID)
    config.pop("client_secret")
    async with SASInterface(config) as sas:
        patient = await sas.get_patient(SAMPLE_NUHSA)
    assert patient.identifier_value(NUHSA_SYSTEM) == SAMPLE_NUHSA
    form = sas_recorder.exchanges[0][0].content.decode()
    assert "client_assertion=" in form


@pytest.mark.asyncio
async def test_wrong_secret_raises_authentication_error(sas_config: Config) -> None:
    async with SASInterface(sas_config(client_secret="wrong")) as sas:
        with pytest.raises(AuthenticationError):
            await sas.get_patient(SAMPLE_NUHSA)


@pytest.mark.asyncio
async def test_missing_scope_raises_authentication_error(sas_config: Config) -> None:
    async with SASInterface(sas_config(scopes=["patient:read"])) as sas:
        await sas.get_patient(SAMPLE_NUHSA)
        with pytest.raises(AuthenticationError, match="HTTP 403 INSUFFICIENT_SCOPE"):
            await sas.get_prescriptions(SAMPLE_NUHSA)


@pytest.mark.asyncio
async def test_unknown_patient_raises_not_found(sas_config: Config) -> None:
    async with SASInterface(sas_config()) as sas:
        with pytest.raises(ResourceNotFoundError, match="HTTP 404 PATIENT_NOT_FOUND"):
            await sas.get_patient(UNKNOWN_NUHSA)
        with pytest.raises(ResourceNotFoundError):
            await sas.book_appointment(UNKNOWN_NUHSA, "cardiologia")


def _fixed(status: int, body: bytes, content_type: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "Bearer", "expires_in": 60},
            )
        return httpx.Response(
            status, content=body, headers={"Content-Type": content_type}
        )

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (200, b"<html></html>", InvalidResponseError, "not JSON"),
        (200, b'{"resourceType": "Patient"}', InvalidResponseError, "identifier"),
        (
            200,
            b'{"resourceType": "Patient", "identifier": '
            b'[{"system": "https://www.sspa.juntadeandalucia.es/nuhsa", '
            b'"value": "AN1111111111"}]}',
            InvalidResponseError,
            "does not carry that NUHSA",
        ),
        (400, b"{}", ProviderError, "HTTP 400"),
        (500, b"{}", ProviderError, "unavailable"),
    ],
)
@pytest.mark.asyncio
async def test_error_mapping(
    sas_config: Config,
    status: int,
    body: bytes,
    error: type[Exception],
    text: str,
) -> None:
    transport = _fixed(status, body, "application/fhir+json")
    async with SASInterface(sas_config(transport=transport, retry_attempts=1)) as sas:
        with pytest.raises(error, match=text):
            await sas.get_patient(SAMPLE_NUHSA)


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_secret": None}, "client_secret"),
        ({"certificado_digital": None}, "certificado_digital"),
        ({"clave_certificado": None}, "clave_certificado"),
        ({"provincia": "XX"}, "provincia"),
        ({"centro_salud_id": "sevilla"}, "centro_salud_id"),
        ({"api_endpoints": {"citas": "http://citas.example.test"}}, "plain http"),
        ({"api_endpoints": {"turnos": "https://x.test"}}, "unknown keys"),
    ],
)
def test_bad_config_raises(
    sas_config: Config, overrides: dict[str, Any], text: str, monkeypatch: Any
) -> None:
    monkeypatch.delenv("SAS_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match=text):
        SASInterface(sas_config(**overrides))


def test_registry_finds_sas() -> None:
    assert_registry_finds(
        "sas",
        SASInterface,
        countries=["ES"],
        compliance=["GDPR", "LOPDGDD"],
        types=["PUBLIC_REGIONAL"],
    )


def test_info_declares_every_host_in_spain() -> None:
    hosts = {host.host: host.jurisdiction for host in SASInterface.info.hosts}
    assert hosts == {
        "api.sas.junta-andalucia.es": "ES",
        "citapreviacas.juntadeandalucia.es": "ES",
        "recetaelectronica.sas.es": "ES",
    }
    assert SASInterface.info.openapi_path() is not None
