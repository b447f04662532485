"""My Health Record exchange: the Parameters request, the Patient and the Bundle.

The request is a FHIR R4 Parameters resource naming the patient by IHI, the
requesting organisation by HPI-O and, where the patient set one, the record
access code. The response is a ``collection`` Bundle containing one AU Base
Patient and the record's Condition, MedicationStatement and
AllergyIntolerance entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.fhir import patient as fhir_patient
from carecert.adapters.fhir.bundle import (
    SUBJECT_ELEMENTS,
    bundle_resources,
    collection_bundle,
)
from carecert.adapters.fhir.clinical import (
    allergy_from_fhir,
    allergy_to_fhir,
    condition_from_fhir,
    condition_to_fhir,
    medication_statement_from_fhir,
    medication_statement_to_fhir,
)
from carecert.adapters.fhir.datatypes import CONFIDENTIALITY_SYSTEM
from carecert.adapters.fhir.elements import (
    MappingError,
    identifier_from_fhir,
    items,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.fhir.patient import PatientProfile
from carecert.adapters.identifiers import (
    validate_hpii,
    validate_hpio,
    validate_ihi,
    validate_medicare_number,
    validate_medicare_provider_number,
)
from carecert.adapters.medicare_au.codes import (
    HPII_SYSTEM,
    HPIO_SYSTEM,
    IHI_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)
from carecert.adapters.models import (
    Identifier,
    Patient,
    PatientRecord,
    RecordType,
)

__all__ = [
    "HPIO_SCOPED_PREFIX",
    "IDENTIFIER_VALIDATORS",
    "RECORD_SECTIONS",
    "RecordRequest",
    "check_identifier",
    "patient_from_fhir",
    "patient_to_fhir",
    "record_bundle",
    "record_from_bundle",
    "record_parameters",
    "record_request_from_parameters",
]

IDENTIFIER_VALIDATORS: Mapping[str, Callable[[str], str]] = {
    IHI_SYSTEM: validate_ihi,
    HPII_SYSTEM: validate_hpii,
    HPIO_SYSTEM: validate_hpio,
    MEDICARE_NUMBER_SYSTEM: validate_medicare_number,
    MEDICARE_PROVIDER_NUMBER_SYSTEM: validate_medicare_provider_number,
}
"""Check-digit validator of each Australian identifier system the adapter reads."""

RECORD_SECTIONS = (
    RecordType.DEMOGRAPHICS,
    RecordType.CONDITIONS,
    RecordType.MEDICATIONS,
    RecordType.ALLERGIES,
)
"""Sections every My Health Record read returns, empty ones included."""


@dataclass(frozen=True)
class RecordRequest:
    """The patient, organisation and access code of a My Health Record read."""

    ihi: str
    hpio: str
    access_code: str | None = None


HPIO_SCOPED_PREFIX = "http://ns.electronichealth.net.au/id/hpio-scoped/"
"""Start of the systems of identifiers an organisation issues, such as MRNs.

The system ends with the issuing organisation's HPI-O, as in
``.../hpio-scoped/medicalrecord/1.0/{HPI-O}``.
"""


def check_identifier(identifier: Identifier) -> Identifier:
    """Return ``identifier`` with its value normalised if its system has a check.

    The HPI-O at the end of an HPI-O-scoped system is checked too. Raises
    InvalidIdentifierError when a check digit fails; identifiers of other
    systems are returned unchanged.
    """
    if identifier.system.startswith(HPIO_SCOPED_PREFIX):
        validate_hpio(identifier.system.rstrip("/").rsplit("/", 1)[-1])
    validator = IDENTIFIER_VALIDATORS.get(identifier.system)
    if validator is None:
        return identifier
    return Identifier(system=identifier.system, value=validator(identifier.value))


# Request


def record_parameters(request: RecordRequest) -> dict[str, Any]:
    """Build the Parameters body of a My Health Record read."""
    parameters: list[dict[str, Any]] = [
        {
            "name": "patient",
            "valueIdentifier": {"system": IHI_SYSTEM, "value": request.ihi},
        },
        {
            "name": "organisation",
            "valueIdentifier": {"system": HPIO_SYSTEM, "value": request.hpio},
        },
    ]
    if request.access_code is not None:
        parameters.append({"name": "accessCode", "valueString": request.access_code})
    return {"resourceType": "Parameters", "parameter": parameters}


def record_request_from_parameters(resource: Any) -> RecordRequest:
    """Read a RecordRequest from its Parameters body.

    Raises MappingError for a missing or unknown parameter, and
    InvalidIdentifierError for an IHI or HPI-O that fails its check.
    """
    where = "Parameters"
    body = require_type(resource, where)
    found: dict[str, Any] = {}
    for path, parameter in items(body, "parameter", where):
        parameter = require_object(parameter, where, path)
        name = require_str(parameter.get("name"), where, f"{path}.name")
        if name in ("patient", "organisation"):
            found[name] = identifier_from_fhir(
                parameter.get("valueIdentifier"), where, f"{path}.valueIdentifier"
            )
        elif name == "accessCode":
            found[name] = require_str(
                parameter.get("valueString"), where, f"{path}.valueString"
            )
        else:
            raise MappingError(
                where,
                f"{path}.name",
                f"unknown parameter {name!r}; known: patient, organisation, accessCode",
            )
    for name, system in (("patient", IHI_SYSTEM), ("organisation", HPIO_SYSTEM)):
        if name not in found:
            raise MappingError(where, "parameter", f"{name} is missing")
        if found[name].system != system:
            raise MappingError(where, "parameter", f"{name} must be in {system}")
    return RecordRequest(
        ihi=validate_ihi(found["patient"].value),
        hpio=validate_hpio(found["organisation"].value),
        access_code=found.get("accessCode"),
    )


# Patient


def _read_identifier(value: Any, path: str) -> Identifier | None:
    # AU Base lets a data-absent-reason extension replace the system or value,
    # and the canonical Identifier needs both, so such identifiers are left out.
    element = require_object(value, "Patient", path)
    if element.get("system") is None or element.get("value") is None:
        return None
    return check_identifier(identifier_from_fhir(element, "Patient", path))


def _restricted_label(restricted: bool) -> list[dict[str, str]] | None:
    if not restricted:
        return None
    return [{"system": CONFIDENTIALITY_SYSTEM, "code": "R"}]


PATIENT_PROFILE = PatientProfile(
    missing_identifier="missing; an IHI is expected",
    read_identifier=_read_identifier,
    security_labels=_restricted_label,
    drop_telecom_without_value=True,
)
"""AU Base Patients, whose identifiers and telecom values may be absent."""


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to an AU Base FHIR R4 Patient."""
    return fhir_patient.patient_to_fhir(patient, PATIENT_PROFILE)


def patient_from_fhir(resource: Any) -> Patient:
    """Map an AU Base FHIR R4 Patient to the canonical Patient.

    IHI and Medicare card numbers must pass their check digits. Identifiers
    without a system or value, and telecom entries without a value, are left
    out because the canonical model needs both (AU Base allows a value to be
    replaced by a data-absent-reason extension). At least one identifier
    must remain. Raises MappingError naming the field, or
    InvalidIdentifierError.
    """
    return fhir_patient.patient_from_fhir(resource, PATIENT_PROFILE)


# Record Bundle


def record_bundle(record: PatientRecord) -> dict[str, Any]:
    """Build the collection Bundle of a record; entries refer to its Patient."""
    patient = patient_to_fhir(record.patient)
    patient.setdefault("id", "patient")
    subject = f"Patient/{patient['id']}"
    resources: list[dict[str, Any]] = [patient]
    resources += [condition_to_fhir(c, subject=subject) for c in record.conditions]
    resources += [
        medication_statement_to_fhir(m, subject=subject) for m in record.medications
    ]
    resources += [allergy_to_fhir(a, patient=subject) for a in record.allergies]
    return collection_bundle(resources)


def record_from_bundle(resource: Any, *, ihi: str) -> PatientRecord:
    """Map a record Bundle to a PatientRecord for the patient with ``ihi``.

    The Bundle must contain exactly one Patient, carrying ``ihi``, and every
    clinical entry must refer to it: another patient's entry in the record
    would be a clinical safety failure, so it raises MappingError.
    """
    where = "Bundle"
    located = bundle_resources(resource)
    patients = [(p, r) for p, r in located if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise MappingError(
            where, "entry", f"expected one Patient, found {len(patients)}"
        )
    patient_path, patient_resource = patients[0]
    patient = patient_from_fhir(patient_resource)
    if patient.identifier_value(IHI_SYSTEM) != ihi:
        raise MappingError(where, patient_path, f"is not the patient with IHI {ihi}")
    references = {f"Patient/{patient.id}"} if patient.id else set()
    conditions, medications, allergies = [], [], []
    for path, entry in located:
        kind = entry.get("resourceType")
        element = SUBJECT_ELEMENTS.get(str(kind))
        if element is None:
            continue
        reference = require_object(entry.get(element), where, f"{path}.{element}")
        if reference.get("reference") not in references:
            raise MappingError(
                where, f"{path}.{element}", f"refers to a patient other than IHI {ihi}"
            )
        if kind == "Condition":
            conditions.append(condition_from_fhir(entry))
        elif kind == "MedicationStatement":
            medications.append(medication_statement_from_fhir(entry))
        else:
            allergies.append(allergy_from_fhir(entry))
    return PatientRecord(
        patient=patient,
        sections=RECORD_SECTIONS,
        conditions=tuple(conditions),
        medications=tuple(medications),
        allergies=tuple(allergies),
    )
