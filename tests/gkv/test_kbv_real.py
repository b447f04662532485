"""Every published KBV prescription Bundle (JSON) parses and validates as R4B.

The Bundles are the KBV eRezept 1.3.2 examples in gematik's eRezept-Examples
repository, plus the KBV Bundle (profile 1.1.0) embedded in the API example
response for a single task. Expected values were read from the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.gkv.fhir_r4b import validate_r4b_bundle
from carecert.adapters.gkv.kbv import parse_kbv_bundle
from carecert.adapters.gkv.kbv_systems import (
    LANR_SYSTEM,
    MEDICATION_TYPE_SYSTEM,
    PZN_SYSTEM,
)
from carecert.adapters.identifiers import KVNR_SYSTEM

from ..realdata import real_file_params, require_real

KBV_EXAMPLES = "gematik-erezept-examples/Standalone-Examples/eRezept_KBV/1.3.2/json"
TASK_RESPONSE = (
    "gematik-erezept-examples/API-Examples/2025-01-15/erp_versicherte/"
    "02_response_taskGetSingle.json"
)
EMBEDDED = "02_response_taskGetSingle.json#entry[1]"


@dataclass(frozen=True)
class Expected:
    kvnr: str
    kvnr_valid: bool
    medication_system: str
    medication_code: str
    medication_text: str | None
    dosage: str | None
    packages: int
    package_size: str | None
    package_unit: str | None
    lanr: str | None
    authored_on: date = date(2024, 5, 20)


PZN = PZN_SYSTEM
TYPE = MEDICATION_TYPE_SYSTEM
EXPECTED = {
    "Beispiel_1_PZN.json": Expected(
        "K220635158",
        True,
        PZN,
        "00814665",
        "Januvia® 50 mg 28 Filmtabletten N1",
        None,
        1,
        None,
        None,
        "123456628",
    ),
    "Beispiel_2_PZN.json": Expected(
        "S040464113",
        True,
        PZN,
        "08850519",
        "Olanzapin Heumann 20mg 70 Schmelztbl. N3",
        "1x täglich",
        1,
        "70",
        "Stück",
        "582369858",
    ),
    "Beispiel_3_PKV.json": Expected(
        "P123464113",
        False,
        PZN,
        "03879429",
        "Beloc-Zok® mite 47,5 mg, 30 Retardtabletten N1",
        "1-0-0-0",
        1,
        "30",
        "Stück",
        "999999900",
    ),
    "Beispiel_4_Unfall.json": Expected(
        "S040464113",
        True,
        PZN,
        "02090906",
        "Fucidine® 20mg/g Creme 15g N1",
        "3mal täglich dünn auftragen",
        1,
        "15",
        "g",
        "754236701",
    ),
    "Beispiel_5_ASV.json": Expected(
        "K220635158",
        True,
        PZN,
        "03507952",
        "Novaminsulfon 500 mg Lichtenstein 100 ml Tropf. N3",
        "bei Bedarf, bis zu 4mal täglich je 20-40 Tropfen",
        1,
        "100",
        "ml",
        None,
    ),
    "Beispiel_6_ArztInWeiterbildung.json": Expected(
        "K220635158",
        True,
        PZN,
        "00427833",
        "Viani 50µg/250µg 1 Diskus 60 ED N1",
        None,
        2,
        "1",
        "Diskus",
        "895268385",
    ),
    "Beispiel_16_Wirkstoffverordnung_AaV.json": Expected(
        "K220645122",
        True,
        TYPE,
        "wirkstoff",
        None,
        None,
        1,
        "20",
        "Stück",
        "987654423",
    ),
    "Beispiel_22_Freitextverordnung.json": Expected(
        "S040464113",
        True,
        TYPE,
        "freitext",
        "Metformin 850mg Tabletten N3",
        None,
        1,
        None,
        None,
        "987654423",
    ),
    "Beispiel_23_Rezepturverordnung.json": Expected(
        "K220645122",
        True,
        TYPE,
        "rezeptur",
        None,
        "1–3mal/Tag auf die erkrankten Hautstellen auftragen",
        1,
        "100",
        "ml",
        "123412821",
    ),
    EMBEDDED: Expected(
        "X234567890",
        False,
        TYPE,
        "wirkstoff",
        None,
        None,
        2,
        "2x20",
        "Stk",
        "838382210",
        date(2025, 1, 15),
    ),
}


def load_bundle(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def embedded_bundle() -> dict[str, Any]:
    response = load_bundle(require_real(TASK_RESPONSE))
    bundle = response["entry"][1]["resource"]
    assert bundle["meta"]["profile"][0].startswith(
        "https://fhir.kbv.de/StructureDefinition/KBV_PR_ERP_Bundle|"
    )
    return bundle


def bundles() -> list[Any]:
    params = real_file_params(KBV_EXAMPLES)
    params.append(pytest.param(None, id=EMBEDDED))
    return params


def bundle_for(path: Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        return EMBEDDED, embedded_bundle()
    return path.name, load_bundle(path)


def test_every_example_has_expectations() -> None:
    directory = require_real(KBV_EXAMPLES)
    names = {path.name for path in directory.glob("*.json")}
    assert names == set(EXPECTED) - {EMBEDDED}


@pytest.mark.parametrize("path", bundles())
def test_kbv_example_parses(path: Path | None) -> None:
    name, bundle = bundle_for(path)
    expected = EXPECTED[name]
    prescription = parse_kbv_bundle(bundle)

    assert prescription.id == bundle["id"]
    assert prescription.prescription_id == bundle["identifier"]["value"]
    assert prescription.patient.system == KVNR_SYSTEM
    assert prescription.patient.value == expected.kvnr
    assert prescription.patient_identifier_valid is expected.kvnr_valid
    assert prescription.medication is not None
    assert prescription.medication.system == expected.medication_system
    assert prescription.medication.code == expected.medication_code
    assert prescription.medication_text == expected.medication_text
    assert prescription.dosage == expected.dosage
    assert prescription.quantity.value == Decimal(expected.packages)
    assert prescription.package_size == expected.package_size
    assert prescription.package_unit == expected.package_unit
    assert prescription.authored_on == expected.authored_on
    if expected.lanr is None:
        assert prescription.prescriber is None
    else:
        assert prescription.prescriber is not None
        assert prescription.prescriber.system == LANR_SYSTEM
        assert prescription.prescriber.value == expected.lanr


@pytest.mark.parametrize("path", bundles())
def test_placeholder_kvnr_raises_when_strict(path: Path | None) -> None:
    name, bundle = bundle_for(path)
    if EXPECTED[name].kvnr_valid:
        assert parse_kbv_bundle(
            bundle, require_valid_kvnr=True
        ).patient_identifier_valid
        return
    with pytest.raises(InvalidIdentifierError, match=EXPECTED[name].kvnr):
        parse_kbv_bundle(bundle, require_valid_kvnr=True)


@pytest.mark.parametrize("path", bundles())
def test_kbv_example_validates_r4b(path: Path | None) -> None:
    _, bundle = bundle_for(path)
    validate_r4b_bundle(bundle)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "document"
    assert len(parsed.entry or []) == len(bundle["entry"])
