"""FHIR resources of a KBV prescription Bundle, written as JSON objects.

Shapes follow the KBV eRezept 1.3.2 examples. Each writer returns one
resource; ``kbv.prescription_to_kbv_bundle`` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from carecert.adapters.gkv.kbv_parties import Insurance, Prescriber
from carecert.adapters.gkv.kbv_systems import (
    BSNR_SYSTEM,
    IKNR_SYSTEM,
    KBV,
    LANR_SYSTEM,
    PACKAGING_SIZE_URL,
    PZN_SYSTEM,
)
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM
from carecert.adapters.models import Address, HumanName, Patient, Prescription

__all__ = [
    "composition_resource",
    "coverage_resource",
    "format_instant",
    "medication_request_resource",
    "medication_resource",
    "organization_resource",
    "patient_resource",
    "practitioner_resource",
]


def _json_number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def format_instant(moment: datetime) -> str:
    """Write an aware datetime as a FHIR instant, to the second."""
    if moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware timestamp, got {moment!r}")
    return moment.isoformat(timespec="seconds")


def _profile(name: str, version: str) -> dict[str, Any]:
    return {"profile": [f"{KBV}/StructureDefinition/{name}|{version}"]}


def _coding_extension(url: str, system: str, code: str) -> dict[str, Any]:
    return {"url": url, "valueCoding": {"system": system, "code": code}}


def composition_resource(
    ids: Mapping[str, str], refs: Mapping[str, str], moment: datetime
) -> dict[str, Any]:
    """Write the Composition that lists the prescription and the coverage."""
    section_system = f"{KBV}/CodeSystem/KBV_CS_ERP_Section_Type"
    return {
        "resourceType": "Composition",
        "id": ids["Composition"],
        "meta": _profile("KBV_PR_ERP_Composition", "1.3"),
        "extension": [
            _coding_extension(
                f"{KBV}/StructureDefinition/KBV_EX_FOR_Legal_basis",
                f"{KBV}/CodeSystem/KBV_CS_SFHIR_KBV_STATUSKENNZEICHEN",
                "00",
            )
        ],
        "status": "final",
        "type": {
            "coding": [
                {
                    "system": f"{KBV}/CodeSystem/KBV_CS_SFHIR_KBV_FORMULAR_ART",
                    "code": "e16A",
                }
            ]
        },
        "subject": {"reference": refs["Patient"]},
        "date": format_instant(moment),
        "author": [{"reference": refs["Practitioner"], "type": "Practitioner"}],
        "title": "elektronische Arzneimittelverordnung",
        "custodian": {"reference": refs["Organization"]},
        "section": [
            {
                "code": {"coding": [{"system": section_system, "code": code}]},
                "entry": [{"reference": refs[kind]}],
            }
            for code, kind in (
                ("Prescription", "MedicationRequest"),
                ("Coverage", "Coverage"),
            )
        ],
    }


def medication_request_resource(
    prescription: Prescription, ids: Mapping[str, str], refs: Mapping[str, str]
) -> dict[str, Any]:
    """Write the MedicationRequest: dosage, package count and references."""
    # Fixed values as in the KBV 1.3.2 examples: co-payment status 0, no
    # emergency services fee, no SER, not a multiple prescription, and
    # substitution allowed.
    dosage: dict[str, Any] = {
        "extension": [
            {
                "url": f"{KBV}/StructureDefinition/KBV_EX_ERP_DosageFlag",
                "valueBoolean": prescription.dosage is not None,
            }
        ]
    }
    if prescription.dosage is not None:
        dosage["text"] = prescription.dosage
    quantity: dict[str, Any] = {"value": _json_number(prescription.quantity.value)}
    if prescription.quantity.unit is not None:
        quantity["unit"] = prescription.quantity.unit
    return {
        "resourceType": "MedicationRequest",
        "id": ids["MedicationRequest"],
        "meta": _profile("KBV_PR_ERP_Prescription", "1.3"),
        "extension": [
            _coding_extension(
                f"{KBV}/StructureDefinition/KBV_EX_FOR_StatusCoPayment",
                f"{KBV}/CodeSystem/KBV_CS_FOR_StatusCoPayment",
                "0",
            ),
            {
                "url": f"{KBV}/StructureDefinition/KBV_EX_ERP_EmergencyServicesFee",
                "valueBoolean": False,
            },
            {"url": f"{KBV}/StructureDefinition/KBV_EX_FOR_SER", "valueBoolean": False},
            {
                "extension": [{"url": "Kennzeichen", "valueBoolean": False}],
                "url": f"{KBV}/StructureDefinition/KBV_EX_ERP_Multiple_Prescription",
            },
        ],
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": refs["Medication"]},
        "subject": {"reference": refs["Patient"]},
        "authoredOn": prescription.authored_on.isoformat(),
        "requester": {"reference": refs["Practitioner"]},
        "insurance": [{"reference": refs["Coverage"]}],
        "dosageInstruction": [dosage],
        "dispenseRequest": {"quantity": quantity},
        "substitution": {"allowedBoolean": True},
    }


def medication_resource(prescription: Prescription, resource_id: str) -> dict[str, Any]:
    """Write the Medication: PZN or free text, and the package size."""
    coding = prescription.medication
    is_pzn = coding is not None and coding.system == PZN_SYSTEM
    # NOTE: the KBV free-text example carries no Medication.amount. Whether
    # KBV_PR_ERP_Medication_FreeText allows one is not checked here.
    resource: dict[str, Any] = {
        "resourceType": "Medication",
        "id": resource_id,
        "meta": _profile(
            "KBV_PR_ERP_Medication_PZN" if is_pzn else "KBV_PR_ERP_Medication_FreeText",
            "1.3",
        ),
        "extension": [
            _coding_extension(
                f"{KBV}/StructureDefinition/KBV_EX_ERP_Medication_Category",
                f"{KBV}/CodeSystem/KBV_CS_ERP_Medication_Category",
                "00",
            ),
            {
                "url": f"{KBV}/StructureDefinition/KBV_EX_ERP_Medication_Vaccine",
                "valueBoolean": False,
            },
        ],
    }

    code: dict[str, Any] = {}
    if coding is not None:
        element = {"system": coding.system, "code": coding.code}
        if coding.display is not None:
            element["display"] = coding.display
        code["coding"] = [{k: v for k, v in element.items() if v is not None}]
    if prescription.medication_text is not None:
        code["text"] = prescription.medication_text
    if code:
        resource["code"] = code

    if prescription.package_size is not None:
        numerator: dict[str, Any] = {
            "extension": [
                {"url": PACKAGING_SIZE_URL, "valueString": prescription.package_size}
            ]
        }
        if prescription.package_unit is not None:
            numerator["unit"] = prescription.package_unit
        resource["amount"] = {"numerator": numerator, "denominator": {"value": 1}}
    return resource


def _identifier(type_system: str, type_code: str, system: str, value: str) -> Any:
    return {
        "type": {"coding": [{"system": type_system, "code": type_code}]},
        "system": system,
        "value": value,
    }


def _name(name: HumanName) -> dict[str, Any]:
    element: dict[str, Any] = {"use": "official"}
    if name.family is not None:
        element["family"] = name.family
    if name.given:
        element["given"] = list(name.given)
    if name.prefix:
        element["prefix"] = list(name.prefix)
    return element


def _address(address: Address) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "both"}
    if address.line:
        element["line"] = list(address.line)
    if address.city is not None:
        element["city"] = address.city
    if address.postal_code is not None:
        element["postalCode"] = address.postal_code
    if address.country is not None:
        element["country"] = address.country
    return element


def patient_resource(patient: Patient, kvnr: str, resource_id: str) -> dict[str, Any]:
    """Write the Patient: KVNR, first listed name and address, and birth date."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id,
        "meta": _profile("KBV_PR_FOR_Patient", "1.2"),
        "identifier": [
            _identifier(
                "http://fhir.de/CodeSystem/identifier-type-de-basis",
                "KVZ10",
                KVNR_SYSTEM,
                kvnr,
            )
        ],
    }
    if patient.names:
        resource["name"] = [_name(patient.names[0])]
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.addresses:
        resource["address"] = [_address(patient.addresses[0])]
    return resource


def practitioner_resource(prescriber: Prescriber, resource_id: str) -> dict[str, Any]:
    """Write the Practitioner with the LANR, name and job title."""
    return {
        "resourceType": "Practitioner",
        "id": resource_id,
        "meta": _profile("KBV_PR_FOR_Practitioner", "1.2"),
        "identifier": [
            _identifier(
                "http://terminology.hl7.org/CodeSystem/v2-0203",
                "LANR",
                LANR_SYSTEM,
                prescriber.lanr,
            )
        ],
        "name": [_name(prescriber.name)],
        "qualification": [
            {
                "code": {
                    "coding": [
                        {
                            "system": f"{KBV}/CodeSystem/KBV_CS_FOR_Qualification_Type",
                            "code": "00",
                        }
                    ]
                }
            },
            {
                "code": {
                    "coding": [
                        {
                            "system": f"{KBV}/CodeSystem/KBV_CS_FOR_Berufsbezeichnung",
                            "code": "Berufsbezeichnung",
                        }
                    ],
                    "text": prescriber.qualification_text,
                }
            },
        ],
    }


def organization_resource(prescriber: Prescriber, resource_id: str) -> dict[str, Any]:
    """Write the practice as Organization with its BSNR and phone."""
    practice = prescriber.practice
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": resource_id,
        "meta": _profile("KBV_PR_FOR_Organization", "1.2"),
        "identifier": [
            _identifier(
                "http://terminology.hl7.org/CodeSystem/v2-0203",
                "BSNR",
                BSNR_SYSTEM,
                practice.bsnr,
            )
        ],
        "name": practice.name,
        "telecom": [{"system": "phone", "value": practice.phone}],
    }
    if practice.address is not None:
        resource["address"] = [_address(practice.address)]
    return resource


def coverage_resource(
    insurance: Insurance, resource_id: str, patient_ref: str
) -> dict[str, Any]:
    """Write the Coverage: insurer IK number, insurance type and status."""
    return {
        "resourceType": "Coverage",
        "id": resource_id,
        "meta": _profile("KBV_PR_FOR_Coverage", "1.2"),
        "extension": [
            _coding_extension(
                "http://fhir.de/StructureDefinition/gkv/besondere-personengruppe",
                f"{KBV}/CodeSystem/KBV_CS_SFHIR_KBV_PERSONENGRUPPE",
                "00",
            ),
            _coding_extension(
                "http://fhir.de/StructureDefinition/gkv/dmp-kennzeichen",
                f"{KBV}/CodeSystem/KBV_CS_SFHIR_KBV_DMP",
                "00",
            ),
            _coding_extension(
                "http://fhir.de/StructureDefinition/gkv/versichertenart",
                f"{KBV}/CodeSystem/KBV_CS_SFHIR_KBV_VERSICHERTENSTATUS",
                insurance.member_status,
            ),
        ],
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://fhir.de/CodeSystem/versicherungsart-de-basis",
                    "code": insurance.insurance_type,
                }
            ]
        },
        "beneficiary": {"reference": patient_ref},
        "payor": [
            {
                "identifier": {"system": IKNR_SYSTEM, "value": insurance.iknr},
                "display": insurance.name,
            }
        ],
    }
