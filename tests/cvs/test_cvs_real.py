"""CVS code tables and patient mapping against published US examples.

The inputs are Synthea's synthetic patient bundles and the US Core examples,
read in place through tests/realdata.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carecert.adapters.cvs.codes import CVX_SYSTEM, NDC_SYSTEM
from carecert.adapters.cvs.mapping import patient_from_wire, patient_to_wire
from carecert.adapters.cvs.patients import patient_from_info
from carecert.adapters.cvs.validation import ndc_11, vaccine_for_cvx

from ..realdata import real_file_params, require_real

SYNTHEA = "synthea/R4/SYNTHEA"
US_CORE_IMMUNIZATION = "us-core/input/examples/imm-1.json"
US_CORE_PATIENTS = ["patient-example.json", "patient-child-example.json"]

# Words that the CVX display text of each declared vaccine kind contains.
DISPLAY_WORDS = {
    "COVID-19": ("covid", "sars-cov-2"),
    "influenza": ("influenza",),
    "shingles": ("zoster",),
    "pneumococcal": ("pneumococcal", "pcv", "ppsv"),
    "Tdap": ("tdap",),
    "hepatitis A": ("hep a",),
    "hepatitis B": ("hep b",),
    "HPV": ("hpv",),
    "meningococcal ACWY": ("meningococcal",),
    "MMR": ("mmr",),
}


def _resources(bundle: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == kind:
            yield resource


def _codings(resource: dict[str, Any], system: str) -> Iterator[dict[str, Any]]:
    for coding in resource.get("vaccineCode", {}).get("coding", []):
        if coding.get("system") == system:
            yield coding


def _immunizations() -> list[dict[str, Any]]:
    found = []
    for param in real_file_params(SYNTHEA):
        path = param.values[0]
        if path.is_file():
            found += _resources(json.loads(path.read_text()), "Immunization")
    found.append(json.loads(require_real(US_CORE_IMMUNIZATION).read_text()))
    return found


def test_cvx_codes_in_examples_classify_by_display() -> None:
    classified = set()
    for immunization in _immunizations():
        for coding in _codings(immunization, CVX_SYSTEM):
            vaccine = vaccine_for_cvx(coding["code"])
            if vaccine is None:
                continue
            display = coding["display"].lower()
            words = DISPLAY_WORDS[vaccine.name]
            assert any(word in display for word in words), (
                f"CVX {coding['code']} ({coding['display']}) is listed under "
                f"{vaccine.name}"
            )
            classified.add(coding["code"])
    # Influenza 140 and 197, hepatitis A 52, hepatitis B 43, MenACWY 114.
    assert {"140", "197", "52", "43", "114"} <= classified


def test_ndc_in_us_core_immunization() -> None:
    immunization = json.loads(require_real(US_CORE_IMMUNIZATION).read_text())
    codes = [coding["code"] for coding in _codings(immunization, NDC_SYSTEM)]
    assert codes == ["49281012188"]
    assert ndc_11(codes[0]) == "49281-0121-88"


def _patient_info(resource: dict[str, Any]) -> dict[str, Any]:
    names = resource["name"]
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0])
    info = {
        "first_name": name["given"][0],
        "last_name": name["family"],
        "dob": resource["birthDate"],
    }
    if len(name["given"]) > 1:
        info["middle_name"] = name["given"][1]
    return info


def _example_patients() -> list[Path]:
    paths = [
        require_real(f"us-core/input/examples/{name}") for name in US_CORE_PATIENTS
    ]
    for param in real_file_params(SYNTHEA):
        paths.append(param.values[0])
    return paths


@pytest.mark.parametrize("index", range(4))
def test_example_patients_map_both_ways(index: int) -> None:
    path = _example_patients()[index]
    if not path.is_file():
        pytest.skip(f"published input not found at {path}")
    document = json.loads(path.read_text())
    resource = (
        next(_resources(document, "Patient"))
        if document.get("resourceType") == "Bundle"
        else document
    )
    info = _patient_info(resource)
    patient = patient_from_info(info)

    wire = patient_to_wire(patient)
    assert wire["firstName"] == info["first_name"]
    assert wire["lastName"] == info["last_name"]
    assert wire["dateOfBirth"] == info["dob"]
    assert patient_from_wire(json.loads(json.dumps(wire))) == patient
