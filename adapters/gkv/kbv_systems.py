"""Identifier systems, code systems and extension URLs used by KBV Bundles.

Values as written in the KBV eRezept 1.3.2 examples published by gematik.
"""

from __future__ import annotations

KBV = "https://fhir.kbv.de"
PZN_SYSTEM = "http://fhir.de/CodeSystem/ifa/pzn"
MEDICATION_TYPE_SYSTEM = f"{KBV}/CodeSystem/KBV_CS_ERP_Medication_Type"
LANR_SYSTEM = f"{KBV}/NamingSystem/KBV_NS_Base_ANR"
BSNR_SYSTEM = f"{KBV}/NamingSystem/KBV_NS_Base_BSNR"
IKNR_SYSTEM = "http://fhir.de/sid/arge-ik/iknr"
PRESCRIPTION_ID_SYSTEM = (
    "https://gematik.de/fhir/erp/NamingSystem/GEM_ERP_NS_PrescriptionId"
)
PACKAGING_SIZE_URL = f"{KBV}/StructureDefinition/KBV_EX_ERP_Medication_PackagingSize"
PACKAGE_UNIT = "Packung"
