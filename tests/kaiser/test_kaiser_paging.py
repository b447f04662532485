"""Search paging guards and bookings under injected faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from carecert.adapters.errors import InvalidResponseError, ProviderUnavailableError
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.codes import MRN_SYSTEM
from carecert.adapters.kaiser.simulator import create_app
from carecert.adapters.kaiser.synthetic import (
    SAMPLE_MRN,
    SAMPLE_NPI,
    SAMPLE_PATIENT_ID,
)
from carecert.adapters.mock.faults import FaultInjector, FaultKind, FaultPhase
from carecert.adapters.mock.transport import InProcessTransport

from ..support.config import Config
from ..support.faults import RETRYABLE_FAULTS
from .conftest import CLIENT_ID

API = "https://api.kaiserpermanente.org/fhir/R4"
PATIENT = {
    "resourceType": "Patient",
    "id": SAMPLE_PATIENT_ID,
    "identifier": [{"system": MRN_SYSTEM, "value": SAMPLE_MRN}],
}
CONDITION = {
    "resourceType": "Condition",
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
    "subject": {"reference": f"Patient/{SAMPLE_PATIENT_ID}"},
}

PageBuilder = Callable[[httpx.Request], dict[str, Any]]


def searchset(
    *resources: dict[str, Any], next_url: str | None = None
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def serving(condition_page: PageBuilder) -> httpx.MockTransport:
    """Serve a token, the sample Patient and Condition pages from ``condition_page``."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "Bearer", "expires_in": 60},
            )
        if request.url.path.endswith("/Patient"):
            return httpx.Response(200, json=searchset(PATIENT))
        return httpx.Response(200, json=condition_page(request))

    return httpx.MockTransport(handle)


async def read_problems(config: dict[str, Any]) -> Any:
    async with KaiserInterface(config) as kaiser:
        return await kaiser.get_health_record(SAMPLE_MRN, ["problems"])


@pytest.mark.asyncio
async def test_next_link_loop_is_reported(kaiser_config: Config) -> None:
    def page(request: httpx.Request) -> dict[str, Any]:
        # Page 2 links back to page 1.
        offset = request.url.params.get("_offset")
        target = "0" if offset == "2" else "2"
        return searchset(CONDITION, next_url=f"{API}/Condition?_offset={target}")

    with pytest.raises(InvalidResponseError, match="already read, so its paging loops"):
        await read_problems(kaiser_config(transport=serving(page)))


@pytest.mark.asyncio
async def test_page_limit_is_enforced(kaiser_config: Config) -> None:
    requests: list[str] = []

    def page(request: httpx.Request) -> dict[str, Any]:
        requests.append(str(request.url))
        return searchset(CONDITION, next_url=f"{API}/Condition?_offset={len(requests)}")

    config = kaiser_config(transport=serving(page), max_search_pages=4)
    with pytest.raises(InvalidResponseError, match="more than 4 pages") as raised:
        await read_problems(config)

    assert len(requests) == 4
    assert "max_search_pages" in str(raised.value)


@pytest.mark.asyncio
async def test_pages_up_to_limit_are_read(kaiser_config: Config) -> None:
    def page(request: httpx.Request) -> dict[str, Any]:
        offset = int(request.url.params.get("_offset", "0"))
        if offset == 3:
            return searchset(CONDITION)
        return searchset(CONDITION, next_url=f"{API}/Condition?_offset={offset + 1}")

    record = await read_problems(
        kaiser_config(transport=serving(page), max_search_pages=4)
    )

    assert len(record.conditions) == 4


@pytest.mark.asyncio
async def test_relative_next_link_is_followed(kaiser_config: Config) -> None:
    def page(request: httpx.Request) -> dict[str, Any]:
        if request.url.params.get("_offset") == "1":
            return searchset(CONDITION)
        return searchset(CONDITION, next_url="Condition?_offset=1")

    record = await read_problems(kaiser_config(transport=serving(page)))

    assert len(record.conditions) == 2


@pytest.mark.asyncio
async def test_explicit_default_port_is_same_base(kaiser_config: Config) -> None:
    def page(request: httpx.Request) -> dict[str, Any]:
        if request.url.params.get("_offset") == "1":
            return searchset(CONDITION)
        url = "https://api.kaiserpermanente.org:443/fhir/R4/Condition?_offset=1"
        return searchset(CONDITION, next_url=url)

    record = await read_problems(kaiser_config(transport=serving(page)))

    assert len(record.conditions) == 2


@pytest.mark.asyncio
async def test_fhir_media_type_with_charset(kaiser_config: Config) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 60}
            return httpx.Response(200, json=token)
        bundle = searchset(
            PATIENT if request.url.path.endswith("/Patient") else CONDITION
        )
        return httpx.Response(
            200,
            content=json.dumps(bundle).encode(),
            headers={"Content-Type": "application/fhir+json; charset=utf-8"},
        )

    record = await read_problems(kaiser_config(transport=httpx.MockTransport(handle)))

    assert len(record.conditions) == 1


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.test/fhir/R4/Condition?_offset=2",
        "http://api.kaiserpermanente.org/fhir/R4/Condition?_offset=2",
        "https://api.kaiserpermanente.org/other/Condition?_offset=2",
    ],
)
@pytest.mark.asyncio
async def test_next_link_outside_base_is_refused(
    kaiser_config: Config, next_url: str
) -> None:
    sent: list[httpx.URL] = []

    def page(request: httpx.Request) -> dict[str, Any]:
        sent.append(request.url)
        return searchset(CONDITION, next_url=next_url)

    with pytest.raises(InvalidResponseError, match="leaves the configured FHIR base"):
        await read_problems(kaiser_config(transport=serving(page)))

    assert [url.host for url in sent] == ["api.kaiserpermanente.org"]


@pytest.mark.parametrize(
    ("bundle", "text"),
    [
        ({"resourceType": "Bundle", "type": "collection"}, "expected 'searchset'"),
        (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": {"relation": "next"},
            },
            "Bundle.link: expected an array",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next"}],
            },
            r"Bundle.link\[0\].url",
        ),
        (searchset(PATIENT), "expected 'Condition'"),
        (
            searchset({**CONDITION, "subject": {"reference": "Patient/someone-else"}}),
            "names another patient",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [
                    {"relation": "next", "url": f"{API}/Condition?_offset=1"},
                    {"relation": "next", "url": f"{API}/Condition?_offset=2"},
                ],
            },
            "a second link with relation next",
        ),
        ({"resourceType": "OperationOutcome"}, "expected 'Bundle'"),
    ],
)
@pytest.mark.asyncio
async def test_malformed_page_is_reported(
    kaiser_config: Config, bundle: dict[str, Any], text: str
) -> None:
    with pytest.raises(InvalidResponseError, match=text) as raised:
        await read_problems(kaiser_config(transport=serving(lambda request: bundle)))

    assert "Condition search page 1" in str(raised.value)


@pytest.mark.asyncio
async def test_outcome_entries_are_skipped(kaiser_config: Config) -> None:
    bundle = searchset(CONDITION)
    bundle["entry"].append(
        {
            "resource": {"resourceType": "OperationOutcome", "issue": []},
            "search": {"mode": "outcome"},
        }
    )

    record = await read_problems(kaiser_config(transport=serving(lambda r: bundle)))

    assert len(record.conditions) == 1


# Faults


@pytest.mark.asyncio
async def test_bookings_under_faults_are_applied_once(
    kaiser_config: Config, trusted_certificate: bytes
) -> None:
    injector = FaultInjector(rate=0.0, kinds=RETRYABLE_FAULTS, seed=21)
    app = create_app(
        client_id=CLIENT_ID, trusted_certificate=trusted_certificate, faults=injector
    )
    config = kaiser_config(transport=InProcessTransport(app=app), retry_attempts=12)
    bookings = 8
    async with KaiserInterface(config) as kaiser:
        # The token is fetched before faults start, because token requests
        # are not retried.
        await kaiser.get_health_record(SAMPLE_MRN, ["problems"])
        injector.rate = 0.4
        booked = [
            await kaiser.schedule_appointment(
                SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE"
            )
            for _ in range(bookings)
        ]

    simulator = app.state.simulator
    applied_then_lost = [
        fault
        for fault in injector.injected
        if fault.phase is FaultPhase.AFTER and fault.path.endswith("/Appointment")
    ]
    assert applied_then_lost, "the seed injected no fault after a booking"
    assert len(simulator.appointments) == bookings
    assert len({appointment.id for appointment in booked}) == bookings
    assert simulator.booking_requests > bookings


@pytest.mark.asyncio
async def test_resent_booking_after_lost_response(
    kaiser_config: Config, trusted_certificate: bytes
) -> None:
    key = "7d3f9b2e-1a4c-4e8b-b6d0-3c5e7f9a1b2d"
    injector = FaultInjector(
        rate=0.0, kinds=[FaultKind.UNAVAILABLE], phases=[FaultPhase.AFTER], seed=1
    )
    app = create_app(
        client_id=CLIENT_ID, trusted_certificate=trusted_certificate, faults=injector
    )
    config = kaiser_config(transport=InProcessTransport(app=app), retry_attempts=2)
    async with KaiserInterface(config) as kaiser:
        record = await kaiser.get_health_record(SAMPLE_MRN, ["problems"])
        assert record.patient.id == SAMPLE_PATIENT_ID
        injector.rate = 1.0
        with pytest.raises(ProviderUnavailableError):
            await kaiser.schedule_appointment(
                SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE", idempotency_key=key
            )
        injector.rate = 0.0
        booked = await kaiser.schedule_appointment(
            SAMPLE_MRN, "CARDIOLOGY", SAMPLE_NPI, "ROUTINE", idempotency_key=key
        )

    simulator = app.state.simulator
    assert list(simulator.appointments) == [booked.id]
    assert booked.booking_id == f"urn:uuid:{key}"
