"""Map canonical prescriptions to and from FHIR R4 MedicationRequest and Bundle.

The canonical ``Prescription`` (carecert.adapters.models) carries what the
German E-Rezept needs too. Its ``package_size`` and ``package_unit`` have no
place in the MedicationRequest that the SAS e-prescription service returns,
so they are not written, and they are None after reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    codeable_concept,
    coding_from_concept,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    parse_date,
    require_object,
    require_type,
)
from carecert.adapters.identifiers import is_valid_nuhsa
from carecert.adapters.models import Coding, Identifier, Prescription, Quantity
from carecert.adapters.sas.codes import NUHSA_SYSTEM, PRESCRIPTION_SYSTEM

__all__ = [
    "prescription_from_fhir",
    "prescription_to_fhir",
    "prescriptions_from_bundle",
    "search_bundle",
]

_WHERE = "MedicationRequest"


def prescription_to_fhir(prescription: Prescription) -> dict[str, Any]:
    """Map a canonical Prescription to an active FHIR R4 MedicationRequest order.

    Raises ValueError if the prescription names no medication, because FHIR
    requires ``medication[x]``.
    """
    if prescription.medication is None and prescription.medication_text is None:
        raise ValueError(
            "the prescription has neither medication nor medication_text; "
            "FHIR MedicationRequest needs one of them."
        )
    resource: dict[str, Any] = {"resourceType": "MedicationRequest"}
    if prescription.id is not None:
        resource["id"] = prescription.id
    if prescription.prescription_id is not None:
        resource["identifier"] = [
            {"system": PRESCRIPTION_SYSTEM, "value": prescription.prescription_id}
        ]
    resource["status"] = "active"
    resource["intent"] = "order"
    medication: dict[str, Any] = {}
    if prescription.medication is not None:
        medication = codeable_concept(prescription.medication)
    if prescription.medication_text is not None:
        medication["text"] = prescription.medication_text
    resource["medicationCodeableConcept"] = medication
    resource["subject"] = {
        "type": "Patient",
        "identifier": identifier_to_fhir(prescription.patient),
    }
    resource["authoredOn"] = prescription.authored_on.isoformat()
    if prescription.prescriber is not None:
        resource["requester"] = {
            "type": "Practitioner",
            "identifier": identifier_to_fhir(prescription.prescriber),
        }
    if prescription.dosage is not None:
        resource["dosageInstruction"] = [{"text": prescription.dosage}]
    quantity: dict[str, Any] = {"value": _json_number(prescription.quantity.value)}
    if prescription.quantity.unit is not None:
        quantity["unit"] = prescription.quantity.unit
    resource["dispenseRequest"] = {"quantity": quantity}
    return resource


def prescription_from_fhir(resource: Any) -> Prescription:
    """Map a FHIR R4 MedicationRequest to the canonical Prescription.

    ``patient_identifier_valid`` is False when the subject is a NUHSA of the
    wrong format, so that a caller can spot a bad record without rejecting it.
    """
    body = require_type(resource, _WHERE)
    subject = require_object(body.get("subject"), _WHERE, "subject")
    patient = identifier_from_fhir(
        subject.get("identifier"), _WHERE, "subject.identifier"
    )
    concept = require_object(
        body.get("medicationCodeableConcept"), _WHERE, "medicationCodeableConcept"
    )
    medication: Coding | None = None
    if concept.get("coding"):
        medication = coding_from_concept(concept, _WHERE, "medicationCodeableConcept")
    text = optional_str(concept.get("text"), _WHERE, "medicationCodeableConcept.text")
    if medication is None and text is None:
        raise MappingError(
            _WHERE, "medicationCodeableConcept", "has neither a coding nor text"
        )
    authored = parse_date(body.get("authoredOn"), _WHERE, "authoredOn")
    if authored is None:
        raise MappingError(_WHERE, "authoredOn", "expected a full date")
    requester = body.get("requester")
    prescriber = None
    if requester is not None:
        requester = require_object(requester, _WHERE, "requester")
        prescriber = identifier_from_fhir(
            requester.get("identifier"), _WHERE, "requester.identifier"
        )
    return Prescription(
        id=optional_str(body.get("id"), _WHERE, "id"),
        prescription_id=_prescription_number(body),
        patient=patient,
        patient_identifier_valid=(
            patient.system != NUHSA_SYSTEM or is_valid_nuhsa(patient.value)
        ),
        medication=medication,
        medication_text=text,
        dosage=_dosage(body),
        quantity=_quantity(body),
        authored_on=authored,
        prescriber=prescriber,
    )


def search_bundle(resources: Iterable[dict[str, Any]], base: str) -> dict[str, Any]:
    """Wrap MedicationRequests in a FHIR searchset Bundle under ``base``."""
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"resource": resource, "search": {"mode": "match"}}
        if "id" in resource:
            entry["fullUrl"] = f"{base}/MedicationRequest/{resource['id']}"
        entries.append(entry)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def prescriptions_from_bundle(bundle: Any, patient: Identifier) -> list[Prescription]:
    """Map the MedicationRequest entries of a searchset Bundle.

    Entries of other types, such as an OperationOutcome with search mode
    ``outcome``, are skipped. Raises MappingError if a MedicationRequest names
    another patient than ``patient``, because the search was for that patient.
    """
    body = require_type(bundle, "Bundle")
    if body.get("type") != "searchset":
        raise MappingError("Bundle", "type", "expected 'searchset'")
    found: list[Prescription] = []
    for path, entry in items(body, "entry", "Bundle"):
        entry = require_object(entry, "Bundle", path)
        resource = require_object(entry.get("resource"), "Bundle", f"{path}.resource")
        if resource.get("resourceType") != _WHERE:
            continue
        prescription = prescription_from_fhir(resource)
        if prescription.patient != patient:
            raise MappingError(
                "Bundle", f"{path}.resource.subject", "names another patient"
            )
        found.append(prescription)
    return found


def _prescription_number(body: Any) -> str | None:
    for path, item in items(body, "identifier", _WHERE):
        identifier = identifier_from_fhir(item, _WHERE, path)
        if identifier.system == PRESCRIPTION_SYSTEM:
            return identifier.value
    return None


def _dosage(body: Any) -> str | None:
    for path, item in items(body, "dosageInstruction", _WHERE):
        dosage = require_object(item, _WHERE, path)
        text = optional_str(dosage.get("text"), _WHERE, f"{path}.text")
        if text is not None:
            return text
    return None


def _quantity(body: Any) -> Quantity:
    dispense = require_object(body.get("dispenseRequest"), _WHERE, "dispenseRequest")
    element = require_object(
        dispense.get("quantity"), _WHERE, "dispenseRequest.quantity"
    )
    value = element.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MappingError(_WHERE, "dispenseRequest.quantity.value", "not a number")
    try:
        # str() first, so that the float 0.1 reads as Decimal("0.1").
        number = Decimal(str(value))
    except InvalidOperation:
        raise MappingError(
            _WHERE, "dispenseRequest.quantity.value", "not a number"
        ) from None
    unit = optional_str(element.get("unit"), _WHERE, "dispenseRequest.quantity.unit")
    return Quantity(value=number, unit=unit)


def _json_number(value: Decimal) -> int | float:
    # JSON has one number type. An integral value is written without a
    # fraction. Others go through float, exact for up to 15 significant digits.
    if value == value.to_integral_value():
        return int(value)
    return float(value)
