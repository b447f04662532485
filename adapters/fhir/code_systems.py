"""``Coding.system`` URIs of the clinical terminologies that records use.

These are the URIs FHIR R4 uses for SNOMED CT, ICD-10-CM, RxNorm and CVX, so
every adapter and synthetic record names a terminology the same way.
"""

from __future__ import annotations

__all__ = ["CVX_SYSTEM", "ICD10CM_SYSTEM", "RXNORM_SYSTEM", "SNOMED_CT_SYSTEM"]

SNOMED_CT_SYSTEM = "http://snomed.info/sct"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
