"""Read a KBV e-prescription Bundle (FHIR R4 document) into a Prescription.

References are resolved by ``fullUrl`` (``urn:uuid:...`` or a full URL) and
by ``Type/id``, because the KBV examples use both.

A patient KVNR that fails its check digit is kept and flagged with
``patient_identifier_valid=False``, because gematik's own examples use such
placeholders (``X234567890``). Pass ``require_valid_kvnr=True`` to raise
InvalidIdentifierError instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from carecert.adapters.gkv.fhir_r4b import KbvBundleError
from carecert.adapters.gkv.kbv_systems import (
    LANR_SYSTEM,
    PACKAGING_SIZE_URL,
    PRESCRIPTION_ID_SYSTEM,
)
from carecert.adapters.identifiers.kvnr import (
    KVNR_SYSTEM,
    is_valid_kvnr,
    validate_kvnr,
)
from carecert.adapters.models import Coding, Identifier, Prescription, Quantity

__all__ = ["parse_kbv_bundle"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_kbv_bundle(
    bundle: Mapping[str, Any], *, require_valid_kvnr: bool = False
) -> Prescription:
    """Read the prescription of a KBV Bundle.

    Raises KbvBundleError naming the resource and JSON path of a missing or
    malformed field.
    """
    bundle = _require_object(bundle, "Bundle", "$")
    if bundle.get("resourceType") != "Bundle":
        raise KbvBundleError("Bundle", "resourceType", "expected 'Bundle'")
    if bundle.get("type") != "document":
        raise KbvBundleError("Bundle", "type", "expected 'document'")
    resources = _index(bundle)
    first = _get(bundle["entry"][0], "resource", "resourceType")
    if first != "Composition":
        raise KbvBundleError(
            "Bundle",
            "entry[0].resource",
            "expected a Composition, which a document Bundle lists first",
        )
    requests = [
        r for r in resources.values() if r["resourceType"] == "MedicationRequest"
    ]
    # Each resource is indexed under two keys, so count distinct objects.
    requests = list({id(r): r for r in requests}.values())
    if len(requests) != 1:
        raise KbvBundleError(
            "Bundle",
            "entry",
            f"expected one MedicationRequest, found {len(requests)}",
        )
    request = requests[0]

    patient = _resolve(resources, request, "subject", "Patient")
    kvnr = _kvnr(patient)
    valid = is_valid_kvnr(kvnr)
    if require_valid_kvnr and not valid:
        validate_kvnr(kvnr)
    medication = _resolve(resources, request, "medicationReference", "Medication")
    practitioner = _resolve(resources, request, "requester", "Practitioner")
    package_size, package_unit = _package(medication)

    return Prescription(
        id=_optional_str(bundle.get("id"), "Bundle", "id"),
        prescription_id=_prescription_id(bundle),
        patient=Identifier(system=KVNR_SYSTEM, value=kvnr),
        patient_identifier_valid=valid,
        medication=_medication_coding(medication),
        medication_text=_optional_str(
            _get(medication, "code", "text"), "Medication", "code.text"
        ),
        dosage=_dosage(request),
        quantity=_quantity(request),
        package_size=package_size,
        package_unit=package_unit,
        authored_on=_date(request.get("authoredOn"), "MedicationRequest", "authoredOn"),
        prescriber=_prescriber(practitioner),
    )


def _index(bundle: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise KbvBundleError("Bundle", "entry", "expected a non-empty array")
    index: dict[str, Mapping[str, Any]] = {}
    for position, entry in enumerate(entries):
        path = f"entry[{position}]"
        entry = _require_object(entry, "Bundle", path)
        resource = _require_object(entry.get("resource"), "Bundle", f"{path}.resource")
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            raise KbvBundleError("Bundle", f"{path}.resource.resourceType", "missing")
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str):
            index[full_url] = resource
        if isinstance(resource.get("id"), str):
            index[f"{resource_type}/{resource['id']}"] = resource
    return index


def _resolve(
    index: Mapping[str, Mapping[str, Any]],
    source: Mapping[str, Any],
    key: str,
    resource_type: str,
) -> Mapping[str, Any]:
    where = source["resourceType"]
    reference = _get(source, key, "reference")
    if not isinstance(reference, str) or not reference:
        raise KbvBundleError(where, f"{key}.reference", "missing")
    target = index.get(reference)
    if target is None and "/" in reference:
        # A relative reference can also match the tail of a full URL.
        tail = "/".join(reference.rsplit("/", 2)[-2:])
        target = index.get(tail)
    if target is None:
        raise KbvBundleError(where, f"{key}.reference", "no entry in the Bundle")
    if target.get("resourceType") != resource_type:
        raise KbvBundleError(
            where, f"{key}.reference", f"expected a {resource_type} resource"
        )
    return target


def _kvnr(patient: Mapping[str, Any]) -> str:
    for position, identifier in enumerate(patient.get("identifier") or ()):
        if isinstance(identifier, Mapping) and identifier.get("system") == KVNR_SYSTEM:
            value = identifier.get("value")
            path = f"identifier[{position}].value"
            if not isinstance(value, str) or not value:
                raise KbvBundleError("Patient", path, "expected a non-empty string")
            return value
    raise KbvBundleError("Patient", "identifier", f"no identifier in {KVNR_SYSTEM}")


def _prescriber(practitioner: Mapping[str, Any]) -> Identifier | None:
    # ASV physicians carry no LANR identifier in the KBV examples, so the
    # prescriber can be absent. Any other identifier is used if there is no
    # LANR.
    identifiers = [
        identifier
        for identifier in practitioner.get("identifier") or ()
        if isinstance(identifier, Mapping)
        and isinstance(identifier.get("system"), str)
        and isinstance(identifier.get("value"), str)
        and identifier["value"]
    ]
    identifiers.sort(key=lambda identifier: identifier["system"] != LANR_SYSTEM)
    if not identifiers:
        return None
    return Identifier(system=identifiers[0]["system"], value=identifiers[0]["value"])


def _prescription_id(bundle: Mapping[str, Any]) -> str | None:
    identifier = bundle.get("identifier")
    if not isinstance(identifier, Mapping):
        return None
    if identifier.get("system") != PRESCRIPTION_ID_SYSTEM:
        return None
    return _optional_str(identifier.get("value"), "Bundle", "identifier.value")


def _medication_coding(medication: Mapping[str, Any]) -> Coding | None:
    codings = _get(medication, "code", "coding") or ()
    for position, coding in enumerate(codings):
        if not isinstance(coding, Mapping) or coding.get("code") is None:
            continue
        path = f"code.coding[{position}]"
        return Coding(
            system=_optional_str(coding.get("system"), "Medication", f"{path}.system"),
            code=_require_str(coding.get("code"), "Medication", f"{path}.code"),
            display=_optional_str(
                coding.get("display"), "Medication", f"{path}.display"
            ),
        )
    return None


def _dosage(request: Mapping[str, Any]) -> str | None:
    # Compounding prescriptions put the instruction in patientInstruction.
    instructions = request.get("dosageInstruction") or ()
    if not instructions:
        return None
    first = _require_object(
        instructions[0], "MedicationRequest", "dosageInstruction[0]"
    )
    for key in ("text", "patientInstruction"):
        text = _optional_str(
            first.get(key), "MedicationRequest", f"dosageInstruction[0].{key}"
        )
        if text is not None:
            return text
    return None


def _quantity(request: Mapping[str, Any]) -> Quantity:
    path = "dispenseRequest.quantity"
    quantity = _require_object(
        _get(request, "dispenseRequest", "quantity"), "MedicationRequest", path
    )
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise KbvBundleError("MedicationRequest", f"{path}.value", "expected a number")
    # The unit is the human-readable one where given, else the UCUM code.
    unit = quantity.get("unit") or quantity.get("code")
    return Quantity(
        value=Decimal(str(value)),
        unit=_optional_str(unit, "MedicationRequest", f"{path}.unit"),
    )


def _package(medication: Mapping[str, Any]) -> tuple[str | None, str | None]:
    numerator = _get(medication, "amount", "numerator")
    if not isinstance(numerator, Mapping):
        return None, None
    size: str | None = None
    for extension in numerator.get("extension") or ():
        if (
            isinstance(extension, Mapping)
            and extension.get("url") == PACKAGING_SIZE_URL
        ):
            size = _optional_str(
                extension.get("valueString"), "Medication", "amount.numerator.extension"
            )
    if size is None and isinstance(numerator.get("value"), int | float):
        size = str(numerator["value"])
    unit = _optional_str(numerator.get("unit"), "Medication", "amount.numerator.unit")
    return size, unit


def _date(value: Any, where: str, path: str) -> date:
    text = _require_str(value, where, path)
    if not _DATE.fullmatch(text):
        raise KbvBundleError(where, path, "expected a date such as 2024-05-20")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise KbvBundleError(where, path, "expected a valid calendar date") from error


def _get(element: Mapping[str, Any], *keys: str) -> Any:
    current: Any = element
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _require_object(value: Any, where: str, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise KbvBundleError(where, path, "expected a JSON object")
    return value


def _require_str(value: Any, where: str, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise KbvBundleError(where, path, "expected a non-empty string")
    return value


def _optional_str(value: Any, where: str, path: str) -> str | None:
    if value is None:
        return None
    return _require_str(value, where, path)
