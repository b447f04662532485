"""NHSInterface: request shapes, compliance guards, errors and configuration.

Most tests reach the simulator in process through httpx.ASGITransport; error
cases use httpx.MockTransport to return exact statuses and bodies.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecert.adapters.compliance import AuditStore, UserSession
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ResourceNotFoundError,
    SecondFactorRequiredError,
)
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import AppointmentStatus, RecordType
from carecert.adapters.nhs import NHSInterface
from carecert.adapters.nhs.simulator import create_app
from carecert.adapters.nhs.synthetic import UNKNOWN_NHS_NUMBER
from carecert.adapters.provider import AuthMethod, MfaKind, ProviderType

from ..support.config import Config

API_KEY = "test-api-key-7f3a9c"
PDS = "https://int.api.service.nhs.uk/personal-demographics/FHIR/R4"
GP = "https://int.api.service.nhs.uk/gp-connect/FHIR/R4"
FHIR_JSON = "application/fhir+json"
PATIENT = {
    "resourceType": "Patient",
    "id": "9000000009",
    "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "9000000009"}],
}
INVALID_NUMBERS = ["9000000000", "900000000", "94347659l9", "", "9434765918"]


def mock_transport(
    respond: Callable[[httpx.Request], httpx.Response],
) -> httpx.MockTransport:
    """A transport that grants tokens and passes other requests to ``respond``."""
    counter = iter(range(1_000_000))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            token = f"token-{next(counter)}"
            return httpx.Response(
                200, json={"access_token": token, "expires_in": "599"}
            )
        return respond(request)

    return httpx.MockTransport(handler)


def fhir(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": FHIR_JSON, **headers},
    )


def outcome(status: int, code: str, **headers: str) -> httpx.Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "value",
                "details": {"coding": [{"code": code}]},
            }
        ],
    }
    return fhir(status, body, **headers)


def outcomes(audit: AuditStore) -> list[tuple[str, str]]:
    return [(r.operation, r.outcome) for r in audit.records(provider="nhs")]


# Provider metadata


def test_info_declares_uk_provider() -> None:
    info = NHSInterface.info

    assert info.id == "nhs"
    assert info.type is ProviderType.PUBLIC_NATIONAL
    assert info.country == "GB"
    assert info.regions == ("UK",)
    assert info.compliance == ("UK GDPR", "DPA 2018", "NHS DSPT")
    assert info.primary_auth is AuthMethod.API_KEY
    assert info.secondary_auth is AuthMethod.OAUTH2
    assert info.mfa_required is True
    assert info.mfa_kind is MfaKind.SMS
    assert {h.host for h in info.hosts} == {
        "sandbox.api.service.nhs.uk",
        "int.api.service.nhs.uk",
        "api.service.nhs.uk",
    }
    assert {h.jurisdiction for h in info.hosts} == {"GB"}
    path = info.openapi_path()
    assert path is not None
    assert path.is_file()


# Patient record


@pytest.mark.asyncio
async def test_record_request_shape(nhs_config: Config, nhs_recorder: Any) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        record = await nhs.get_patient_record("9000000009")

    token, patient, gp = nhs_recorder.requests
    assert (token.method, str(token.url)) == (
        "POST",
        "https://int.api.service.nhs.uk/oauth2/token",
    )
    assert (patient.method, str(patient.url)) == ("GET", f"{PDS}/Patient/9000000009")
    assert uuid.UUID(patient.headers["X-Request-ID"]).version == 4
    assert patient.headers["NHSD-End-User-Organisation-ODS"] == "RX1"
    assert patient.headers["Accept"] == FHIR_JSON
    assert patient.headers["Authorization"].startswith("Bearer ")
    assert "X-Correlation-ID" not in patient.headers
    assert "apikey" not in patient.headers
    assert (gp.method, str(gp.url)) == (
        "POST",
        f"{GP}/Patient/$gpc.getstructuredrecord",
    )
    assert gp.headers["Content-Type"] == FHIR_JSON
    assert gp.headers["X-Request-ID"] != patient.headers["X-Request-ID"]
    names = [p["name"] for p in json.loads(gp.content)["parameter"]]
    assert names == [
        "patientNHSNumber",
        "includeMedication",
        "includeAllergies",
        "includeProblems",
    ]
    assert record.sections == (
        RecordType.MEDICATIONS,
        RecordType.ALLERGIES,
        RecordType.CONDITIONS,
    )
    assert record.patient.names[0].family == "Testpatient"
    assert [m.id for m in record.medications] == ["med-1"]
    assert [a.id for a in record.allergies] == ["allergy-1"]
    assert [c.id for c in record.conditions] == ["condition-1"]


@pytest.mark.asyncio
async def test_correlation_id_sent(nhs_config: Config, nhs_recorder: Any) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        await nhs.get_patient_record("9000000009", "demographics", correlation_id="c-1")

    assert nhs_recorder.requests[1].headers["X-Correlation-ID"] == "c-1"


@pytest.mark.asyncio
async def test_demographics_alone_skips_gp(
    nhs_config: Config, nhs_recorder: Any
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        record = await nhs.get_patient_record("9000000009", ["demographics"])

    assert nhs_recorder.paths() == [
        "/oauth2/token",
        "/personal-demographics/FHIR/R4/Patient/9000000009",
    ]
    assert record.sections == (RecordType.DEMOGRAPHICS,)
    assert (record.medications, record.allergies, record.conditions) == ((), (), ())


@pytest.mark.asyncio
async def test_one_section_requested(nhs_config: Config, nhs_recorder: Any) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        record = await nhs.get_patient_record("9000000017", "allergies")

    body = json.loads(nhs_recorder.requests[-1].content)
    assert [p["name"] for p in body["parameter"]] == [
        "patientNHSNumber",
        "includeAllergies",
    ]
    assert record.sections == (RecordType.ALLERGIES,)
    assert len(record.allergies) == 1
    assert (record.medications, record.conditions) == ((), ())


@pytest.mark.asyncio
async def test_repeated_types_collapsed(nhs_config: Config) -> None:
    async with NHSInterface(nhs_config()) as nhs:
        record = await nhs.get_patient_record(
            "9000000009", ["conditions", "demographics", "conditions"]
        )

    assert record.sections == (RecordType.CONDITIONS, RecordType.DEMOGRAPHICS)


@pytest.mark.asyncio
async def test_restricted_patient_has_no_location(nhs_config: Config) -> None:
    async with NHSInterface(nhs_config()) as nhs:
        record = await nhs.get_patient_record("9000000025", ["demographics"])

    assert record.patient.restricted is True
    assert record.patient.addresses == ()
    assert record.patient.telecom == ()
    assert record.patient.general_practitioner is None


@pytest.mark.asyncio
async def test_token_reused_across_calls(nhs_config: Config, nhs_recorder: Any) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        await nhs.get_patient_record("9000000009", "demographics")
        await nhs.get_patient_record("9000000017", "demographics")

    assert nhs_recorder.paths().count("/oauth2/token") == 1


@pytest.mark.asyncio
async def test_works_without_context_manager(nhs_config: Config) -> None:
    nhs = NHSInterface(nhs_config())

    record = await nhs.get_patient_record("9434765919", "conditions")

    assert record.patient.deceased_at == datetime(2021, 8, 9, 14, tzinfo=UTC)
    await nhs.aclose()


# Checks before sending


@pytest.mark.asyncio
@pytest.mark.parametrize("number", INVALID_NUMBERS)
async def test_invalid_number_sends_nothing(
    number: str, nhs_config: Config, nhs_recorder: Any, nhs_audit: AuditStore
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(InvalidIdentifierError) as raised:
            await nhs.get_patient_record(number)

    assert repr(number) in str(raised.value)
    assert nhs_recorder.requests == []
    assert outcomes(nhs_audit) == []


@pytest.mark.asyncio
async def test_unknown_record_type_lists_valid(
    nhs_config: Config, nhs_recorder: Any
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(ValueError, match="'imaging'") as raised:
            await nhs.get_patient_record("9000000009", ["medications", "imaging"])

    assert "demographics, medications, allergies, conditions" in str(raised.value)
    assert nhs_recorder.requests == []


@pytest.mark.asyncio
async def test_empty_record_types_rejected(
    nhs_config: Config, nhs_recorder: Any
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(ValueError, match="record_types is empty"):
            await nhs.get_patient_record("9000000009", [])

    assert nhs_recorder.requests == []


@pytest.mark.asyncio
async def test_missing_consent_sends_nothing(
    nhs_config: Config, nhs_recorder: Any, nhs_audit: AuditStore
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(ConsentRequiredError):
            await nhs.get_patient_record("9000000009", purpose="research")

    assert nhs_recorder.requests == []
    assert outcomes(nhs_audit) == [("get_patient_record", "denied")]


@pytest.mark.asyncio
async def test_user_restricted_needs_second_factor(
    nhs_config: Config, nhs_recorder: Any
) -> None:
    config = nhs_config(transport=nhs_recorder, access_mode="user-restricted")

    async with NHSInterface(config) as nhs:
        with pytest.raises(SecondFactorRequiredError):
            await nhs.get_patient_record("9000000009")
        with pytest.raises(SecondFactorRequiredError):
            await nhs.get_patient_record(
                "9000000009", session=UserSession("clinician-1")
            )

    assert nhs_recorder.requests == []


@pytest.mark.asyncio
async def test_user_restricted_with_sms_factor(
    nhs_config: Config, nhs_audit: AuditStore
) -> None:
    session = UserSession("clinician-1")
    session.mark_verified(MfaKind.SMS)

    async with NHSInterface(nhs_config(access_mode="user-restricted")) as nhs:
        record = await nhs.get_patient_record("9000000009", session=session)

    assert record.patient.id == "9000000009"
    assert [r.actor for r in nhs_audit.records(provider="nhs")] == ["clinician-1"]


# Audit


@pytest.mark.asyncio
async def test_success_audited(nhs_config: Config, nhs_audit: AuditStore) -> None:
    async with NHSInterface(nhs_config()) as nhs:
        await nhs.get_patient_record("9000000009")

    records = nhs_audit.records(provider="nhs")
    assert [(r.operation, r.outcome) for r in records] == [
        ("get_patient_record", "success")
    ]
    assert records[0].patient_value == "9000000009"
    assert records[0].purpose == "direct-care"


@pytest.mark.asyncio
async def test_unknown_patient_audited_failure(
    nhs_config: Config, nhs_audit: AuditStore
) -> None:
    async with NHSInterface(nhs_config()) as nhs:
        with pytest.raises(ResourceNotFoundError, match="HTTP 404 RESOURCE_NOT_FOUND"):
            await nhs.get_patient_record(UNKNOWN_NHS_NUMBER)

    records = nhs_audit.records(provider="nhs")
    assert [(r.outcome, r.detail) for r in records] == [
        ("failure", "ResourceNotFoundError")
    ]


# Error mapping

ERROR_CASES = [
    (outcome(403, "ACCESS_DENIED"), AuthenticationError, "HTTP 403 ACCESS_DENIED"),
    (outcome(404, "RESOURCE_NOT_FOUND"), ResourceNotFoundError, "HTTP 404"),
    (
        outcome(429, "TOO_MANY_REQUESTS", **{"Retry-After": "12"}),
        RateLimitedError,
        "after 12 s",
    ),
    (outcome(408, "UNABLE_TO_CALL_SERVICE"), ProviderUnavailableError, "HTTP 408"),
    (httpx.Response(500), ProviderUnavailableError, "HTTP 500"),
    (httpx.Response(503, text="busy"), ProviderUnavailableError, "HTTP 503"),
    (outcome(400, "INVALID_VALUE"), ProviderError, "HTTP 400 INVALID_VALUE"),
    (
        httpx.Response(200, text="<html>maintenance</html>"),
        InvalidResponseError,
        "not JSON",
    ),
    (fhir(200, [PATIENT]), InvalidResponseError, "expected a JSON object"),
    (
        fhir(200, {**PATIENT, "identifier": []}),
        InvalidResponseError,
        "Patient.identifier",
    ),
    (fhir(200, {**PATIENT, "gender": "robot"}), InvalidResponseError, "gender: enum"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    ERROR_CASES,
    ids=[
        "403",
        "404",
        "429",
        "408",
        "500",
        "503",
        "400",
        "html",
        "array",
        "no-identifier",
        "bad-gender",
    ],
)
async def test_status_mapped_to_error(
    nhs_config: Config,
    nhs_audit: AuditStore,
    response: httpx.Response,
    error: type[Exception],
    fragment: str,
) -> None:
    transport = mock_transport(lambda request: response)

    async with NHSInterface(nhs_config(transport=transport)) as nhs:
        with pytest.raises(error) as raised:
            await nhs.get_patient_record("9000000009", "demographics")

    message = str(raised.value)
    assert type(raised.value) is error
    assert message.startswith("nhs get_patient_record: ")
    assert fragment in message
    assert "robot" not in message
    assert outcomes(nhs_audit) == [("get_patient_record", "failure")]


@pytest.mark.asyncio
async def test_rate_limit_carries_retry_after(nhs_config: Config) -> None:
    transport = mock_transport(
        lambda r: outcome(429, "TOO_MANY_REQUESTS", **{"Retry-After": "12"})
    )

    async with NHSInterface(nhs_config(transport=transport)) as nhs:
        with pytest.raises(RateLimitedError) as raised:
            await nhs.get_patient_record("9000000009", "demographics")

    assert raised.value.retry_after == 12.0


@pytest.mark.asyncio
async def test_bad_json_chained(nhs_config: Config) -> None:
    transport = mock_transport(lambda r: httpx.Response(200, text="{"))

    async with NHSInterface(nhs_config(transport=transport)) as nhs:
        with pytest.raises(InvalidResponseError) as raised:
            await nhs.get_patient_record("9000000009", "demographics")

    assert isinstance(raised.value.__cause__, json.JSONDecodeError)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout,
        httpx.ConnectTimeout,
        httpx.ConnectError,
        httpx.RemoteProtocolError,
    ],
)
async def test_transport_failure_unavailable(
    nhs_config: Config, exception: type[httpx.HTTPError]
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exception("failed", request=request)

    async with NHSInterface(nhs_config(transport=mock_transport(respond))) as nhs:
        with pytest.raises(ProviderUnavailableError) as raised:
            await nhs.get_patient_record("9000000009", "demographics")

    assert isinstance(raised.value.__cause__, exception)
    assert "retry" in str(raised.value).lower()


@pytest.mark.asyncio
async def test_401_refreshes_token_once(nhs_config: Config) -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return outcome(401, "ACCESS_DENIED")
        return fhir(200, PATIENT)

    async with NHSInterface(nhs_config(transport=mock_transport(respond))) as nhs:
        record = await nhs.get_patient_record("9000000009", "demographics")

    assert record.patient.id == "9000000009"
    first, second = seen
    assert first.headers["Authorization"] == "Bearer token-0"
    assert second.headers["Authorization"] == "Bearer token-1"
    assert first.headers["X-Request-ID"] == second.headers["X-Request-ID"]


@pytest.mark.asyncio
async def test_second_401_is_authentication_error(nhs_config: Config) -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return outcome(401, "ACCESS_DENIED")

    async with NHSInterface(nhs_config(transport=mock_transport(respond))) as nhs:
        with pytest.raises(
            AuthenticationError, match="HTTP 401 ACCESS_DENIED"
        ) as raised:
            await nhs.get_patient_record("9000000009", "demographics")

    assert len(seen) == 2
    assert API_KEY not in str(raised.value)
    assert "token-" not in str(raised.value)


@pytest.mark.asyncio
async def test_superseded_number_warns(
    nhs_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    superseding = {
        **PATIENT,
        "id": "9000000017",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "9000000017"}],
    }
    transport = mock_transport(lambda r: fhir(200, superseding))

    async with NHSInterface(nhs_config(transport=transport)) as nhs:
        record = await nhs.get_patient_record("9000000009", "demographics")

    assert record.patient.id == "9000000017"
    assert "superseded" in caplog.text


# Secrets and logs


@pytest.mark.asyncio
async def test_secrets_absent_from_logs(
    nhs_config: Config, caplog: pytest.LogCaptureFixture, nhs_simulator: Any
) -> None:
    caplog.set_level(logging.DEBUG)

    async with NHSInterface(nhs_config()) as nhs:
        await nhs.get_patient_record("9000000009")
        text = repr(nhs) + repr(nhs._auth)

    issued = list(nhs_simulator.state.simulator.tokens)
    assert API_KEY not in caplog.text
    assert API_KEY not in text
    assert issued
    for token in issued:
        assert token not in caplog.text
        assert token not in text
    assert "Bearer" not in caplog.text
    assert "BEGIN" not in caplog.text


@pytest.mark.asyncio
async def test_one_log_line_per_exchange(
    nhs_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="carecert.http")

    async with NHSInterface(nhs_config()) as nhs:
        await nhs.get_patient_record("9000000009", "demographics")

    lines = [r.getMessage() for r in caplog.records if r.name == "carecert.http"]
    assert lines == [
        "POST https://int.api.service.nhs.uk/oauth2/token -> 200 (provider nhs)",
        f"GET {PDS}/Patient/9000000009 -> 200 (provider nhs)",
    ]


# API-key mode


@pytest.mark.asyncio
async def test_api_key_mode_sends_apikey(
    nhs_config: Config, recording_transport: Any
) -> None:
    app = create_app(api_key=API_KEY)
    recorder = recording_transport(httpx.ASGITransport(app=app))
    config = nhs_config(transport=recorder, environment="sandbox")
    del config["private_key_path"], config["key_id"]

    async with NHSInterface(config) as nhs:
        await nhs.get_patient_record("9000000009", "demographics")

    (request,) = recorder.requests
    assert request.headers["apikey"] == API_KEY
    assert "Authorization" not in request.headers
    assert str(request.url) == (
        "https://sandbox.api.service.nhs.uk/personal-demographics/FHIR/R4"
        "/Patient/9000000009"
    )


# Appointments


@pytest.mark.asyncio
async def test_book_at_requested_time(nhs_config: Config, nhs_recorder: Any) -> None:
    start = datetime(2030, 1, 7, 9, 30, tzinfo=UTC)
    end = start + timedelta(minutes=10)

    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        booked = await nhs.book_gp_appointment(
            "9000000009", "Y12345", "routine", start=start, end=end
        )

    request = nhs_recorder.requests[-1]
    assert (request.method, str(request.url)) == ("POST", f"{GP}/Appointment")
    sent = json.loads(request.content)
    assert sent["resourceType"] == "Appointment"
    assert sent["status"] == "booked"
    assert sent["start"] == "2030-01-07T09:30:00+00:00"
    assert booked.id == "1"
    assert booked.status is AppointmentStatus.BOOKED
    assert (booked.start, booked.end) == (start, end)
    assert booked.patient.value == "9000000009"
    assert booked.location.value == "Y12345"
    assert booked.appointment_type == "routine"


@pytest.mark.asyncio
async def test_book_without_time_is_proposed(
    nhs_config: Config, nhs_recorder: Any, nhs_audit: AuditStore
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        booked = await nhs.book_gp_appointment("9434765919", "Y12345", "routine")

    sent = json.loads(nhs_recorder.requests[-1].content)
    assert sent["status"] == "proposed"
    assert "start" not in sent
    assert booked.status is AppointmentStatus.BOOKED
    assert booked.start is not None
    assert outcomes(nhs_audit) == [("book_gp_appointment", "success")]


@pytest.mark.asyncio
@pytest.mark.parametrize("code", ["y12345", "Y1234", "YY1234", "Y123456", "RX1"])
async def test_invalid_practice_code_sends_nothing(
    code: str, nhs_config: Config, nhs_recorder: Any
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(InvalidIdentifierError, match=repr(code)):
            await nhs.book_gp_appointment("9000000009", code, "routine")

    assert nhs_recorder.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"appointment_type": " "}, "appointment_type ' ' is empty"),
        ({"start": datetime(2030, 1, 7, 9)}, "has no time zone"),
        ({"end": datetime(2030, 1, 7, 9, tzinfo=UTC)}, "end was given without start"),
        (
            {
                "start": datetime(2030, 1, 7, 9, tzinfo=UTC),
                "end": datetime(2030, 1, 7, 9, tzinfo=UTC),
            },
            "is not after start",
        ),
    ],
    ids=["blank-type", "naive", "end-only", "end-not-after-start"],
)
async def test_bad_booking_arguments_send_nothing(
    arguments: dict[str, Any], fragment: str, nhs_config: Config, nhs_recorder: Any
) -> None:
    call = {"appointment_type": "routine", **arguments}

    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(ValueError, match=fragment):
            await nhs.book_gp_appointment("9000000009", "Y12345", **call)

    assert nhs_recorder.requests == []


@pytest.mark.asyncio
async def test_invalid_number_books_nothing(
    nhs_config: Config, nhs_recorder: Any
) -> None:
    async with NHSInterface(nhs_config(transport=nhs_recorder)) as nhs:
        with pytest.raises(InvalidIdentifierError):
            await nhs.book_gp_appointment("9000000000", "Y12345", "routine")

    assert nhs_recorder.requests == []


def booked_resource(nhs_number: str = "9000000009", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "appointmentType": {"text": "routine"},
        "start": "2030-01-07T09:00:00+00:00",
        "participant": [
            {"actor": {"reference": f"Patient/{nhs_number}"}, "status": "accepted"},
            {
                "actor": {"type": "Location", "identifier": {"value": "Y12345"}},
                "status": "accepted",
            },
        ],
        **fields,
    }


@pytest.mark.asyncio
async def test_booking_id_from_location(nhs_config: Config) -> None:
    response = fhir(
        201, booked_resource(), Location=f"{GP}/Appointment/abc-7/_history/1"
    )

    async with NHSInterface(
        nhs_config(transport=mock_transport(lambda r: response))
    ) as nhs:
        booked = await nhs.book_gp_appointment("9000000009", "Y12345", "routine")

    assert booked.id == "abc-7"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (fhir(201, booked_resource(id="1")), "no Location header"),
        (fhir(200, booked_resource(id="1"), Location="x"), "expected HTTP 201"),
        (
            fhir(
                201,
                booked_resource("9000000017", id="1"),
                Location=f"{GP}/Appointment/1",
            ),
            "names another patient than 9000000009",
        ),
        (
            fhir(201, booked_resource(), Location="https://example.org/"),
            "names no Appointment id",
        ),
    ],
    ids=["no-location", "200", "other-patient", "bad-location"],
)
async def test_bad_booking_response_rejected(
    nhs_config: Config, response: httpx.Response, fragment: str
) -> None:
    async with NHSInterface(
        nhs_config(transport=mock_transport(lambda r: response))
    ) as nhs:
        with pytest.raises(InvalidResponseError, match=fragment):
            await nhs.book_gp_appointment("9000000009", "Y12345", "routine")


@pytest.mark.asyncio
async def test_booking_unknown_patient_not_found(nhs_config: Config) -> None:
    async with NHSInterface(nhs_config()) as nhs:
        with pytest.raises(ResourceNotFoundError, match="PATIENT_NOT_FOUND"):
            await nhs.book_gp_appointment(UNKNOWN_NHS_NUMBER, "Y12345", "routine")


# Configuration


@pytest.mark.parametrize(
    ("environment", "host"),
    [
        ("sandbox", "sandbox.api.service.nhs.uk"),
        ("integration", "int.api.service.nhs.uk"),
        ("production", "api.service.nhs.uk"),
    ],
)
def test_environment_selects_host(
    environment: str, host: str, nhs_config: Config
) -> None:
    endpoints = NHSInterface(nhs_config(environment=environment)).endpoints

    assert endpoints.pds_base == f"https://{host}/personal-demographics/FHIR/R4"
    assert endpoints.token_url == f"https://{host}/oauth2/token"
    assert endpoints.gp_base == f"https://{host}/gp-connect/FHIR/R4"


def test_unknown_environment_lists_valid(nhs_config: Config) -> None:
    with pytest.raises(ConfigurationError, match="'staging' is invalid") as raised:
        NHSInterface(nhs_config(environment="staging"))

    assert "sandbox, integration, production" in str(raised.value)


def test_base_url_moves_other_endpoints(nhs_config: Config) -> None:
    config = nhs_config(base_url="http://127.0.0.1:8123/personal-demographics/FHIR/R4/")

    endpoints = NHSInterface(config).endpoints

    assert endpoints.pds_base == "http://127.0.0.1:8123/personal-demographics/FHIR/R4"
    assert endpoints.token_url == "http://127.0.0.1:8123/oauth2/token"
    assert endpoints.gp_base == "http://127.0.0.1:8123/gp-connect/FHIR/R4"


def test_spine_endpoint_overrides_gp_base(nhs_config: Config) -> None:
    config = nhs_config(
        spine_endpoint="https://spine.example.org/gpc/",
        token_url="https://auth.example.org/t",
    )

    endpoints = NHSInterface(config).endpoints

    assert endpoints.gp_base == "https://spine.example.org/gpc"
    assert endpoints.token_url == "https://auth.example.org/t"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("base_url", "http://pds.example.org/FHIR", "plain http"),
        ("token_url", "ftp://example.org/token", "absolute https URL"),
        ("spine_endpoint", "https://example.org/gp?x=1", "query or fragment"),
        ("ods_code", "rx1", "ods_code 'rx1' is invalid"),
        ("access_mode", "superuser", "access_mode 'superuser' is invalid"),
        ("transport", object(), "must be an httpx.AsyncBaseTransport"),
        ("timeout", "soon", "timeout 'soon' is invalid"),
    ],
)
def test_bad_config_rejected(
    key: str, value: Any, fragment: str, nhs_config: Config
) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        NHSInterface(nhs_config(**{key: value}))


def test_api_key_required(nhs_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NHS_API_KEY", raising=False)
    config = nhs_config()
    del config["api_key"]

    with pytest.raises(ConfigurationError, match="NHS_API_KEY"):
        NHSInterface(config)


def test_key_id_required_with_key(
    nhs_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NHS_KEY_ID", raising=False)
    config = nhs_config()
    del config["key_id"]

    with pytest.raises(ConfigurationError, match="'key_id'"):
        NHSInterface(config)


@pytest.mark.asyncio
async def test_settings_from_environment(
    nhs_config: Config,
    nhs_private_key_path: Path,
    nhs_recorder: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NHS_API_KEY", API_KEY)
    monkeypatch.setenv("NHS_PRIVATE_KEY_PATH", str(nhs_private_key_path))
    monkeypatch.setenv("NHS_KEY_ID", "test-key-1")
    config = nhs_config(transport=nhs_recorder)
    for key in ("api_key", "private_key_path", "key_id"):
        del config[key]

    async with NHSInterface(config) as nhs:
        await nhs.get_patient_record("9000000009", "demographics")

    assert nhs_recorder.requests[1].headers["Authorization"].startswith("Bearer ")


def test_repr_hides_config(nhs_config: Config) -> None:
    assert repr(NHSInterface(nhs_config())) == "<NHSInterface provider='nhs'>"
