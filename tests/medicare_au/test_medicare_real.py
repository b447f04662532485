"""The adapter on HL7 Australia's published AU Base and AU Core examples.

The XML examples are read in place. Every IHI, HPI-I, HPI-O, Medicare card
and provider number in them must pass the adapter's checks, except the
published ones whose check character is wrong, which must be rejected.
Every Patient example must map to the canonical Patient, except those with
no identifier at all, which the canonical model cannot hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.patient import Patient as FhirPatient
from lxml import etree

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.medicare_au.codes import (
    HPII_SYSTEM,
    HPIO_SYSTEM,
    IHI_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)
from carecert.adapters.medicare_au.record import (
    HPIO_SCOPED_PREFIX,
    IDENTIFIER_VALIDATORS,
    check_identifier,
    patient_from_fhir,
)
from carecert.adapters.models import Identifier

from ..realdata import real_path, require_real

FHIR_NS = "http://hl7.org/fhir"
EXAMPLE_FOLDERS = ("au-fhir-base/input/examples", "au-fhir-core/input/examples")

KNOWN_BAD = {
    (MEDICARE_PROVIDER_NUMBER_SYSTEM, "1234561A"): "gives B",
}
"""Published identifiers that fail their check, with the expected message part."""


def example_params(pattern: str) -> list[object]:
    params: list[object] = []
    for folder in EXAMPLE_FOLDERS:
        directory = real_path(folder)
        if not directory.is_dir():
            params.append(
                pytest.param(
                    directory,
                    id=f"{folder}-missing",
                    marks=pytest.mark.skip(
                        reason=f"published input not found at {directory}"
                    ),
                )
            )
            continue
        params += [
            pytest.param(path, id=f"{folder.split('/')[0]}-{path.name}")
            for path in sorted(directory.glob(pattern))
        ]
    return params


def identifiers_in(path: Path) -> list[Identifier]:
    tree = etree.parse(str(path))
    found = []
    for element in tree.iter(f"{{{FHIR_NS}}}identifier"):
        system = element.find(f"{{{FHIR_NS}}}system")
        value = element.find(f"{{{FHIR_NS}}}value")
        if system is None or value is None:
            continue
        found.append(Identifier(system=system.get("value"), value=value.get("value")))
    return found


def is_checked(identifier: Identifier) -> bool:
    return identifier.system in IDENTIFIER_VALIDATORS or identifier.system.startswith(
        HPIO_SCOPED_PREFIX
    )


@pytest.mark.parametrize("path", example_params("*.xml"))
def test_example_identifiers_checked(path: Path) -> None:
    for identifier in filter(is_checked, identifiers_in(path)):
        expected_failure = KNOWN_BAD.get((identifier.system, identifier.value))
        if expected_failure is None:
            assert check_identifier(identifier).value == identifier.value.replace(
                " ", ""
            )
        else:
            with pytest.raises(InvalidIdentifierError, match=expected_failure):
                check_identifier(identifier)


def test_examples_cover_every_system() -> None:
    require_real(EXAMPLE_FOLDERS[0])
    require_real(EXAMPLE_FOLDERS[1])
    seen = {
        identifier.system
        for folder in EXAMPLE_FOLDERS
        for path in sorted(real_path(folder).glob("*.xml"))
        for identifier in identifiers_in(path)
    }
    for system in (
        IHI_SYSTEM,
        HPII_SYSTEM,
        HPIO_SYSTEM,
        MEDICARE_NUMBER_SYSTEM,
        MEDICARE_PROVIDER_NUMBER_SYSTEM,
    ):
        assert system in seen, f"no example uses {system}"
    assert any(system.startswith(HPIO_SCOPED_PREFIX) for system in seen)


def test_known_bad_numbers_are_published() -> None:
    require_real(EXAMPLE_FOLDERS[0])
    published = {
        (identifier.system, identifier.value)
        for folder in EXAMPLE_FOLDERS
        for path in sorted(real_path(folder).glob("*.xml"))
        for identifier in identifiers_in(path)
    }
    assert set(KNOWN_BAD) <= published


@pytest.mark.parametrize(
    ("profile", "system"),
    [
        ("au-ihi.xml", IHI_SYSTEM),
        ("au-hpii.xml", HPII_SYSTEM),
        ("au-hpio.xml", HPIO_SYSTEM),
        ("au-medicarecardnumber.xml", MEDICARE_NUMBER_SYSTEM),
    ],
)
def test_system_matches_au_base_profile(profile: str, system: str) -> None:
    path = require_real(f"au-fhir-base/input/resources/{profile}")
    fixed = {
        element.get("value")
        for element in etree.parse(str(path)).iter(f"{{{FHIR_NS}}}fixedUri")
    }
    assert fixed == {system}


@pytest.mark.parametrize("path", example_params("patient-*.xml"))
def test_patient_example_maps(path: Path) -> None:
    resource = json.loads(
        FhirPatient.model_validate_xml(path.read_bytes()).model_dump_json(
            exclude_none=True
        )
    )
    with_ids = [
        item
        for item in resource.get("identifier", [])
        if "system" in item and "value" in item
    ]
    if not with_ids:
        with pytest.raises(MappingError, match="identifier: missing"):
            patient_from_fhir(resource)
        return

    patient = patient_from_fhir(resource)

    assert patient.id == resource["id"]
    assert [i.system for i in patient.identifiers] == [i["system"] for i in with_ids]
    for identifier in patient.identifiers:
        assert check_identifier(identifier) == identifier
    if "birthDate" in resource and len(resource["birthDate"]) == 10:
        assert patient.birth_date is not None
        assert patient.birth_date.isoformat() == resource["birthDate"]
    families = [name.get("family") for name in resource.get("name", [])]
    assert [name.family for name in patient.names] == families
