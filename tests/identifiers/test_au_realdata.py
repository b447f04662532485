"""Australian identifiers in the HL7 AU Base and AU Core XML examples.

Each example's Identifier elements are found by their system URI, and every
IHI, HPI-I, HPI-O, Medicare card number and Medicare provider number among
them is validated. The files are read in place from the published inputs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    HPII_SYSTEM,
    HPIO_SYSTEM,
    IHI_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
    validate_hpii,
    validate_hpio,
    validate_ihi,
    validate_medicare_number,
    validate_medicare_provider_number,
)

from ..realdata import missing_reason, real_file_params

FHIR = "{http://hl7.org/fhir}"

VALIDATORS: dict[str, Callable[[str], str]] = {
    IHI_SYSTEM: validate_ihi,
    HPII_SYSTEM: validate_hpii,
    HPIO_SYSTEM: validate_hpio,
    MEDICARE_NUMBER_SYSTEM: validate_medicare_number,
    MEDICARE_PROVIDER_NUMBER_SYSTEM: validate_medicare_provider_number,
}

# The published values that fail their rule: a placeholder provider number,
# whose check character should be B, in two AU Base PractitionerRole examples.
KNOWN_FAILURES = {(MEDICARE_PROVIDER_NUMBER_SYSTEM, "1234561A")}
KNOWN_FAILURE_FILES = {"practitionerrole-example0.xml", "practitionerrole-example3.xml"}

EXAMPLE_FOLDERS = ("au-fhir-base/input/examples", "au-fhir-core/input/examples")
EXAMPLES = [
    param
    for folder in EXAMPLE_FOLDERS
    for param in real_file_params(folder, pattern="*.xml")
]


def australian_identifiers(path: Path) -> list[tuple[str, str]]:
    """Return (system, value) of every identifier in ``VALIDATORS``'s systems.

    Identifier elements are any element with ``system`` and ``value``
    children, as FHIR XML names the element after its field (identifier,
    or valueIdentifier in an extension).
    """
    found = []
    for element in ET.parse(path).iter():
        system = element.find(f"{FHIR}system")
        value = element.find(f"{FHIR}value")
        if system is None or value is None:
            continue
        system_uri = system.get("value")
        if system_uri in VALIDATORS:
            found.append((system_uri, value.get("value", "")))
    return found


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_identifiers_pass(path: Path) -> None:
    for system, value in australian_identifiers(path):
        if (system, value) in KNOWN_FAILURES:
            continue
        assert VALIDATORS[system](value) == value, (system, value)


def test_known_failures_exactly() -> None:
    paths = _found_examples()
    failures = set()
    for path in paths:
        for system, value in australian_identifiers(path):
            try:
                VALIDATORS[system](value)
            except InvalidIdentifierError as error:
                assert "is A but the weighted sum modulo 11 gives B" in error.reason
                failures.add((path.name, system, value))

    assert failures == {
        (name, system, value)
        for name in KNOWN_FAILURE_FILES
        for system, value in KNOWN_FAILURES
    }


def test_examples_cover_every_system() -> None:
    paths = _found_examples()
    systems = {system for path in paths for system, _ in australian_identifiers(path)}

    assert systems == set(VALIDATORS)


def _found_examples() -> list[Path]:
    missing = [param.values[0] for param in EXAMPLES if param.marks]
    if missing:
        pytest.skip(missing_reason(missing[0]))
    return [param.values[0] for param in EXAMPLES]
