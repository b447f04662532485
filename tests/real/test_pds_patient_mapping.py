"""patient_from_fhir on every Patient that NHS Digital publishes for PDS retrieval.

The inputs are the Patient examples of the PDS specification and the Patient
read stubs of its Karate tests. Each canonical field is compared with the
value read straight from the JSON, so a field the mapping drops or changes
fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    Address,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.adapters.nhs.fhir import ODS_SYSTEM
from carecert.adapters.nhs.mapping import patient_from_fhir

from ..realdata import PDS_EXAMPLES, require_real
from .conftest import load_json, patient_read_files

PATIENT_FILES = patient_read_files()

# HL7 v3 Confidentiality codes that withhold data. PDS sends R for a
# restricted patient, and its schema also allows V (very restricted).
RESTRICTED_CODES = {"R", "V"}

# The canonical fields this file compares. A field added to the model fails
# test_checks_cover_every_model_field until the comparison covers it too.
CHECKED_FIELDS = {
    Patient: {
        "id",
        "identifiers",
        "names",
        "gender",
        "birth_date",
        "deceased_at",
        "addresses",
        "telecom",
        "general_practitioner",
        "restricted",
    },
    HumanName: {
        "use",
        "family",
        "given",
        "prefix",
        "suffix",
        "period_start",
        "period_end",
    },
    Address: {"use", "line", "city", "district", "state", "postal_code", "country"},
    ContactPoint: {"system", "value", "use"},
    Identifier: {"system", "value"},
}


# Expected values, read from the JSON without the mapping code.


def expected_date(text: str | None) -> date | None:
    """Return a full FHIR date, or None for an absent or partial one.

    PDS documents that a few records carry only ``yyyy`` or ``yyyy-mm``, and
    the canonical model holds only whole dates.
    """
    if text is None or len(text) < len("yyyy-mm-dd"):
        return None
    return date.fromisoformat(text[:10])


def expected_instant(text: str | None) -> datetime | None:
    """Return a FHIR dateTime as an aware datetime, reading a missing offset as UTC."""
    if text is None:
        return None
    if len(text) == len("yyyy-mm-dd"):
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expected_name(element: dict[str, Any]) -> HumanName:
    period = element.get("period", {})
    return HumanName(
        use=element.get("use"),
        family=element.get("family"),
        given=tuple(element.get("given", [])),
        prefix=tuple(element.get("prefix", [])),
        suffix=tuple(element.get("suffix", [])),
        period_start=expected_date(period.get("start")),
        period_end=expected_date(period.get("end")),
    )


def expected_address(element: dict[str, Any]) -> Address:
    return Address(
        use=element.get("use"),
        line=tuple(element.get("line", [])),
        city=element.get("city"),
        district=element.get("district"),
        state=element.get("state"),
        postal_code=element.get("postalCode"),
        country=element.get("country"),
    )


def expected_contact_point(element: dict[str, Any]) -> ContactPoint:
    return ContactPoint(
        system=element["system"], value=element["value"], use=element.get("use")
    )


def expected_practice(resource: dict[str, Any]) -> Identifier | None:
    practices = resource.get("generalPractitioner", [])
    if not practices:
        return None
    identifier = practices[0]["identifier"]
    return Identifier(
        system=identifier.get("system", ODS_SYSTEM), value=identifier["value"]
    )


def assert_lossless(resource: dict[str, Any], patient: Patient) -> None:
    """Assert each canonical Patient field equals the value in ``resource``."""
    assert patient.id == resource["id"]
    assert patient.identifiers == tuple(
        Identifier(system=item.get("system", NHS_NUMBER_SYSTEM), value=item["value"])
        for item in resource["identifier"]
    )
    assert patient.identifier_value(NHS_NUMBER_SYSTEM) == resource["id"]

    names = resource.get("name", [])
    assert len(patient.names) == len(names)
    for index, element in enumerate(names):
        assert patient.names[index] == expected_name(element), f"name[{index}]"

    assert patient.gender == resource.get("gender")
    assert patient.birth_date == expected_date(resource.get("birthDate"))
    assert patient.deceased_at == expected_instant(resource.get("deceasedDateTime"))

    addresses = resource.get("address", [])
    assert len(patient.addresses) == len(addresses)
    for index, element in enumerate(addresses):
        assert patient.addresses[index] == expected_address(element), (
            f"address[{index}]"
        )

    telecom = resource.get("telecom", [])
    assert len(patient.telecom) == len(telecom)
    for index, element in enumerate(telecom):
        assert patient.telecom[index] == expected_contact_point(element), (
            f"telecom[{index}]"
        )

    assert patient.general_practitioner == expected_practice(resource)

    codes = {label["code"] for label in resource.get("meta", {}).get("security", [])}
    assert patient.restricted is bool(codes & RESTRICTED_CODES)


# Tests


@pytest.mark.parametrize("path", PATIENT_FILES)
def test_published_patient_maps_losslessly(path: Path) -> None:
    resource = load_json(path)

    assert resource["resourceType"] == "Patient"
    assert_lossless(resource, patient_from_fhir(resource))


def test_restricted_published_patient_maps() -> None:
    """The only published restricted Patient is in a search example."""
    bundle = load_json(require_real(f"{PDS_EXAMPLES}/Sensitive_PatientSearch.json"))
    resource = bundle["entry"][0]["resource"]

    patient = patient_from_fhir(resource)

    assert_lossless(resource, patient)
    assert patient.restricted is True
    assert patient.addresses == ()
    assert patient.telecom == ()
    assert patient.general_practitioner is None


@pytest.mark.parametrize("model", list(CHECKED_FIELDS), ids=lambda m: m.__name__)
def test_checks_cover_every_model_field(model: type[Any]) -> None:
    assert set(model.model_fields) == CHECKED_FIELDS[model]
