"""Map the canonical Patient to a plain FHIR R4 Patient and back.

The templates share this mapping and differ only in their national
identifier: its system and its validator. Every identifier in that system is
validated in both directions and written in its normalised form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir import patient as shared_patient
from carecert.adapters.fhir.datatypes import CONFIDENTIALITY_SYSTEM
from carecert.adapters.fhir.elements import (
    MappingError,
    identifier_from_fhir,
)
from carecert.adapters.fhir.patient import PatientProfile
from carecert.adapters.models import Identifier, Patient

__all__ = ["CONFIDENTIALITY_SYSTEM", "patient_from_fhir", "patient_to_fhir"]

Validator = Callable[[str], str]

_WHERE = "Patient"


def patient_from_fhir(
    resource: Any, *, national_system: str, validate: Validator
) -> Patient:
    """Map a FHIR R4 Patient to a canonical Patient.

    Raises MappingError for a missing or malformed field, including an
    identifier in ``national_system`` that ``validate`` rejects, naming the
    field path but not the value. A code the canonical model does not accept,
    such as an unknown gender, raises pydantic's ValidationError instead.
    ``deceasedBoolean``, extensions and contacts are dropped, because the
    canonical model has no place for them.
    """
    return shared_patient.patient_from_fhir(
        resource, _profile(national_system, validate)
    )


def patient_to_fhir(
    patient: Patient, *, national_system: str, validate: Validator
) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient.

    Raises InvalidIdentifierError if an identifier in ``national_system`` fails
    ``validate``.
    """
    return shared_patient.patient_to_fhir(patient, _profile(national_system, validate))


def _profile(national_system: str, validate: Validator) -> PatientProfile:
    return PatientProfile(
        missing_identifier="missing, but the canonical Patient needs at least one",
        read_identifier=partial(
            _identifier, national_system=national_system, validate=validate
        ),
        write_identifier=partial(
            _normalised, national_system=national_system, validate=validate
        ),
        practitioner_type=None,
    )


def _identifier(
    value: Any, path: str, national_system: str, validate: Validator
) -> Identifier:
    identifier = identifier_from_fhir(value, _WHERE, path)
    if identifier.system != national_system:
        return identifier
    try:
        return Identifier(system=national_system, value=validate(identifier.value))
    except InvalidIdentifierError as error:
        # The reason is kept and the value left out, as values are patient data.
        raise MappingError(
            _WHERE, f"{path}.value", f"invalid {error.kind}: {error.reason}"
        ) from None


def _normalised(
    identifier: Identifier, national_system: str, validate: Validator
) -> Identifier:
    if identifier.system != national_system:
        return identifier
    return Identifier(system=national_system, value=validate(identifier.value))
