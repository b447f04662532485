"""KBV prescription Bundle builder: shape, R4B validity, errors and round trip."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationrequest import MedicationRequest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.gkv.fhir_r4b import KbvBundleError, validate_r4b_bundle
from carecert.adapters.gkv.kbv import (
    PrescriptionDataError,
    build_kbv_bundle,
    parse_kbv_bundle,
    prescription_to_kbv_bundle,
)
from carecert.adapters.gkv.kbv_parties import Insurance, Practice, Prescriber
from carecert.adapters.gkv.kbv_systems import (
    LANR_SYSTEM,
    MEDICATION_TYPE_SYSTEM,
    PZN_SYSTEM,
)
from carecert.adapters.identifiers import KVNR_SYSTEM, kvnr_check_digit
from carecert.adapters.models import (
    Address,
    Coding,
    HumanName,
    Identifier,
    Patient,
    Prescription,
    Quantity,
)

GUIDE_DATA = {
    "medication": "Metformin 500mg",
    "dosage": "2x täglich",
    "quantity": "100 Stück",
}
TIMESTAMP = datetime(2025, 2, 3, 9, 30, tzinfo=UTC)

PATIENT = Patient(
    identifiers=(Identifier(system=KVNR_SYSTEM, value="K220635158"),),
    names=(HumanName(family="Königsstein", given=("Ludger",)),),
    birth_date=date(1935, 6, 22),
    addresses=(Address(line=("Blumenweg",), city="Esens", postal_code="26427"),),
)
PRESCRIBER = Prescriber(
    lanr="123456628",
    name=HumanName(family="Müller", given=("Paul",), prefix=("Dr. med.",)),
    qualification_text="Facharzt für Innere Medizin",
    practice=Practice(bsnr="721111100", name="MVZ Süd", phone="0301234567"),
)
INSURANCE = Insurance(iknr="109719018", name="AOK Nordost")


def build(data: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "patient": PATIENT,
        "prescriber": PRESCRIBER,
        "insurance": INSURANCE,
        "authored_on": date(2025, 2, 3),
        "bundle_id": "0f5d1a3e-8a57-4a1c-9a53-1b7c3d6f0e01",
        "timestamp": TIMESTAMP,
    }
    arguments.update(overrides)
    return build_kbv_bundle(GUIDE_DATA if data is None else data, **arguments)


def resource(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]
    assert len(found) == 1
    return found[0]


def test_guide_example_shape() -> None:
    bundle = build()
    types = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert bundle["type"] == "document"
    assert bundle["meta"]["profile"] == [
        "https://fhir.kbv.de/StructureDefinition/KBV_PR_ERP_Bundle|1.3"
    ]
    assert types == [
        "Composition",
        "MedicationRequest",
        "Medication",
        "Patient",
        "Practitioner",
        "Organization",
        "Coverage",
    ]


def test_guide_example_values() -> None:
    bundle = build()
    patient = resource(bundle, "Patient")
    medication = resource(bundle, "Medication")
    request = resource(bundle, "MedicationRequest")
    assert patient["identifier"][0]["system"] == "http://fhir.de/sid/gkv/kvid-10"
    assert patient["identifier"][0]["value"] == "K220635158"
    assert medication["code"]["text"] == "Metformin 500mg"
    assert medication["code"]["coding"][0]["code"] == "freitext"
    assert medication["amount"]["numerator"]["unit"] == "Stück"
    assert medication["amount"]["numerator"]["extension"][0]["valueString"] == "100"
    assert request["dosageInstruction"][0]["text"] == "2x täglich"
    assert request["dispenseRequest"]["quantity"] == {"value": 1, "unit": "Packung"}
    assert request["authoredOn"] == "2025-02-03"


def test_references_resolve_in_bundle() -> None:
    bundle = build()
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    request = resource(bundle, "MedicationRequest")
    for key in ("subject", "requester", "medicationReference"):
        assert request[key]["reference"] in urls
    assert request["insurance"][0]["reference"] in urls


def test_built_bundle_is_r4b_valid() -> None:
    bundle = build()
    validate_r4b_bundle(bundle)
    assert Bundle.model_validate(bundle).type == "document"
    MedicationRequest.model_validate(resource(bundle, "MedicationRequest"))


def test_build_is_deterministic() -> None:
    assert build() == build()


def test_pzn_medication_profile() -> None:
    bundle = build({**GUIDE_DATA, "pzn": "00814665"})
    medication = resource(bundle, "Medication")
    assert medication["code"]["coding"] == [{"system": PZN_SYSTEM, "code": "00814665"}]
    assert medication["meta"]["profile"][0].endswith("KBV_PR_ERP_Medication_PZN|1.3")


def test_quantity_in_packages() -> None:
    bundle = build({**GUIDE_DATA, "quantity": "2 Packungen"})
    request = resource(bundle, "MedicationRequest")
    assert request["dispenseRequest"]["quantity"]["value"] == 2
    assert "amount" not in resource(bundle, "Medication")


def test_package_size_kept_as_written() -> None:
    bundle = build({**GUIDE_DATA, "quantity": "1,5 l", "packages": 3})
    numerator = resource(bundle, "Medication")["amount"]["numerator"]
    request = resource(bundle, "MedicationRequest")
    assert numerator["extension"][0]["valueString"] == "1,5"
    assert numerator["unit"] == "l"
    assert request["dispenseRequest"]["quantity"]["value"] == 3


def test_guide_example_parses_back() -> None:
    text = json.dumps(build(), ensure_ascii=False)
    prescription = parse_kbv_bundle(json.loads(text))
    assert prescription.patient == Identifier(system=KVNR_SYSTEM, value="K220635158")
    assert prescription.medication_text == "Metformin 500mg"
    assert prescription.dosage == "2x täglich"
    assert prescription.package_size == "100"
    assert prescription.package_unit == "Stück"
    assert prescription.quantity == Quantity(value=Decimal(1), unit="Packung")
    assert prescription.prescriber == Identifier(system=LANR_SYSTEM, value="123456628")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"dosage": "1x", "quantity": "1 Packung"}, "medication"),
        ({"medication": "X", "quantity": "viel"}, "quantity"),
        ({"medication": "X", "quantity": "0 Stück"}, "quantity"),
        ({"medication": "X", "quantity": "1,5 Packungen"}, "quantity"),
        ({"medication": "X", "quantity": "2 Packungen", "packages": 2}, "packages"),
        ({"medication": "X", "quantity": "1 Stück", "pzn": "123"}, "pzn"),
        ({"medication": "X", "quantity": "1 Stück", "packages": 0}, "packages"),
        ({"medication": "X", "quantity": "1 Stück", "dosage": " "}, "dosage"),
    ],
)
def test_bad_prescription_data(data: dict[str, Any], key: str) -> None:
    with pytest.raises(PrescriptionDataError) as caught:
        build(data)
    assert caught.value.key == key
    assert f"prescription_data[{key!r}]" in str(caught.value)


def test_patient_without_kvnr_rejected() -> None:
    patient = PATIENT.model_copy(
        update={"identifiers": (Identifier(system="urn:other", value="1"),)}
    )
    with pytest.raises(InvalidIdentifierError, match="no identifier"):
        build(patient=patient)


def test_patient_with_placeholder_kvnr_rejected() -> None:
    patient = PATIENT.model_copy(
        update={"identifiers": (Identifier(system=KVNR_SYSTEM, value="X123456789"),)}
    )
    with pytest.raises(InvalidIdentifierError, match="X123456789"):
        build(patient=patient)


def test_naive_timestamp_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build(timestamp=datetime(2025, 2, 3, 9, 30))


def test_invalid_r4b_reported_without_value() -> None:
    bundle = build()
    resource(bundle, "Patient")["birthDate"] = "22.06.1935"
    with pytest.raises(KbvBundleError) as caught:
        validate_r4b_bundle(bundle)
    assert "birthDate" in str(caught.value)
    assert "22.06.1935" not in str(caught.value)


def test_prescriber_mismatch_rejected() -> None:
    prescription = parse_kbv_bundle(build())
    other = PRESCRIBER.model_copy(update={"lanr": "999999900"})
    with pytest.raises(ValueError, match="LANR differs"):
        prescription_to_kbv_bundle(
            prescription, patient=PATIENT, prescriber=other, insurance=INSURANCE
        )


@pytest.mark.parametrize(
    ("update", "problem"),
    [
        (
            {"medication": Coding(system=MEDICATION_TYPE_SYSTEM, code="wirkstoff")},
            "not supported",
        ),
        ({"medication": None}, "not supported"),
        ({"medication_text": None}, "needs medication_text"),
    ],
)
def test_unsupported_medication_rejected(update: dict[str, Any], problem: str) -> None:
    prescription = parse_kbv_bundle(build()).model_copy(update=update)
    with pytest.raises(ValueError, match=problem):
        prescription_to_kbv_bundle(
            prescription, patient=PATIENT, prescriber=PRESCRIBER, insurance=INSURANCE
        )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b.update(type="collection"), "Bundle.type"),
        (lambda b: b.update(entry=[]), "Bundle.entry"),
        (lambda b: b["entry"].reverse(), "Bundle.entry[0].resource"),
        (
            lambda b: resource(b, "MedicationRequest").pop("subject"),
            "MedicationRequest.subject.reference: missing",
        ),
        (
            lambda b: resource(b, "MedicationRequest").update(authoredOn="2025-02"),
            "MedicationRequest.authoredOn",
        ),
        (
            lambda b: resource(b, "Patient").pop("identifier"),
            "Patient.identifier",
        ),
        (
            lambda b: resource(b, "MedicationRequest")["medicationReference"].update(
                reference="urn:uuid:missing"
            ),
            "no entry in the Bundle",
        ),
    ],
)
def test_parse_error_names_path(change: Any, problem: str) -> None:
    bundle = build()
    change(bundle)
    with pytest.raises(KbvBundleError, match=re.escape(problem)):
        parse_kbv_bundle(bundle)


# Text with German letters and other characters FHIR strings allow.
TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ äöüÄÖÜß€µ®0123456789-/.,()"),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() == text and text != "")


@st.composite
def kvnrs(draw: st.DrawFn) -> str:
    letter = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    body = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    return f"{letter}{body}{kvnr_check_digit(letter, body)}"


@st.composite
def prescriptions(draw: st.DrawFn) -> Prescription:
    pzn = draw(st.none() | st.text(alphabet="0123456789", min_size=8, max_size=8))
    medication = (
        Coding(system=PZN_SYSTEM, code=pzn)
        if pzn is not None
        else Coding(system=MEDICATION_TYPE_SYSTEM, code="freitext")
    )
    has_package = draw(st.booleans())
    return Prescription(
        id=str(draw(st.uuids())),
        prescription_id=draw(st.none() | st.just("160.000.000.000.000.01")),
        patient=Identifier(system=KVNR_SYSTEM, value=draw(kvnrs())),
        medication=medication,
        medication_text=draw(TEXT),
        dosage=draw(st.none() | TEXT),
        quantity=Quantity(
            value=Decimal(draw(st.integers(min_value=1, max_value=9))), unit="Packung"
        ),
        package_size=str(draw(st.integers(min_value=1, max_value=500)))
        if has_package
        else None,
        package_unit=draw(st.sampled_from(["Stück", "ml", "g"]))
        if has_package
        else None,
        authored_on=draw(
            st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
        ),
        prescriber=Identifier(system=LANR_SYSTEM, value=PRESCRIBER.lanr),
    )


@settings(max_examples=40, deadline=None)
@given(prescriptions())
def test_round_trip_is_identity(prescription: Prescription) -> None:
    patient = PATIENT.model_copy(update={"identifiers": (prescription.patient,)})
    bundle = prescription_to_kbv_bundle(
        prescription,
        patient=patient,
        prescriber=PRESCRIBER,
        insurance=INSURANCE,
        timestamp=TIMESTAMP,
    )
    wire = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    assert parse_kbv_bundle(json.loads(wire)) == prescription
