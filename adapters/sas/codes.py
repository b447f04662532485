"""Andalusian code tables and the identifier systems the SAS adapter writes.

NOTE: the identifier and code system URIs are carecert's choice, not taken from
a SAS publication. Replace them here if SAS publishes its own.
"""

from __future__ import annotations

import re

__all__ = [
    "CENTRE_CODE",
    "CENTRE_CODE_SYSTEM",
    "CENTRE_NAME_SYSTEM",
    "DNI_SYSTEM",
    "MEDICATION_SYSTEM",
    "NIE_SYSTEM",
    "NUHSA_SYSTEM",
    "PRESCRIPTION_SYSTEM",
    "PRESCRIBER_SYSTEM",
    "REGIONAL_CODES",
    "SPECIALTIES",
    "SPECIALTY_SYSTEM",
]

NUHSA_SYSTEM = "https://www.sspa.juntadeandalucia.es/nuhsa"
"""Identifier system of the NUHSA, the SAS patient number."""

# NOTE: carecert uses this OID for the DNI without having checked it against
# the Spanish OID registry.
DNI_SYSTEM = "urn:oid:2.16.724.4.40"
"""Identifier system of the DNI (Spanish national identity document number)."""

NIE_SYSTEM = "urn:carecert:es:nie"
"""Identifier system of the NIE (foreigner's identity number)."""

SPECIALTY_SYSTEM = "urn:carecert:sas:especialidad"
"""Code system of the specialty codes in SPECIALTIES."""

CENTRE_CODE_SYSTEM = "urn:carecert:sas:centro"
"""Identifier system of SAS centre codes such as CS_SEVILLA_001."""

CENTRE_NAME_SYSTEM = "urn:carecert:sas:centro-nombre"
"""Identifier system used when a centre is named rather than coded."""

PRESCRIPTION_SYSTEM = "urn:carecert:sas:receta"
"""Identifier system of e-prescription numbers."""

MEDICATION_SYSTEM = "urn:carecert:es:codigo-nacional"
"""Code system of the Spanish national medicine code (código nacional)."""

PRESCRIBER_SYSTEM = "urn:carecert:es:colegiado"
"""Identifier system of the prescriber's professional registration number."""

REGIONAL_CODES: dict[str, str] = {
    "AN": "Andalucía",
    "AL": "Almería",
    "CA": "Cádiz",
    "CO": "Córdoba",
    "GR": "Granada",
    "H": "Huelva",
    "J": "Jaén",
    "MA": "Málaga",
    "SE": "Sevilla",
}
"""Region code to name: AN for the whole region, then its eight provinces.

NOTE: the province codes are the provincial vehicle-registration letters, which
carecert assumes SAS uses. No published SAS code list confirms them.
"""

SPECIALTIES: dict[str, str] = {
    "alergologia": "Alergología",
    "cardiologia": "Cardiología",
    "dermatologia": "Dermatología",
    "digestivo": "Aparato digestivo",
    "endocrinologia": "Endocrinología y nutrición",
    "ginecologia": "Obstetricia y ginecología",
    "medicina-familia": "Medicina familiar y comunitaria",
    "neumologia": "Neumología",
    "neurologia": "Neurología",
    "oftalmologia": "Oftalmología",
    "otorrinolaringologia": "Otorrinolaringología",
    "pediatria": "Pediatría",
    "psiquiatria": "Psiquiatría",
    "traumatologia": "Cirugía ortopédica y traumatología",
    "urologia": "Urología",
}
"""Specialty codes that the adapter accepts, with their Spanish display names."""

CENTRE_CODE = re.compile(r"[A-Z]{2,4}_[A-Z0-9_]+")
"""A SAS centre code such as CS_SEVILLA_001 (centro de salud, city, number)."""
