"""CVSInterface against the in-process simulator."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from starlette.applications import Starlette

from carecert.adapters.compliance import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
    OneTimeCodeVerifier,
    UserSession,
)
from carecert.adapters.cvs import CVSInterface
from carecert.adapters.cvs.codes import (
    DEMOGRAPHIC_KEY_SYSTEM,
    NDC_SYSTEM,
    PATIENT_ID_SYSTEM,
    STORE_SYSTEM,
)
from carecert.adapters.cvs.interface import IDEMPOTENCY_HEADER
from carecert.adapters.cvs.mapping import rx_identifier
from carecert.adapters.cvs.patients import demographic_key
from carecert.adapters.cvs.synthetic import (
    GUIDE_RX_NUMBER,
    OTHER_STORE,
    SAMPLE_DOB,
    SAMPLE_PATIENT_ID,
    SAMPLE_RX_NUMBER,
)
from carecert.adapters.errors import (
    AuthenticationError,
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    InvalidResponseError,
    ResourceNotFoundError,
    SecondFactorRequiredError,
)
from carecert.adapters.identifiers import NPI_SYSTEM
from carecert.adapters.models import AppointmentStatus, Identifier
from carecert.adapters.models.pharmacy import FillStatus
from carecert.adapters.provider import MfaKind

from ..support.compliance import CONSENT_GRANTED_AT, direct_care_consent
from ..support.config import Config, simulator_state
from ..support.recording import RecordingTransport
from ..support.registry import assert_registry_finds
from .conftest import CLIENT_ID, CLIENT_SECRET, UNKNOWN_RX

GUIDE_PATIENT = {"first_name": "John", "last_name": "Doe", "dob": "1950-01-01"}
SAMPLE_INFO = {
    "first_name": "Marisol",
    "last_name": "Okafor-Lindqvist",
    "dob": "1950-01-01",
    "patient_id": SAMPLE_PATIENT_ID,
}
_SAMPLE_WIRE_PATIENT = {
    "patientId": SAMPLE_PATIENT_ID,
    "firstName": "Marisol",
    "lastName": "Okafor-Lindqvist",
    "dateOfBirth": "1950-01-01",
}
START = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)
END = datetime(2030, 3, 4, 15, 15, tzinfo=UTC)


# check_prescription


@pytest.mark.asyncio
async def test_check_prescription_maps_status(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        status = await cvs.check_prescription(SAMPLE_RX_NUMBER, "1950-01-01")

    assert status.rx_number == SAMPLE_RX_NUMBER
    assert status.status is FillStatus.READY_FOR_PICKUP
    assert status.ncpdp_fill_status is None
    assert status.pharmacy == Identifier(system=STORE_SYSTEM, value="3456")
    assert status.patient == Identifier(
        system=PATIENT_ID_SYSTEM, value=SAMPLE_PATIENT_ID
    )
    assert status.medication is not None
    assert status.medication.system == NDC_SYSTEM
    assert status.medication.code == "99999-0101-30"
    assert status.refills_remaining == 3
    assert status.last_fill_date == date(2026, 11, 2)
    assert status.prescriber is not None
    assert status.prescriber.system == NPI_SYSTEM


@pytest.mark.asyncio
async def test_guide_rx_number_with_prefix(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        status = await cvs.check_prescription("RX123456", date(1950, 1, 1))
    assert status.rx_number == GUIDE_RX_NUMBER
    assert status.status is FillStatus.IN_PROGRESS


@pytest.mark.asyncio
async def test_dispensed_status_has_ncpdp_type(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        status = await cvs.check_prescription("2345678", "1978-08-23")
    assert status.status is FillStatus.DISPENSED
    assert status.ncpdp_fill_status == "Dispensed"


@pytest.mark.asyncio
async def test_wrong_dob_looks_like_unknown_rx(
    cvs_config: Config, cvs_recorder: RecordingTransport
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(ResourceNotFoundError) as wrong_dob:
            await cvs.check_prescription(SAMPLE_RX_NUMBER, "1950-01-02")
        with pytest.raises(ResourceNotFoundError) as unknown_rx:
            await cvs.check_prescription(UNKNOWN_RX, "1950-01-01")

    responses = [response for _, response in cvs_recorder.exchanges[1:]]
    assert [r.status_code for r in responses] == [404, 404]
    assert responses[0].content == responses[1].content
    assert str(wrong_dob.value).replace(SAMPLE_RX_NUMBER, "?") == str(
        unknown_rx.value
    ).replace(UNKNOWN_RX, "?")
    assert "1950-01-02" not in str(wrong_dob.value)


@pytest.mark.asyncio
async def test_rx_of_other_patient_not_found(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(ResourceNotFoundError, match="does not belong"):
            await cvs.check_prescription(
                "2345678", "1978-08-23", patient_id=SAMPLE_PATIENT_ID
            )


@pytest.mark.asyncio
async def test_dob_is_sent_in_body_not_url(
    cvs_config: Config, cvs_recorder: RecordingTransport
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)

    request, _ = cvs_recorder.exchanges[-1]
    assert "1950" not in str(request.url)
    assert json.loads(request.content) == {
        "rxNumber": SAMPLE_RX_NUMBER,
        "dateOfBirth": "1950-01-01",
        "storeNumber": "3456",
    }


@pytest.mark.parametrize(
    ("rx_number", "dob", "error"),
    [
        ("12345", "1950-01-01", InvalidIdentifierError),
        ("1234567890", "1950-01-01", InvalidIdentifierError),
        ("RX12a4567", "1950-01-01", InvalidIdentifierError),
        ("١٢٣٤٥٦٧", "1950-01-01", InvalidIdentifierError),
        (1234567, "1950-01-01", InvalidIdentifierError),
        (SAMPLE_RX_NUMBER, "01/01/1950", ValueError),
        (SAMPLE_RX_NUMBER, "1950-02-30", ValueError),
        (SAMPLE_RX_NUMBER, "2999-01-01", ValueError),
        (SAMPLE_RX_NUMBER, "1850-01-01", ValueError),
        (SAMPLE_RX_NUMBER, datetime(1950, 1, 1, tzinfo=UTC), ValueError),
    ],
)
@pytest.mark.asyncio
async def test_invalid_lookup_sends_nothing(
    cvs_config: Config,
    cvs_recorder: RecordingTransport,
    rx_number: Any,
    dob: Any,
    error: type[Exception],
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(error):
            await cvs.check_prescription(rx_number, dob)
    assert cvs_recorder.exchanges == []


def test_rx_error_names_the_field_and_form() -> None:
    config = {"client_id": "c", "client_secret": "s", "store_number": "3456"}
    cvs = CVSInterface({**config, "audit_store": ":memory:"})
    with pytest.raises(InvalidIdentifierError, match=r"Rx number '12-34'.*6 to 9"):
        asyncio.run(cvs.check_prescription("12-34", "1950-01-01"))


# schedule_vaccination


@pytest.mark.asyncio
async def test_schedule_for_known_patient(
    cvs_config: Config, cvs_recorder: RecordingTransport
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        booked = await cvs.schedule_vaccination(
            SAMPLE_INFO, "COVID-19", "3456", start=START, end=END
        )

    assert booked.patient == Identifier(
        system=PATIENT_ID_SYSTEM, value=SAMPLE_PATIENT_ID
    )
    assert booked.location == Identifier(system=STORE_SYSTEM, value="3456")
    assert booked.appointment_type == "COVID-19"
    assert booked.status is AppointmentStatus.BOOKED
    assert (booked.start, booked.end) == (START, END)
    request, _ = cvs_recorder.exchanges[-1]
    body = json.loads(request.content)
    assert body["vaccine"] == {"type": "COVID-19", "cvxCode": "213"}
    assert request.headers[IDEMPOTENCY_HEADER]


@pytest.mark.asyncio
async def test_guide_patient_gets_a_new_id(
    cvs_config: Config, cvs_simulator: Starlette
) -> None:
    key = demographic_key("John", "Doe", date(1950, 1, 1))
    consent = direct_care_consent([key])
    async with CVSInterface(cvs_config(consent_registry=consent)) as cvs:
        booked = await cvs.schedule_vaccination(GUIDE_PATIENT, "COVID-19", "3456")

    assert key.system == DEMOGRAPHIC_KEY_SYSTEM
    assert booked.patient.system == PATIENT_ID_SYSTEM
    assert booked.patient.value in simulator_state(cvs_simulator).patients
    assert booked.start is not None
    assert booked.end is not None


@pytest.mark.asyncio
async def test_guide_example_with_keywords(cvs_config: Config) -> None:
    consent = direct_care_consent(
        [
            rx_identifier(GUIDE_RX_NUMBER),
            demographic_key("John", "Doe", date(1950, 1, 1)),
        ]
    )
    async with CVSInterface(cvs_config(consent_registry=consent)) as cvs_provider:
        rx_status = await cvs_provider.check_prescription(
            rx_number="RX123456", dob="1950-01-01"
        )
        vaccine_appointment = await cvs_provider.schedule_vaccination(
            patient_info=GUIDE_PATIENT, vaccine_type="COVID-19", store_number="3456"
        )

    assert rx_status.rx_number == GUIDE_RX_NUMBER
    assert vaccine_appointment.appointment_type == "COVID-19"
    assert vaccine_appointment.location.value == "3456"


@pytest.mark.asyncio
async def test_names_in_other_scripts_are_booked(cvs_config: Config) -> None:
    info = {"first_name": "秀英", "last_name": "王", "dob": "1978-08-23"}
    consent = direct_care_consent([demographic_key("秀英", "王", date(1978, 8, 23))])
    async with CVSInterface(cvs_config(consent_registry=consent)) as cvs:
        booked = await cvs.schedule_vaccination(info, "influenza")

    # The simulator matched the synthetic patient by name and birth date.
    assert booked.patient.value == "cvs-p-100002"
    assert booked.location.value == "3456"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("covid", "COVID-19"), ("FLU", "influenza"), ("Zoster", "shingles")],
)
@pytest.mark.asyncio
async def test_vaccine_aliases(cvs_config: Config, given: str, expected: str) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        booked = await cvs.schedule_vaccination(SAMPLE_INFO, given, OTHER_STORE)
    assert booked.appointment_type == expected
    assert booked.location.value == OTHER_STORE


@pytest.mark.parametrize(
    ("patient_info", "vaccine", "store", "message"),
    [
        ({**SAMPLE_INFO, "first_name": " "}, "COVID-19", "3456", "first_name"),
        ({**SAMPLE_INFO, "last_name": None}, "COVID-19", "3456", "last_name"),
        ({**SAMPLE_INFO, "dob": "1950-13-01"}, "COVID-19", "3456", "calendar"),
        ({**SAMPLE_INFO, "ssn": "x"}, "COVID-19", "3456", "unknown keys"),
        ({**SAMPLE_INFO, "email": "no-at-sign"}, "COVID-19", "3456", "email"),
        ({**SAMPLE_INFO, "first_name": "A\u200bna"}, "COVID-19", "3456", "format"),
        ({**SAMPLE_INFO, "gender": "m"}, "COVID-19", "3456", "gender"),
        (SAMPLE_INFO, "smallpox", "3456", "unknown"),
        (SAMPLE_INFO, "COVID-19", "123456", "store_number"),
        (SAMPLE_INFO, "COVID-19", "0", "store_number"),
        ({**SAMPLE_INFO, "patient_id": "bad id!"}, "COVID-19", "3456", "patient id"),
    ],
)
@pytest.mark.asyncio
async def test_invalid_booking_sends_nothing(
    cvs_config: Config,
    cvs_recorder: RecordingTransport,
    patient_info: dict[str, Any],
    vaccine: str,
    store: str,
    message: str,
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(ValueError, match=message):
            await cvs.schedule_vaccination(patient_info, vaccine, store)
    assert cvs_recorder.exchanges == []


@pytest.mark.asyncio
async def test_same_idempotency_key_books_once(
    cvs_config: Config, cvs_simulator: Starlette
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        first = await cvs.schedule_vaccination(
            SAMPLE_INFO, "shingles", idempotency_key="retry-me"
        )
        second = await cvs.schedule_vaccination(
            SAMPLE_INFO, "shingles", idempotency_key="retry-me"
        )
        third = await cvs.schedule_vaccination(SAMPLE_INFO, "shingles")

    assert first == second
    assert third.id != first.id
    assert len(simulator_state(cvs_simulator).appointments) == 2


@pytest.mark.asyncio
async def test_unknown_store_is_not_found(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(ResourceNotFoundError, match="STORE_NOT_FOUND"):
            await cvs.schedule_vaccination(SAMPLE_INFO, "MMR", "99")


@pytest.mark.asyncio
async def test_patient_id_with_other_dob_is_not_found(cvs_config: Config) -> None:
    info = {**SAMPLE_INFO, "dob": "1951-01-01"}
    async with CVSInterface(cvs_config()) as cvs:
        with pytest.raises(ResourceNotFoundError, match="PATIENT_NOT_FOUND"):
            await cvs.schedule_vaccination(info, "MMR")


# Compliance


@pytest.mark.asyncio
async def test_withdrawn_consent_sends_nothing(
    cvs_config: Config, cvs_recorder: RecordingTransport, cvs_audit: Any
) -> None:
    consent = ConsentRegistry()
    for identifier in (
        rx_identifier(SAMPLE_RX_NUMBER),
        Identifier(system=PATIENT_ID_SYSTEM, value=SAMPLE_PATIENT_ID),
    ):
        consent.grant(
            ConsentRecord(
                patient=identifier,
                purpose="direct-care",
                basis=ConsentBasis.EXPLICIT,
                granted_at=CONSENT_GRANTED_AT,
                withdrawn_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
    async with CVSInterface(cvs_config(consent_registry=consent)) as cvs:
        with pytest.raises(ConsentRequiredError):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        with pytest.raises(ConsentRequiredError):
            await cvs.schedule_vaccination(SAMPLE_INFO, "influenza")

    assert cvs_recorder.exchanges == []
    outcomes = [(r.operation, r.outcome) for r in cvs_audit.records(provider="cvs")]
    assert outcomes == [
        ("check_prescription", "denied"),
        ("schedule_vaccination", "denied"),
    ]


@pytest.mark.asyncio
async def test_every_call_is_audited(cvs_config: Config, cvs_audit: Any) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        await cvs.check_prescription(
            SAMPLE_RX_NUMBER, SAMPLE_DOB, patient_id=SAMPLE_PATIENT_ID
        )
        with pytest.raises(ResourceNotFoundError):
            await cvs.check_prescription(UNKNOWN_RX, SAMPLE_DOB)
        await cvs.schedule_vaccination(SAMPLE_INFO, "Tdap")

    audited = [
        (r.operation, r.outcome, r.patient_value)
        for r in cvs_audit.records(provider="cvs")
    ]
    assert audited == [
        ("check_prescription", "success", SAMPLE_RX_NUMBER),
        ("check_prescription", "success", SAMPLE_PATIENT_ID),
        ("check_prescription", "failure", UNKNOWN_RX),
        ("schedule_vaccination", "success", SAMPLE_PATIENT_ID),
    ]


@pytest.mark.asyncio
async def test_user_restricted_needs_email_code(
    cvs_config: Config, cvs_recorder: RecordingTransport
) -> None:
    sent: list[str] = []
    verifier = OneTimeCodeVerifier(MfaKind.EMAIL, lambda user, code: sent.append(code))
    session = UserSession("pharmacist-1")
    async with CVSInterface(cvs_config(access_mode="user-restricted")) as cvs:
        with pytest.raises(SecondFactorRequiredError, match="EMAIL"):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB, session=session)
        assert cvs_recorder.exchanges == []
        verifier.challenge(session)
        assert verifier.verify(session, sent[-1])
        status = await cvs.check_prescription(
            SAMPLE_RX_NUMBER, SAMPLE_DOB, session=session
        )
    assert status.rx_number == SAMPLE_RX_NUMBER


# Auth


@pytest.mark.asyncio
async def test_token_uses_basic_auth_and_api_key(
    cvs_config: Config, cvs_recorder: RecordingTransport
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)

    token_request, _ = cvs_recorder.exchanges[0]
    scheme, _, encoded = token_request.headers["Authorization"].partition(" ")
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    assert scheme == "Basic"
    # RFC 6749 section 2.3.1: form-urlencoded before base64.
    assert secret != CLIENT_SECRET
    assert (unquote(client_id), unquote(secret)) == (CLIENT_ID, CLIENT_SECRET)
    assert b"client_secret" not in token_request.content
    api_request, _ = cvs_recorder.exchanges[1]
    assert api_request.headers["x-api-key"] == CLIENT_ID
    assert api_request.headers["Authorization"].startswith("Bearer ")


@pytest.mark.asyncio
async def test_separate_api_key(cvs_config: Config, cvs_recorder: Any) -> None:
    from carecert.adapters.cvs.simulator import create_app

    app = create_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_key="k-1")
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    async with CVSInterface(cvs_config(transport=transport, api_key="k-1")) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
    async with CVSInterface(cvs_config(transport=transport)) as cvs:
        with pytest.raises(AuthenticationError, match="Check api_key"):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
    rejected = [r for _, r in transport.exchanges if r.status_code == 401]
    assert [json.loads(r.content)["error"]["code"] for r in rejected] == [
        "INVALID_API_KEY",
        "INVALID_API_KEY",
    ]


@pytest.mark.asyncio
async def test_wrong_secret_raises_authentication_error(cvs_config: Config) -> None:
    async with CVSInterface(cvs_config(client_secret="wrong")) as cvs:
        with pytest.raises(AuthenticationError):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)


@pytest.mark.asyncio
async def test_token_requested_once_for_concurrent_calls(
    cvs_config: Config, cvs_simulator: Starlette
) -> None:
    async with CVSInterface(cvs_config()) as cvs:
        await asyncio.gather(
            *(cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB) for _ in range(5))
        )
    assert simulator_state(cvs_simulator).token_requests == 1
    assert simulator_state(cvs_simulator).lookup_requests == 5


@pytest.mark.asyncio
async def test_expired_token_is_replaced(cvs_config: Config) -> None:
    from carecert.adapters.cvs.simulator import create_app

    now = [1_000_000.0]
    app = create_app(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=lambda: now[0]
    )
    transport = httpx.ASGITransport(app=app)
    async with CVSInterface(cvs_config(transport=transport)) as cvs:
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
        # The server expires tokens before the client's cache does.
        simulator_state(app).tokens.clear()
        await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
    assert simulator_state(app).token_requests == 2


# Responses


def _patched_lookup(body: dict[str, Any]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "Bearer", "expires_in": 60},
            )
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


GOOD_STATUS = {
    "rxNumber": SAMPLE_RX_NUMBER,
    "status": "READY_FOR_PICKUP",
    "store": {"storeNumber": "3456"},
    "refillsRemaining": 1,
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rxNumber": "7654321"}, "rxNumber is 7654321"),
        ({"store": {"storeNumber": "1024"}}, "store is 1024"),
        ({"prescriber": {"npi": "1234567890"}}, "prescriber NPI 1234567890 fails"),
        (
            {"store": {"storeNumber": "3456", "npi": "2990000030"}},
            "store NPI 2990000030 fails",
        ),
        ({"drug": {"ndc": "12-34"}}, "NDC '12-34' is invalid"),
        ({"status": "LOST"}, "status: is not a known status code"),
        ({"refillsRemaining": -1}, "refills_remaining"),
    ],
)
@pytest.mark.asyncio
async def test_inconsistent_status_is_rejected(
    cvs_config: Config, changes: dict[str, Any], message: str
) -> None:
    transport = _patched_lookup({**GOOD_STATUS, **changes})
    async with CVSInterface(cvs_config(transport=transport)) as cvs:
        with pytest.raises(InvalidResponseError, match=message):
            await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)


@pytest.mark.asyncio
async def test_ten_digit_ndc_is_normalised(cvs_config: Config) -> None:
    body = {**GOOD_STATUS, "drug": {"ndc": "9999-0101-30", "name": "Test tablet"}}
    async with CVSInterface(cvs_config(transport=_patched_lookup(body))) as cvs:
        status = await cvs.check_prescription(SAMPLE_RX_NUMBER, SAMPLE_DOB)
    assert status.medication is not None
    assert status.medication.code == "09999-0101-30"


def _patched_booking(changes: dict[str, Any]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "Bearer", "expires_in": 60},
            )
        sent = json.loads(request.content)
        booked = {
            "appointmentId": "VAX-1",
            "status": "SCHEDULED",
            "storeNumber": sent["storeNumber"],
            "vaccine": sent["vaccine"],
            "patient": sent["patient"],
            **changes,
        }
        return httpx.Response(201, json=booked)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vaccine": {"type": "MMR", "cvxCode": "03"}}, "is for MMR, not COVID-19"),
        ({"storeNumber": "1024"}, "names store 1024, not 3456"),
        (
            {"patient": {**_SAMPLE_WIRE_PATIENT, "patientId": "cvs-p-9"}},
            "names patient cvs-p-9",
        ),
        (
            {"patient": {**_SAMPLE_WIRE_PATIENT, "dateOfBirth": "1950-01-02"}},
            "another date of birth",
        ),
        ({"status": "LOST"}, "status: is not a known status code"),
    ],
)
@pytest.mark.asyncio
async def test_mismatched_booking_is_rejected(
    cvs_config: Config, changes: dict[str, Any], message: str
) -> None:
    transport = _patched_booking(changes)
    async with CVSInterface(cvs_config(transport=transport)) as cvs:
        with pytest.raises(InvalidResponseError, match=message):
            await cvs.schedule_vaccination(SAMPLE_INFO, "COVID-19")


# Config and registry


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"store_number": None}, "store_number"),
        ({"store_number": "34a6"}, "store_number"),
        ({"client_id": None}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"api_base": "http://api.cvs.com/v2"}, "plain http"),
        ({"api_key": "\n"}, "api_key"),
    ],
)
def test_bad_config_raises(
    cvs_config: Config,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, Any],
    message: str,
) -> None:
    for variable in ("CVS_CLIENT_ID", "CVS_CLIENT_SECRET", "CVS_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigurationError, match=message):
        CVSInterface(cvs_config(**changes))


def test_secrets_from_environment(
    cvs_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CVS_CLIENT_ID", "from-env")
    monkeypatch.setenv("CVS_CLIENT_SECRET", "env-secret")
    cvs = CVSInterface(cvs_config(client_id=None, client_secret=None))
    assert cvs.tokens.client_auth.method == "client_secret_basic"
    assert "env-secret" not in repr(cvs)
    assert "env-secret" not in repr(cvs.tokens)


def test_registry_finds_cvs() -> None:
    registry = assert_registry_finds(
        "cvs",
        CVSInterface,
        countries=["US"],
        compliance=["hipaa"],
        types=["PHARMACY"],
    )
    assert registry.find_by_type("PUBLIC_NATIONAL") == []


def test_builtin_registry_has_cvs() -> None:
    from carecert.adapters.builtin import BUILTIN_PROVIDERS

    assert BUILTIN_PROVIDERS["cvs"] is CVSInterface


def test_info_declares_us_host_and_email_mfa() -> None:
    info = CVSInterface.info
    assert [(h.host, h.jurisdiction) for h in info.hosts] == [("api.cvs.com", "US")]
    assert info.mfa_required
    assert info.mfa_kind is MfaKind.EMAIL
    assert info.regions == ("US",)
    path = info.openapi_path()
    assert path is not None
    assert path.is_file()
