"""The GP record exchange: the Parameters request and the Bundle response.

The request follows GP Connect Access Record: Structured, whose
``$gpc.getstructuredrecord`` operation takes a FHIR Parameters resource naming
the patient (``patientNHSNumber``) and one ``include...`` parameter per record
section. carecert's version returns a FHIR R4 ``collection`` Bundle of
MedicationStatement, AllergyIntolerance and Condition entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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
from carecert.adapters.fhir.elements import (
    MappingError,
    identifier_from_fhir,
    items,
    optional_str,
    require_object,
    require_str,
    require_type,
)
from carecert.adapters.identifiers import NHS_NUMBER_SYSTEM
from carecert.adapters.models import (
    AllergyIntolerance,
    Condition,
    MedicationStatement,
    RecordType,
)

__all__ = [
    "CLINICAL_SECTIONS",
    "SECTION_PARAMETERS",
    "ClinicalEntries",
    "clinical_entries_from_bundle",
    "record_bundle",
    "structured_record_parameters",
    "structured_record_request_from_parameters",
]

SECTION_PARAMETERS = {
    RecordType.MEDICATIONS: "includeMedication",
    RecordType.ALLERGIES: "includeAllergies",
    RecordType.CONDITIONS: "includeProblems",
}
"""GP Connect parameter name that requests each clinical section."""

CLINICAL_SECTIONS = tuple(SECTION_PARAMETERS)
"""Record sections that come from the GP record, not from PDS."""

_PARAMETER_SECTIONS = {name: section for section, name in SECTION_PARAMETERS.items()}


@dataclass(frozen=True)
class ClinicalEntries:
    """Clinical entries read from one GP record Bundle."""

    medications: tuple[MedicationStatement, ...] = ()
    allergies: tuple[AllergyIntolerance, ...] = ()
    conditions: tuple[Condition, ...] = ()


def structured_record_parameters(
    nhs_number: str, sections: Iterable[RecordType]
) -> dict[str, Any]:
    """Build the Parameters body that requests ``sections`` for ``nhs_number``."""
    parameters: list[dict[str, Any]] = [
        {
            "name": "patientNHSNumber",
            "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number},
        }
    ]
    for section in sections:
        if section not in SECTION_PARAMETERS:
            continue
        parameter: dict[str, Any] = {"name": SECTION_PARAMETERS[section]}
        if section is RecordType.ALLERGIES:
            # GP Connect requires this part whenever allergies are requested.
            parameter["part"] = [
                {"name": "includeResolvedAllergies", "valueBoolean": True}
            ]
        parameters.append(parameter)
    return {"resourceType": "Parameters", "parameter": parameters}


def structured_record_request_from_parameters(
    resource: Any,
) -> tuple[str, tuple[RecordType, ...]]:
    """Read the NHS number and requested sections from a Parameters body.

    Raises MappingError for a missing patient or an unknown parameter name.
    """
    where = "Parameters"
    resource = require_type(resource, where)
    nhs_number: str | None = None
    sections: list[RecordType] = []
    for path, parameter in items(resource, "parameter", where):
        parameter = require_object(parameter, where, path)
        name = require_str(parameter.get("name"), where, f"{path}.name")
        if name == "patientNHSNumber":
            identifier = identifier_from_fhir(
                parameter.get("valueIdentifier"),
                where,
                f"{path}.valueIdentifier",
                default_system=NHS_NUMBER_SYSTEM,
            )
            nhs_number = identifier.value
        elif name in _PARAMETER_SECTIONS:
            sections.append(_PARAMETER_SECTIONS[name])
        else:
            known = ", ".join(["patientNHSNumber", *_PARAMETER_SECTIONS])
            raise MappingError(
                where, f"{path}.name", f"unknown parameter {name!r}; known: {known}"
            )
    if nhs_number is None:
        raise MappingError(where, "parameter", "patientNHSNumber is missing")
    return nhs_number, tuple(sections)


def record_bundle(
    *,
    patient: Mapping[str, Any] | None = None,
    medications: Iterable[MedicationStatement] = (),
    allergies: Iterable[AllergyIntolerance] = (),
    conditions: Iterable[Condition] = (),
    subject: str,
) -> dict[str, Any]:
    """Build the GP record Bundle; ``subject`` is the Patient reference."""
    resources: list[dict[str, Any]] = []
    if patient is not None:
        resources.append(dict(patient))
    resources += [medication_statement_to_fhir(m, subject=subject) for m in medications]
    resources += [allergy_to_fhir(a, patient=subject) for a in allergies]
    resources += [condition_to_fhir(c, subject=subject) for c in conditions]
    return collection_bundle(resources)


def clinical_entries_from_bundle(
    resource: Any, *, nhs_number: str | None = None
) -> ClinicalEntries:
    """Map the clinical entries of a GP record Bundle.

    Entries of other types (Patient, Medication, Organization, List ...) are
    used only to resolve references. With ``nhs_number``, every Patient in the
    Bundle and every clinical entry's subject must be that patient, because
    mixing in another patient's record is a clinical safety failure.
    """
    located = bundle_resources(resource)
    if nhs_number is not None:
        _check_single_patient(located, nhs_number)
    entries = [entry for _path, entry in located]
    resolve = _reference_index(entries)
    medications: list[MedicationStatement] = []
    allergies: list[AllergyIntolerance] = []
    conditions: list[Condition] = []
    for entry in entries:
        kind = entry.get("resourceType")
        if kind == "MedicationStatement":
            medications.append(medication_statement_from_fhir(entry, resolve=resolve))
        elif kind == "AllergyIntolerance":
            allergies.append(allergy_from_fhir(entry))
        elif kind == "Condition":
            conditions.append(condition_from_fhir(entry))
    return ClinicalEntries(tuple(medications), tuple(allergies), tuple(conditions))


def _check_single_patient(
    located: list[tuple[str, Mapping[str, Any]]], nhs_number: str
) -> None:
    # PDS and GP Connect use the NHS number as the Patient's logical id, but a
    # Bundle may give the Patient another id, so accept references to either.
    patient_references = {f"Patient/{nhs_number}"}
    for path, entry in located:
        if entry.get("resourceType") != "Patient":
            continue
        numbers = _nhs_numbers(entry.get("identifier"))
        if nhs_number not in numbers:
            raise MappingError(
                "Bundle", path, f"contains a Patient other than {nhs_number}"
            )
        if isinstance(entry.get("id"), str):
            patient_references.add(f"Patient/{entry['id']}")
    for path, entry in located:
        element = SUBJECT_ELEMENTS.get(str(entry.get("resourceType")))
        if element is None:
            continue
        reference = entry.get(element)
        if not isinstance(reference, Mapping):
            raise MappingError("Bundle", f"{path}.{element}", "is missing")
        target = reference.get("reference")
        if target in patient_references:
            continue
        if nhs_number in _nhs_numbers([reference.get("identifier")]):
            continue
        raise MappingError(
            "Bundle",
            f"{path}.{element}",
            f"refers to a patient other than {nhs_number}",
        )


def _nhs_numbers(identifiers: Any) -> set[str]:
    if not isinstance(identifiers, list):
        return set()
    return {
        str(identifier.get("value"))
        for identifier in identifiers
        if isinstance(identifier, Mapping)
        and identifier.get("system") == NHS_NUMBER_SYSTEM
    }


def _reference_index(
    entries: list[Mapping[str, Any]],
) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        kind = entry.get("resourceType")
        entry_id = optional_str(entry.get("id"), "Bundle", "entry.resource.id")
        if isinstance(kind, str) and entry_id is not None:
            index[f"{kind}/{entry_id}"] = entry
    return index
