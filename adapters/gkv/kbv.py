"""Build KBV e-prescription Bundles (KBV_PR_ERP_Bundle 1.3, FHIR R4).

The Bundle has the shape of the KBV eRezept 1.3.2 examples: a document with a
Composition, MedicationRequest, Medication (PZN or free text), Patient with
the KVNR, Practitioner, Organization and Coverage. Every built Bundle is
validated with the FHIR R4B models of fhir.resources before it is returned.
``parse_kbv_bundle`` in ``kbv_parse`` reads such a Bundle back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.gkv.fhir_r4b import validate_r4b_bundle
from carecert.adapters.gkv.kbv_parse import parse_kbv_bundle
from carecert.adapters.gkv.kbv_parties import Insurance, Prescriber
from carecert.adapters.gkv.kbv_resources import (
    composition_resource,
    coverage_resource,
    format_instant,
    medication_request_resource,
    medication_resource,
    organization_resource,
    patient_resource,
    practitioner_resource,
)
from carecert.adapters.gkv.kbv_systems import (
    KBV,
    LANR_SYSTEM,
    MEDICATION_TYPE_SYSTEM,
    PACKAGE_UNIT,
    PRESCRIPTION_ID_SYSTEM,
    PZN_SYSTEM,
)
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM, validate_kvnr
from carecert.adapters.models import (
    Coding,
    Identifier,
    Patient,
    Prescription,
    Quantity,
)

__all__ = [
    "PrescriptionDataError",
    "build_kbv_bundle",
    "parse_kbv_bundle",
    "prescription_from_data",
    "prescription_to_kbv_bundle",
]

_AMOUNT = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?)\s*(\S.*?)\s*")
_PZN = re.compile(r"[0-9]{8}")
_PACKAGE_UNITS = frozenset({"Packung", "Packungen", "{Package}"})
# Namespace for resource ids derived from the Bundle id, so that building the
# same prescription twice gives the same Bundle.
_ID_NAMESPACE = uuid.UUID("6f1f2a4e-2d1b-4c55-9d2e-6b4c0b7c9a10")


class PrescriptionDataError(ValueError):
    """A prescription_data value is missing or invalid."""

    def __init__(self, key: str, value: Any, rule: str) -> None:
        self.key = key
        self.value = value
        self.rule = rule
        super().__init__(f"Invalid prescription_data[{key!r}] {value!r}: {rule}.")


def prescription_from_data(
    prescription_data: Mapping[str, Any],
    *,
    patient: Patient,
    prescriber: Prescriber,
    authored_on: date,
    bundle_id: str | None = None,
    prescription_id: str | None = None,
) -> Prescription:
    """Turn the user guide's prescription_data into a canonical Prescription.

    ``prescription_data`` has ``medication`` (text), ``quantity`` (``100
    Stück`` for the package size, or ``2 Packungen``), optional ``dosage``
    (text), ``pzn`` (eight digits) and ``packages`` (count, default 1).
    """
    medication_text = _required_text(prescription_data, "medication")
    pzn = prescription_data.get("pzn")
    if pzn is not None and not (isinstance(pzn, str) and _PZN.fullmatch(pzn)):
        raise PrescriptionDataError("pzn", pzn, "expected eight digits")
    dosage = prescription_data.get("dosage")
    if dosage is not None and (not isinstance(dosage, str) or not dosage.strip()):
        raise PrescriptionDataError("dosage", dosage, "expected non-empty text")
    quantity_text = _required_text(prescription_data, "quantity")
    amount, number_text, unit = _parse_amount(quantity_text)
    packages = prescription_data.get("packages", 1)
    if isinstance(packages, bool) or not isinstance(packages, int) or packages < 1:
        raise PrescriptionDataError("packages", packages, "expected a whole number ≥ 1")

    package_size: str | None = None
    package_unit: str | None = None
    if unit in _PACKAGE_UNITS:
        if "packages" in prescription_data:
            raise PrescriptionDataError(
                "packages",
                packages,
                "the quantity already gives the number of packages, so leave "
                "packages out",
            )
        if amount != amount.to_integral_value():
            raise PrescriptionDataError(
                "quantity",
                quantity_text,
                "a number of packages must be a whole number ≥ 1",
            )
        packages = int(amount)
    else:
        # The size stays as written (``1,5``) because KBV sends it as text.
        package_size, package_unit = number_text, unit

    medication = (
        Coding(system=PZN_SYSTEM, code=pzn)
        if pzn is not None
        else Coding(system=MEDICATION_TYPE_SYSTEM, code="freitext")
    )
    return Prescription(
        id=bundle_id or str(uuid.uuid4()),
        prescription_id=prescription_id,
        patient=Identifier(system=KVNR_SYSTEM, value=_patient_kvnr(patient)),
        medication=medication,
        medication_text=medication_text,
        dosage=dosage,
        quantity=Quantity(value=Decimal(packages), unit=PACKAGE_UNIT),
        package_size=package_size,
        package_unit=package_unit,
        authored_on=authored_on,
        prescriber=Identifier(system=LANR_SYSTEM, value=prescriber.lanr),
    )


def build_kbv_bundle(
    prescription_data: Mapping[str, Any],
    *,
    patient: Patient,
    prescriber: Prescriber,
    insurance: Insurance,
    authored_on: date,
    bundle_id: str | None = None,
    prescription_id: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """Build a validated KBV prescription Bundle from the user guide's inputs."""
    prescription = prescription_from_data(
        prescription_data,
        patient=patient,
        prescriber=prescriber,
        authored_on=authored_on,
        bundle_id=bundle_id,
        prescription_id=prescription_id,
    )
    return prescription_to_kbv_bundle(
        prescription,
        patient=patient,
        prescriber=prescriber,
        insurance=insurance,
        timestamp=timestamp,
    )


def prescription_to_kbv_bundle(
    prescription: Prescription,
    *,
    patient: Patient,
    prescriber: Prescriber,
    insurance: Insurance,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """Write a Prescription as a KBV Bundle and validate it with FHIR R4B.

    ``patient`` must carry the Prescription's KVNR and ``prescriber`` its
    LANR. Raises ValueError where they differ, InvalidIdentifierError for a
    KVNR that fails its check digit, and KbvBundleError if the result is not
    valid FHIR R4B.
    """
    # NOTE: the KBV profiles also need the software's KBV test number (a
    # Device author of the Composition) and the WOP region code of the
    # Coverage. Neither is written, and no KBV profile validator is run.
    kvnr = validate_kvnr(prescription.patient.value)
    if prescription.patient.system != KVNR_SYSTEM or _patient_kvnr(patient) != kvnr:
        raise ValueError("the patient's KVNR differs from the prescription's")
    _check_medication_kind(prescription)
    expected_prescriber = Identifier(system=LANR_SYSTEM, value=prescriber.lanr)
    if prescription.prescriber != expected_prescriber:
        raise ValueError("the prescriber's LANR differs from the prescription's")

    bundle_id = prescription.id or str(uuid.uuid4())
    ids = {
        kind: str(uuid.uuid5(_ID_NAMESPACE, f"{bundle_id}/{kind}"))
        for kind in (
            "Composition",
            "MedicationRequest",
            "Medication",
            "Patient",
            "Practitioner",
            "Organization",
            "Coverage",
        )
    }
    refs = {kind: f"urn:uuid:{value}" for kind, value in ids.items()}
    moment = timestamp or datetime.now(UTC)
    resources = [
        composition_resource(ids, refs, moment),
        medication_request_resource(prescription, ids, refs),
        medication_resource(prescription, ids["Medication"]),
        patient_resource(patient, kvnr, ids["Patient"]),
        practitioner_resource(prescriber, ids["Practitioner"]),
        organization_resource(prescriber, ids["Organization"]),
        coverage_resource(insurance, ids["Coverage"], refs["Patient"]),
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [f"{KBV}/StructureDefinition/KBV_PR_ERP_Bundle|1.3"]},
    }
    if prescription.prescription_id is not None:
        bundle["identifier"] = {
            "system": PRESCRIPTION_ID_SYSTEM,
            "value": prescription.prescription_id,
        }
    bundle["type"] = "document"
    bundle["timestamp"] = format_instant(moment)
    bundle["entry"] = [
        {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        for resource in resources
    ]
    validate_r4b_bundle(bundle)
    return bundle


def _check_medication_kind(prescription: Prescription) -> None:
    medication = prescription.medication
    if medication is not None and medication.system == PZN_SYSTEM:
        return
    is_free_text = medication == Coding(system=MEDICATION_TYPE_SYSTEM, code="freitext")
    if not is_free_text:
        raise ValueError(
            "only PZN and free-text medications can be written. Ingredient "
            "(wirkstoff) and compounding (rezeptur) prescriptions are not supported."
        )
    if prescription.medication_text is None:
        raise ValueError("a free-text medication needs medication_text")


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PrescriptionDataError(key, value, "expected non-empty text")
    return value


def _parse_amount(text: str) -> tuple[Decimal, str, str]:
    """Split ``100 Stück`` into the amount, the number as written and the unit."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise PrescriptionDataError(
            "quantity", text, "expected a number and a unit, as in '100 Stück'"
        )
    try:
        amount = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern rules it out
        raise PrescriptionDataError("quantity", text, "invalid number") from error
    if amount <= 0:
        raise PrescriptionDataError("quantity", text, "expected a positive amount")
    return amount, match.group(1), match.group(2)


def _patient_kvnr(patient: Patient) -> str:
    value = patient.identifier_value(KVNR_SYSTEM)
    if value is None:
        raise InvalidIdentifierError(
            "KVNR", "(none)", f"the patient has no identifier in {KVNR_SYSTEM}"
        )
    return validate_kvnr(value)
