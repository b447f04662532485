"""E-Rezept Task resources: the $create and $activate Parameters and the Task.

The shapes follow gematik's E-Rezept API examples (GEM_ERP_PR_Task 1.4): the
Task carries the prescription id and the AccessCode as identifiers, the flow
type as the GEM_ERP_EX_PrescriptionType extension and, once activated, the
patient's KVNR in Task.for.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from carecert.adapters.fhir.elements import (
    FHIR_JSON,
    items,
    optional_str,
    parse_instant,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.gkv.models import ErpTask
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM

__all__ = [
    "ACCESS_CODE_HEADER",
    "ACCESS_CODE_SYSTEM",
    "FLOW_TYPE_SYSTEM",
    "MUSTER_16_FLOW_TYPE",
    "PRESCRIPTION_ID_SYSTEM",
    "PRESCRIPTION_TYPE_URL",
    "activate_parameters",
    "bundle_from_activate_parameters",
    "create_parameters",
    "task_from_fhir",
    "workflow_type_of",
]

ERP = "https://gematik.de/fhir/erp"
FLOW_TYPE_SYSTEM = f"{ERP}/CodeSystem/GEM_ERP_CS_FlowType"
PRESCRIPTION_TYPE_URL = f"{ERP}/StructureDefinition/GEM_ERP_EX_PrescriptionType"
PRESCRIPTION_ID_SYSTEM = f"{ERP}/NamingSystem/GEM_ERP_NS_PrescriptionId"
ACCESS_CODE_SYSTEM = f"{ERP}/NamingSystem/GEM_ERP_NS_AccessCode"
MUSTER_16_FLOW_TYPE = "160"
"""Flow type of pharmacy-only medicines on form Muster 16."""

ACCESS_CODE_HEADER = "X-AccessCode"
"""Header that carries the Task's AccessCode on $activate."""
# NOTE: the published gematik OpenAPI files and examples do not show the
# headers of $activate, so this header name is unverified against them.

_TASK_STATUSES = frozenset({"draft", "ready", "in-progress", "completed", "cancelled"})


def create_parameters(flow_type: str = MUSTER_16_FLOW_TYPE) -> dict[str, Any]:
    """Write the Parameters body of POST /Task/$create."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "workflowType",
                "valueCoding": {"system": FLOW_TYPE_SYSTEM, "code": flow_type},
            }
        ],
    }


def activate_parameters(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """Write the Parameters body of POST /Task/{id}/$activate around ``bundle``.

    The KBV Bundle goes base64-encoded in the Binary of the ePrescription
    parameter.
    """
    # NOTE: the E-Rezept service expects a CAdES-enveloping signature of the
    # Bundle, made with the prescriber's HBA (contentType
    # application/pkcs7-mime). carecert does no qualified signing, so it sends
    # the unsigned Bundle as application/fhir+json, which only the simulator
    # accepts.
    data = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode()
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "ePrescription",
                "resource": {
                    "resourceType": "Binary",
                    "contentType": FHIR_JSON,
                    "data": base64.b64encode(data).decode("ascii"),
                },
            }
        ],
    }


def workflow_type_of(parameters: Any) -> str:
    """Return the workflowType code of a $create Parameters body."""
    value = _parameter(parameters, "workflowType")
    coding = require_object(value.get("valueCoding"), "Parameters", "valueCoding")
    if coding.get("system") != FLOW_TYPE_SYSTEM:
        raise ValueError(f"workflowType.system must be {FLOW_TYPE_SYSTEM}")
    return require_str(coding.get("code"), "Parameters", "valueCoding.code")


def bundle_from_activate_parameters(parameters: Any) -> Any:
    """Return the Bundle that an $activate Parameters body carries, decoded."""
    value = _parameter(parameters, "ePrescription")
    binary = require_type(value.get("resource"), "Binary")
    data = require_str(binary.get("data"), "Binary", "data")
    return json.loads(base64.b64decode(data, validate=True))


def task_from_fhir(resource: Any) -> ErpTask:
    """Map a GEM_ERP_PR_Task to an ErpTask."""
    task = require_type(resource, "Task")
    status = require_str(task.get("status"), "Task", "status")
    if status not in _TASK_STATUSES:
        raise ValueError("Task.status is not a status the E-Rezept service uses")
    identifiers: dict[str, str] = {}
    for path, item in items(task, "identifier", "Task"):
        element = require_object(item, "Task", path)
        system = optional_str(element.get("system"), "Task", f"{path}.system")
        if system is not None:
            identifiers[system] = require_str(
                element.get("value"), "Task", f"{path}.value"
            )
    return ErpTask(
        id=require_str(task.get("id"), "Task", "id"),
        status=status,  # type: ignore[arg-type]  # checked against _TASK_STATUSES
        flow_type=_flow_type(task),
        prescription_id=identifiers.get(PRESCRIPTION_ID_SYSTEM),
        access_code=identifiers.get(ACCESS_CODE_SYSTEM),
        kvnr=_kvnr(task),
        authored_on=parse_instant(task.get("authoredOn"), "Task", "authoredOn"),
    )


def _flow_type(task: Mapping[str, Any]) -> str | None:
    for path, item in items(task, "extension", "Task"):
        element = require_object(item, "Task", path)
        if element.get("url") == PRESCRIPTION_TYPE_URL:
            coding = require_object(
                element.get("valueCoding"), "Task", f"{path}.valueCoding"
            )
            return require_str(coding.get("code"), "Task", f"{path}.valueCoding.code")
    return None


def _kvnr(task: Mapping[str, Any]) -> str | None:
    subject = task.get("for")
    if subject is None:
        return None
    identifier = require_object(
        require_object(subject, "Task", "for").get("identifier"),
        "Task",
        "for.identifier",
    )
    if identifier.get("system") != KVNR_SYSTEM:
        return None
    return require_str(identifier.get("value"), "Task", "for.identifier.value")


def _parameter(parameters: Any, name: str) -> Mapping[str, Any]:
    body = require_type(parameters, "Parameters")
    for path, item in items(body, "parameter", "Parameters"):
        element = require_object(item, "Parameters", path)
        if element.get("name") == name:
            return element
    raise ValueError(f"Parameters has no parameter {name!r}")
