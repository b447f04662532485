"""gematik's published E-Rezept API examples parse with carecert's Task mapping.

The files are the 2025-01-15 API examples of gematik's eRezept-Examples
repository. XML examples are read into FHIR R4B models with fhir.resources
and then written as JSON. Expected values were read from the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.task import Task

from carecert.adapters.gkv.erp import (
    FLOW_TYPE_SYSTEM,
    activate_parameters,
    create_parameters,
    task_from_fhir,
    workflow_type_of,
)

from ..realdata import real_file_params, require_real

EXAMPLES = "gematik-erezept-examples/API-Examples/2025-01-15"
ACCESS_CODE = "777bea0e13cc9c42ceec14aec3ddee2263325dc2c6c699db115f58fe423607ea"
EXAMPLE_KVNR = "X123456789"

# file: (id, status, flow type, KVNR). Each of these Tasks carries ACCESS_CODE.
XML_TASKS = {
    "erp_bereitstellen/01_response_taskCreate.xml": (
        "160.000.000.000.000.01",
        "draft",
        "160",
        None,
    ),
    "erp_bereitstellen/05_response_taskActivate.xml": (
        "160.000.000.000.000.01",
        "ready",
        "160",
        EXAMPLE_KVNR,
    ),
    "erp_steuerung_durch_le/02_response_taskCreate169.xml": (
        "169.000.000.000.000.01",
        "draft",
        "169",
        None,
    ),
    "erp_steuerung_durch_le/04_response_taskActivate169.xml": (
        "169.000.000.000.000.01",
        "ready",
        "169",
        EXAMPLE_KVNR,
    ),
}

# file: Task ids in the search Bundle, in order
JSON_BUNDLES = {
    "02_response_taskGetSingle.json": ["160.000.000.000.000.01"],
    "01_response_taskGetAll.json": [
        "160.000.000.000.000.01",
        "160.000.000.000.000.02",
        "160.000.000.000.000.03",
    ],
}


def _xml_as_json(model: Any, path: Path) -> dict[str, Any]:
    return json.loads(model.model_validate_xml(path.read_bytes()).model_dump_json())


@pytest.mark.parametrize("name", list(XML_TASKS))
def test_task_response_xml_maps(name: str) -> None:
    path = require_real(f"{EXAMPLES}/{name}")
    task_id, status, flow_type, kvnr = XML_TASKS[name]

    task = task_from_fhir(_xml_as_json(Task, path))

    assert task.id == task_id
    assert task.prescription_id == task_id
    assert task.status == status
    assert task.flow_type == flow_type
    assert task.access_code == ACCESS_CODE
    assert task.kvnr == kvnr


@pytest.mark.parametrize(
    "path",
    real_file_params(f"{EXAMPLES}/erp_versicherte", names=list(JSON_BUNDLES)),
)
def test_task_bundle_json_maps(path: Path) -> None:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    tasks = [
        task_from_fhir(entry["resource"])
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Task"
    ]

    assert [task.id for task in tasks] == JSON_BUNDLES[path.name]
    for task in tasks:
        assert task.status == "ready"
        assert task.flow_type == "160"
        assert task.prescription_id == task.id
        assert task.access_code is not None
        assert task.kvnr == EXAMPLE_KVNR


def test_create_request_matches_example() -> None:
    path = require_real(
        f"{EXAMPLES}/erp_steuerung_durch_le/01_request_taskCreate169.xml"
    )
    example = _xml_as_json(Parameters, path)

    assert workflow_type_of(example) == "169"
    ours = create_parameters("169")
    assert workflow_type_of(ours) == "169"
    assert [p["name"] for p in ours["parameter"]] == [
        p["name"] for p in example["parameter"]
    ]
    assert example["parameter"][0]["valueCoding"]["system"] == FLOW_TYPE_SYSTEM


def test_activate_request_matches_example() -> None:
    path = require_real(
        f"{EXAMPLES}/erp_steuerung_durch_le/03_request_taskActivate169.xml"
    )
    example = _xml_as_json(Parameters, path)
    ours = activate_parameters({"resourceType": "Bundle", "type": "document"})

    assert [p["name"] for p in ours["parameter"]] == [
        p["name"] for p in example["parameter"]
    ]
    example_binary = example["parameter"][0]["resource"]
    our_binary = ours["parameter"][0]["resource"]
    assert example_binary["resourceType"] == our_binary["resourceType"] == "Binary"
    assert set(example_binary) >= {"contentType", "data"}
    assert set(our_binary) >= {"contentType", "data"}
    # The example carries the signed Bundle, but carecert sends it unsigned.
    assert example_binary["contentType"] == "application/pkcs7-mime"
    assert our_binary["contentType"] == "application/fhir+json"
