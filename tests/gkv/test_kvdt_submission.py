"""submit_kvdt_data: the posted body is a complete KVDT container file."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carecert.adapters.compliance import ConsentBasis, ConsentRegistry
from carecert.adapters.gkv import GKVInterface
from carecert.adapters.gkv.endpoints import KVDT_PATH
from carecert.adapters.gkv.kvdt import (
    KvdtDataError,
    KvdtDiagnosis,
    KvdtService,
    KvdtServiceDay,
    parse_kvdt,
)
from carecert.adapters.gkv.synthetic import SAMPLE_KVNR
from carecert.adapters.gkv.testing import SAMPLE_KVDT_DATA
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import Identifier

from ..support.compliance import direct_care_consent
from ..support.config import Config
from ..support.recording import RecordingTransport

SERVICE_DATE = date(2025, 2, 3)
CASSETTE = Path(__file__).resolve().parents[2] / "cassettes/gkv/audited_access.json"


def written_consent() -> ConsentRegistry:
    return direct_care_consent(
        [Identifier(system=KVNR_SYSTEM, value=SAMPLE_KVNR)],
        basis=ConsentBasis.WRITTEN,
        evidence_reference="synthetic signed consent form 1",
    )


async def submit(config: dict[str, Any], recorder: RecordingTransport) -> bytes:
    async with GKVInterface(config) as gkv:
        receipt = await gkv.submit_kvdt_data(
            SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=SERVICE_DATE
        )
    ((request, _),) = recorder.exchanges
    assert receipt.record_count == 7
    assert receipt.byte_count == len(request.content)
    return request.content


@pytest.mark.asyncio
async def test_submitted_file_is_container(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    content = await submit(gkv_config(consent_registry=written_consent()), gkv_recorder)
    kvdt = parse_kvdt(content)
    assert kvdt.quarter == (1, 2025)
    assert kvdt.recipient == "17"
    assert kvdt.practice.bsnr == "123456789"
    assert kvdt.practice.name == "Synthetische Hausarztpraxis"
    (physician,) = kvdt.practice.physicians
    assert physician.lanr == "838382202"
    assert physician.name == "Hans Topp-Glücklich"
    assert "Topp-Glücklich".encode("iso8859_15") in content
    (case,) = kvdt.cases
    assert case.kvnr == SAMPLE_KVNR
    assert case.record_type == "0101"
    assert case.service_days == (
        KvdtServiceDay(
            SERVICE_DATE,
            (KvdtService("03000", "838382202"), KvdtService("03001", "838382202")),
        ),
    )
    assert case.diagnoses == (KvdtDiagnosis("I10", "G"), KvdtDiagnosis("E11.9", "G"))
    assert kvdt.created >= SERVICE_DATE


@pytest.mark.asyncio
async def test_file_without_prescriber(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    config = gkv_config(
        consent_registry=written_consent(), prescriber=None, praxis=None
    )
    kvdt = parse_kvdt(await submit(config, gkv_recorder))
    assert kvdt.practice.physicians == ()
    assert kvdt.practice.name == ""
    services = kvdt.cases[0].service_days[0].services
    assert [service.lanr for service in services] == ["", ""]


@pytest.mark.asyncio
async def test_bad_prescriber_lanr_sends_nothing(
    gkv_config: Config, gkv_recorder: RecordingTransport
) -> None:
    config = gkv_config(consent_registry=written_consent())
    config["prescriber"] = {**config["prescriber"], "lanr": "838382302"}
    async with GKVInterface(config) as gkv:
        with pytest.raises(KvdtDataError, match="check digit"):
            await gkv.submit_kvdt_data(
                SAMPLE_KVNR, SAMPLE_KVDT_DATA, service_date=SERVICE_DATE
            )
    assert gkv_recorder.exchanges == []


def test_recorded_submission_is_valid_kvdt() -> None:
    if not CASSETTE.exists():
        pytest.skip(f"no GKV cassette at {CASSETTE}; record the suites first")
    interactions = json.loads(CASSETTE.read_text("utf-8"))["interactions"]
    bodies = [
        interaction["request"]["body"]
        for interaction in interactions
        if interaction["request"]["uri"].endswith(KVDT_PATH)
    ]
    assert len(bodies) == 1
    body = bodies[0]
    content = (
        base64.b64decode(body["base64"])
        if isinstance(body, dict)
        else body.encode("iso8859_15")
    )
    kvdt = parse_kvdt(content)
    assert [case.kvnr for case in kvdt.cases] == [SAMPLE_KVNR]
