"""GKVInterface against the in-process simulator."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest

from carecert.adapters.compliance import ConsentRegistry
from carecert.adapters.errors import (
    ConfigurationError,
    ConsentRequiredError,
    InvalidIdentifierError,
    ResourceNotFoundError,
)
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.gkv.billing import KVDT_CONTENT_TYPE, default_service_date
from carecert.adapters.gkv.erp import ACCESS_CODE_HEADER
from carecert.adapters.gkv.kbv_parse import parse_kbv_bundle
from carecert.adapters.gkv.kvdt import (
    FIELD_EBM_CODE,
    FIELD_ICD_CODE,
    FIELD_INSURANCE_NUMBER,
    KvdtDataError,
)
from carecert.adapters.gkv.synthetic import (
    ENDED_KVNR,
    PRIVATE_KVNR,
    SAMPLE_KVNR,
    UNKNOWN_KVNR,
)
from carecert.adapters.gkv.testing import (
    SAMPLE_KVDT_DATA,
    SAMPLE_PRESCRIPTION_DATA,
)
from carecert.adapters.gkv.xdt import parse_xdt
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM

from ..support.config import Config
from ..support.recording import RecordingTransport
from ..support.registry import assert_registry_finds

SERVICE_DATE = date(2025, 2, 3)


@pytest.mark.asyncio
async def test_verify_insurance_status_active(gkv_config: Config) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        status = await gkv.verify_insurance_status(SAMPLE_KVNR, "ambulant")

    assert status.kvnr == SAMPLE_KVNR
    assert status.patient.identifier_value(KVNR_SYSTEM) == SAMPLE_KVNR
    assert status.patient.names[0].family == "Musterfrau"
    assert status.insurance_type == "GKV"
    assert status.insurer.value == "109999990"
    assert status.member_status == "1"
    assert status.active
    assert status.covered
    assert status.leistungsart == "ambulant"


@pytest.mark.asyncio
async def test_private_insurance_not_covered_for_gkv_only(
    gkv_config: Config,
) -> None:
    async with GKVInterface(gkv_config(versicherten_status=["GKV"])) as gkv:
        status = await gkv.verify_insurance_status(PRIVATE_KVNR, "ambulant")

    assert status.insurance_type == "PKV"
    assert status.active
    assert not status.covered


@pytest.mark.asyncio
async def test_ended_coverage_not_covered(gkv_config: Config) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        status = await gkv.verify_insurance_status(ENDED_KVNR, "stationaer")

    assert not status.active
    assert status.valid_until == date(2020, 12, 31)
    assert not status.covered


@pytest.mark.asyncio
async def test_unknown_kvnr_raises_not_found(gkv_config: Config) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(ResourceNotFoundError):
            await gkv.verify_insurance_status(UNKNOWN_KVNR, "ambulant")


@pytest.mark.asyncio
@pytest.mark.parametrize("kvnr", ["K220635157", "k220635158", "K22063515", ""])
async def test_invalid_kvnr_sends_nothing(
    kvnr: str, gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(InvalidIdentifierError):
            await gkv.verify_insurance_status(kvnr, "ambulant")
        with pytest.raises(InvalidIdentifierError):
            await gkv.submit_kvdt_data(kvnr, SAMPLE_KVDT_DATA)
        with pytest.raises(InvalidIdentifierError):
            await gkv.create_prescription(kvnr, SAMPLE_PRESCRIPTION_DATA)

    assert gkv_recorder.exchanges == []


@pytest.mark.asyncio
async def test_invalid_leistungsart_sends_nothing(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(ValueError, match="leistungsart"):
            await gkv.verify_insurance_status(SAMPLE_KVNR, "ambulance")

    assert gkv_recorder.exchanges == []


@pytest.mark.asyncio
async def test_consent_refusal_sends_nothing(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    config = gkv_config(consent_registry=ConsentRegistry())
    async with GKVInterface(config) as gkv:
        with pytest.raises(ConsentRequiredError) as refused:
            await gkv.verify_insurance_status(SAMPLE_KVNR, "ambulant")
        with pytest.raises(ConsentRequiredError):
            await gkv.submit_kvdt_data(
                SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=SERVICE_DATE
            )
        with pytest.raises(ConsentRequiredError):
            await gkv.create_prescription(SAMPLE_KVNR, SAMPLE_PRESCRIPTION_DATA)

    assert SAMPLE_KVNR in str(refused.value)
    assert gkv_recorder.exchanges == []


@pytest.mark.asyncio
async def test_kvdt_submission_parses_back(
    gkv_config: Config, gkv_recorder: RecordingTransport, gkv_simulator: Any
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        receipt = await gkv.submit_kvdt_data(
            SAMPLE_KVNR,
            SAMPLE_KVDT_DATA,
            service_date=SERVICE_DATE,
            idempotency_key="key-1",
        )

    ((request, _),) = gkv_recorder.exchanges
    assert request.headers["Content-Type"] == KVDT_CONTENT_TYPE
    assert request.headers["Idempotency-Key"] == "key-1"
    # The physician's name in the practice record is ISO 8859-15, one byte
    # per umlaut.
    assert "Topp-Glücklich".encode("iso8859_15") in request.content
    records = parse_xdt(request.content, encoding="iso8859_15")
    types = [record.record_type for record in records]
    assert types == ["con0", "besa", "rvsa", "adt0", "0101", "adt9", "con9"]
    case = records[4]
    assert case.values(FIELD_INSURANCE_NUMBER) == [SAMPLE_KVNR]
    assert case.values(FIELD_EBM_CODE) == ["03000", "03001"]
    assert case.values(FIELD_ICD_CODE) == ["I10", "E11.9"]
    assert request.content.endswith(b"0138000con9\r\n")
    assert receipt.idempotency_key == "key-1"
    assert receipt.status == "received"
    assert receipt.record_count == 7
    assert receipt.byte_count == len(request.content)
    assert gkv_simulator.state.simulator.submitted_files == [request.content]


@pytest.mark.asyncio
async def test_bad_kvdt_data_sends_nothing(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    bad = {**SAMPLE_KVDT_DATA, "leistungen": ["3000"]}
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(KvdtDataError):
            await gkv.submit_kvdt_data(SAMPLE_KVNR, bad, service_date=SERVICE_DATE)
        with pytest.raises(KvdtDataError):
            await gkv.submit_kvdt_data(
                SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=date(2025, 4, 1)
            )

    assert gkv_recorder.exchanges == []


@pytest.mark.asyncio
async def test_same_idempotency_key_bills_once(
    gkv_config: Config, gkv_simulator: Any
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        first = await gkv.submit_kvdt_data(
            SAMPLE_KVNR,
            SAMPLE_KVDT_DATA,
            service_date=SERVICE_DATE,
            idempotency_key="k",
        )
        second = await gkv.submit_kvdt_data(
            SAMPLE_KVNR,
            SAMPLE_KVDT_DATA,
            service_date=SERVICE_DATE,
            idempotency_key="k",
        )

    assert first == second
    assert len(gkv_simulator.state.simulator.submissions) == 1


def test_default_service_date() -> None:
    data = {"abrechnungsquartal": "1/2025"}
    assert default_service_date(data, date(2025, 2, 10)) == date(2025, 2, 10)
    assert default_service_date(data, date(2025, 5, 10)) == date(2025, 3, 31)
    later = {"abrechnungsquartal": "2/2024"}
    assert default_service_date(later, date(2025, 1, 1)) == date(2024, 6, 30)


@pytest.mark.asyncio
async def test_create_prescription_task_flow(
    gkv_config: Config, gkv_recorder: RecordingTransport, gkv_simulator: Any
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        prescription_id = await gkv.create_prescription(
            SAMPLE_KVNR, SAMPLE_PRESCRIPTION_DATA, authored_on=SERVICE_DATE
        )

    assert gkv_recorder.paths() == [
        "/fhir/Coverage",
        "/Task/$create",
        f"/Task/{prescription_id}/$activate",
    ]
    create_request = json.loads(gkv_recorder.exchanges[1][0].content)
    assert create_request["parameter"][0]["valueCoding"]["code"] == "160"
    created = json.loads(gkv_recorder.exchanges[1][1].content)
    assert created["status"] == "draft"
    activate_request, activated = gkv_recorder.exchanges[2]
    assert (
        activate_request.headers[ACCESS_CODE_HEADER]
        == (created["identifier"][1]["value"])
    )
    binary = json.loads(activate_request.content)["parameter"][0]["resource"]
    bundle = json.loads(base64.b64decode(binary["data"]))
    prescription = parse_kbv_bundle(bundle, require_valid_kvnr=True)
    assert prescription.prescription_id == prescription_id
    assert prescription.patient.value == SAMPLE_KVNR
    assert prescription.medication_text == "Metformin 500mg"
    assert json.loads(activated.content)["status"] == "ready"
    task = gkv_simulator.state.simulator.tasks[prescription_id]
    assert task["for"]["identifier"]["value"] == SAMPLE_KVNR


@pytest.mark.asyncio
async def test_prescription_without_coverage_stops_before_task(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(ResourceNotFoundError):
            await gkv.create_prescription(ENDED_KVNR, SAMPLE_PRESCRIPTION_DATA)

    assert gkv_recorder.paths() == ["/fhir/Coverage"]


@pytest.mark.asyncio
async def test_bad_prescription_data_sends_nothing(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        with pytest.raises(ValueError, match="quantity"):
            await gkv.create_prescription(SAMPLE_KVNR, {"medication": "Metformin"})

    assert gkv_recorder.exchanges == []


@pytest.mark.asyncio
async def test_every_call_is_audited(gkv_config: Config, gkv_audit: Any) -> None:
    async with GKVInterface(gkv_config()) as gkv:
        await gkv.verify_insurance_status(SAMPLE_KVNR, "ambulant")
        await gkv.submit_kvdt_data(
            SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=SERVICE_DATE
        )
        await gkv.create_prescription(SAMPLE_KVNR, SAMPLE_PRESCRIPTION_DATA)

    records = gkv_audit.records(provider="gkv")
    assert [r.operation for r in records] == [
        "verify_insurance_status",
        "submit_kvdt_data",
        "create_prescription",
    ]
    assert [r.outcome for r in records] == ["success"] * 3


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("betriebsnummer", "12345678"),
        ("betriebsnummer", None),
        ("telematik_id", "SMC-B-1234"),
        ("telematik_id", ""),
        ("kv_bezirk", "7"),
        ("versicherten_status", ["GKV", "BEIHILFE"]),
        ("api_credentials", {"konnektor_url": "https://konnektor.praxis.de"}),
        ("api_credentials", {"konnektor_url": "http://konnektor", "mandant_id": "M"}),
        ("client_cert", None),
        ("prescriber", {"lanr": "1"}),
    ],
)
def test_bad_config_raises(gkv_config: Config, key: str, value: Any) -> None:
    with pytest.raises(ConfigurationError):
        GKVInterface(gkv_config(**{key: value}))


@pytest.mark.asyncio
async def test_prescription_needs_prescriber(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    async with GKVInterface(gkv_config(prescriber=None, praxis=None)) as gkv:
        with pytest.raises(ConfigurationError, match="prescriber"):
            await gkv.create_prescription(SAMPLE_KVNR, SAMPLE_PRESCRIPTION_DATA)

    assert gkv_recorder.exchanges == []


def test_registry_finds_gkv() -> None:
    assert_registry_finds(
        "gkv",
        GKVInterface,
        countries=["DE"],
        compliance=["SGB V", "gematik"],
        types=["STATUTORY_INSURER"],
    )


def test_info_declares_every_host_in_germany() -> None:
    assert GKVInterface.info.hosts
    for host in GKVInterface.info.hosts:
        assert host.jurisdiction == "DE"
