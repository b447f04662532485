"""A GKV simulator: Konnektor Coverage search, KVDT intake and E-Rezept Tasks.

One Starlette app serves every GKV path: ``/fhir/Coverage`` of the
Konnektor, ``/kvdt/submissions`` of the KV billing host, and
``/Task/$create`` and ``/Task/{id}/$activate`` of the E-Rezept service.
Submitted KVDT files must pass the line checks of parse_xdt and the
container checks of kvdt_check. A broken file gets HTTP 400 with an
OperationOutcome whose diagnostics name the line, the field and the fix.
Submissions are de-duplicated on the Idempotency-Key header, and Tasks move
from draft to ready on activation with the right AccessCode.

NOTE: served in process, the simulator cannot see a client certificate, so
it does not check mutual TLS.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.gkv.coverage import coverage_search_bundle
from carecert.adapters.gkv.endpoints import KONNEKTOR_PATH, KVDT_PATH
from carecert.adapters.gkv.erp import (
    ACCESS_CODE_HEADER,
    ACCESS_CODE_SYSTEM,
    FLOW_TYPE_SYSTEM,
    PRESCRIPTION_ID_SYSTEM,
    PRESCRIPTION_TYPE_URL,
    bundle_from_activate_parameters,
    workflow_type_of,
)
from carecert.adapters.gkv.fhir_r4b import KbvBundleError
from carecert.adapters.gkv.interface import IDEMPOTENCY_HEADER
from carecert.adapters.gkv.kbv_parse import parse_kbv_bundle
from carecert.adapters.gkv.kvdt import (
    CASE_RECORD_TYPES,
    KvdtStructureError,
    kvdt_check,
)
from carecert.adapters.gkv.synthetic import SyntheticInsured, synthetic_insured
from carecert.adapters.gkv.xdt import XdtError, parse_xdt
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM, is_valid_kvnr
from carecert.adapters.mock.faults import FaultInjector
from carecert.adapters.mock.idempotency import idempotency_key
from carecert.adapters.mock.responses import fhir_response, outcome_response
from carecert.adapters.mock.simulator_app import build_simulator_app

__all__ = ["SimulatorState", "create_app"]

log = logging.getLogger("carecert.gkv.simulator")

ISSUE_SYSTEM = "urn:carecert:gkv:simulator-error"
SUPPORTED_FLOW_TYPES = frozenset({"160", "169", "200", "209"})
"""Flow types the simulator creates Tasks for: Muster 16 for GKV and PKV,
each also for direct assignment by the prescriber."""


@dataclass
class SimulatorState:
    """State of one simulator instance, which tests read to check traffic."""

    insured: dict[str, SyntheticInsured]
    clock: Callable[[], datetime]
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    submitted_files: list[bytes] = field(default_factory=list)
    submission_requests: int = 0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    bundles: dict[str, Any] = field(default_factory=dict)


def create_app(
    *,
    insured: Mapping[str, SyntheticInsured] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    faults: FaultInjector | None = None,
) -> Starlette:
    """Build the simulator app.

    ``insured`` defaults to synthetic_insured(). ``faults`` wraps every route
    in FaultMiddleware with that injector.
    """
    state = SimulatorState(
        insured=dict(synthetic_insured() if insured is None else insured),
        clock=clock,
    )
    routes = [
        Route(f"{KONNEKTOR_PATH}/Coverage", _coverage, methods=["GET"]),
        Route(KVDT_PATH, _submit, methods=["POST"]),
        Route("/Task/$create", _create_task, methods=["POST"]),
        Route("/Task/{task_id}/$activate", _activate_task, methods=["POST"]),
    ]
    return build_simulator_app(routes, state, faults)


# Konnektor


async def _coverage(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    system, _, kvnr = request.query_params.get("beneficiary:identifier", "").rpartition(
        "|"
    )
    if system != KVNR_SYSTEM or not is_valid_kvnr(kvnr):
        return _outcome(400, "invalid", "BENEFICIARY_IDENTIFIER_INVALID")
    person = state.insured.get(kvnr)
    if person is None:
        return fhir_response(
            {"resourceType": "Bundle", "type": "searchset", "total": 0}
        )
    return fhir_response(
        coverage_search_bundle(
            person.patient,
            person.insurance,
            active=person.active,
            valid_until=person.valid_until,
        )
    )


# KV billing


async def _submit(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    state.submission_requests += 1
    key = idempotency_key(request, IDEMPOTENCY_HEADER)
    if key is None:
        return _outcome(400, "required", "IDEMPOTENCY_KEY_MISSING")
    content_type = request.headers.get("Content-Type", "").replace(" ", "").lower()
    if content_type != "text/plain;charset=iso-8859-15":
        return _outcome(415, "not-supported", "CONTENT_TYPE_NOT_KVDT")
    if key in state.submissions:
        return JSONResponse(state.submissions[key], status_code=200)
    body = await request.body()
    try:
        records = parse_xdt(body, encoding="iso8859_15")
    except XdtError as error:
        return _outcome(400, "structure", "XDT_INVALID", str(error))
    if not any(record.record_type in CASE_RECORD_TYPES for record in records):
        return _outcome(422, "business-rule", "NO_CASE_RECORD")
    try:
        kvdt_check(records, encoding="iso8859_15")
    except KvdtStructureError as error:
        return _outcome(400, "structure", "KVDT_STRUCTURE_INVALID", str(error))
    receipt = {
        "submissionId": f"kvdt-{len(state.submissions) + 1:06d}",
        "status": "received",
        "receivedAt": state.clock().isoformat(),
        "idempotencyKey": key,
        "recordCount": len(records),
        "byteCount": len(body),
    }
    state.submissions[key] = receipt
    state.submitted_files.append(body)
    return JSONResponse(receipt, status_code=201)


# E-Rezept service


async def _create_task(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    try:
        flow_type = workflow_type_of(json.loads(await request.body()))
    except (ValueError, MappingError):
        return _outcome(400, "invalid", "WORKFLOW_TYPE_INVALID")
    if flow_type not in SUPPORTED_FLOW_TYPES:
        return _outcome(400, "not-supported", "WORKFLOW_TYPE_UNSUPPORTED")
    number = len(state.tasks) + 1
    task_id = f"{flow_type}.000.000.000.{number // 100:03d}.{number % 100:02d}"
    task = {
        "resourceType": "Task",
        "id": task_id,
        "meta": {
            "profile": [
                "https://gematik.de/fhir/erp/StructureDefinition/GEM_ERP_PR_Task|1.4"
            ]
        },
        "extension": [
            {
                "url": PRESCRIPTION_TYPE_URL,
                "valueCoding": {"system": FLOW_TYPE_SYSTEM, "code": flow_type},
            }
        ],
        "identifier": [
            {"use": "official", "system": PRESCRIPTION_ID_SYSTEM, "value": task_id},
            {
                "use": "official",
                "system": ACCESS_CODE_SYSTEM,
                "value": secrets.token_hex(32),
            },
        ],
        "status": "draft",
        "intent": "order",
        "authoredOn": state.clock().isoformat(timespec="seconds"),
    }
    state.tasks[task_id] = task
    return fhir_response(task, status_code=201)


async def _activate_task(request: Request) -> Response:
    state: SimulatorState = request.app.state.simulator
    task = state.tasks.get(request.path_params["task_id"])
    if task is None:
        return _outcome(404, "not-found", "TASK_NOT_FOUND")
    access_code = task["identifier"][1]["value"]
    if not secrets.compare_digest(
        request.headers.get(ACCESS_CODE_HEADER, ""), access_code
    ):
        return _outcome(403, "forbidden", "ACCESS_CODE_INVALID")
    if task["status"] != "draft":
        return _outcome(403, "forbidden", "TASK_NOT_DRAFT")
    try:
        bundle = bundle_from_activate_parameters(json.loads(await request.body()))
        prescription = parse_kbv_bundle(bundle, require_valid_kvnr=True)
    except (ValueError, MappingError, KbvBundleError):
        return _outcome(400, "invalid", "EPRESCRIPTION_INVALID")
    if prescription.prescription_id != task["id"]:
        return _outcome(400, "invariant", "PRESCRIPTION_ID_MISMATCH")
    task["status"] = "ready"
    task["for"] = {
        "identifier": {"system": KVNR_SYSTEM, "value": prescription.patient.value}
    }
    state.bundles[task["id"]] = bundle
    return fhir_response(task)


def _outcome(
    status: int, code: str, detail: str, diagnostics: str | None = None
) -> Response:
    return outcome_response(
        status,
        code,
        detail,
        system=ISSUE_SYSTEM,
        logger=log,
        diagnostics=diagnostics,
    )
