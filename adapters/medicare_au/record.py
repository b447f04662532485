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

from carecert.adapters.fhir.datatypes import (
    address_from_fhir,
    address_to_fhir,
    contact_point_from_fhir,
    contact_point_to_fhir,
    human_name_from_fhir,
    human_name_to_fhir,
    is_restricted,
)
from carecert.adapters.fhir.elements import (
    MappingError,
    format_instant,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    parse_date,
    parse_instant,
    require_object,
    require_str,
    require_type,
)
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

# The clinical mappers are plain FHIR R4 and shared with the NHS adapter.
from carecert.adapters.nhs.mapping import (
    allergy_from_fhir,
    allergy_to_fhir,
    condition_from_fhir,
    condition_to_fhir,
    medication_statement_from_fhir,
    medication_statement_to_fhir,
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


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to an AU Base FHIR R4 Patient."""
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if patient.id is not None:
        resource["id"] = patient.id
    if patient.restricted:
        resource["meta"] = {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                    "code": "R",
                }
            ]
        }
    resource["identifier"] = [identifier_to_fhir(i) for i in patient.identifiers]

    if patient.names:
        resource["name"] = [human_name_to_fhir(name) for name in patient.names]
    if patient.telecom:
        resource["telecom"] = [contact_point_to_fhir(c) for c in patient.telecom]
    if patient.gender is not None:
        resource["gender"] = patient.gender.value
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = format_instant(patient.deceased_at)

    if patient.addresses:
        resource["address"] = [address_to_fhir(a) for a in patient.addresses]
    if patient.general_practitioner is not None:
        resource["generalPractitioner"] = [
            {
                "type": "Organization",
                "identifier": identifier_to_fhir(patient.general_practitioner),
            }
        ]
    return resource


def patient_from_fhir(resource: Any) -> Patient:
    """Map an AU Base FHIR R4 Patient to the canonical Patient.

    IHI and Medicare card numbers must pass their check digits. Identifiers
    without a system or value, and telecom entries without a value, are left
    out because the canonical model needs both (AU Base allows a value to be
    replaced by a data-absent-reason extension). At least one identifier
    must remain. Raises MappingError naming the field, or
    InvalidIdentifierError.
    """
    where = "Patient"
    body = require_type(resource, where)
    identifiers = []
    for path, item in items(body, "identifier", where):
        element = require_object(item, where, path)
        if element.get("system") is None or element.get("value") is None:
            continue
        identifiers.append(check_identifier(identifier_from_fhir(element, where, path)))
    if not identifiers:
        raise MappingError(where, "identifier", "missing; an IHI is expected")
    practitioner = None
    for path, item in items(body, "generalPractitioner", where):
        reference = require_object(item, where, path)
        if reference.get("identifier") is not None:
            practitioner = identifier_from_fhir(
                reference["identifier"], where, f"{path}.identifier"
            )
            break
    birth = body.get("birthDate")
    deceased = body.get("deceasedDateTime")
    return Patient(
        id=optional_str(body.get("id"), where, "id"),
        identifiers=tuple(identifiers),
        names=tuple(
            human_name_from_fhir(item, where, path)
            for path, item in items(body, "name", where)
        ),
        gender=optional_str(body.get("gender"), where, "gender"),
        birth_date=None if birth is None else parse_date(birth, where, "birthDate"),
        deceased_at=(
            None
            if deceased is None
            else parse_instant(deceased, where, "deceasedDateTime")
        ),
        addresses=tuple(
            address_from_fhir(item, where, path)
            for path, item in items(body, "address", where)
        ),
        telecom=tuple(
            contact_point_from_fhir(item, where, path)
            for path, item in items(body, "telecom", where)
            if require_object(item, where, path).get("value") is not None
        ),
        general_practitioner=practitioner,
        restricted=is_restricted(body, where),
    )


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
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


_SUBJECT_ELEMENTS = {
    "Condition": "subject",
    "MedicationStatement": "subject",
    "AllergyIntolerance": "patient",
}


def record_from_bundle(resource: Any, *, ihi: str) -> PatientRecord:
    """Map a record Bundle to a PatientRecord for the patient with ``ihi``.

    The Bundle must contain exactly one Patient, carrying ``ihi``, and every
    clinical entry must refer to it: another patient's entry in the record
    would be a clinical safety failure, so it raises MappingError.
    """
    where = "Bundle"
    bundle = require_type(resource, where)
    located = [
        (
            f"{path}.resource",
            require_object(
                require_object(entry, where, path).get("resource"),
                where,
                f"{path}.resource",
            ),
        )
        for path, entry in items(bundle, "entry", where)
    ]
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
        element = _SUBJECT_ELEMENTS.get(str(kind))
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
