"""Map the canonical Patient to a plain FHIR R4 Patient and back.

The templates share this mapping and differ only in their national
identifiers: each system and its validator. Every identifier in such a system
is validated in both directions and written in its normalised form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    resource: Any,
    *,
    national_system: str,
    validate: Validator,
    also_validate: Mapping[str, Validator] | None = None,
) -> Patient:
    """Map a FHIR R4 Patient to a canonical Patient.

    Raises MappingError for a missing or malformed field, including an
    identifier in ``national_system`` that ``validate`` rejects, or in a system
    of ``also_validate`` that its validator rejects, naming the field path but
    not the value. A code the canonical model does not accept,
    such as an unknown gender, raises pydantic's ValidationError instead.
    ``deceasedBoolean``, extensions and contacts are dropped, because the
    canonical model has no place for them.
    """
    validators = {**(also_validate or {}), national_system: validate}
    return shared_patient.patient_from_fhir(resource, _profile(validators))


def patient_to_fhir(
    patient: Patient,
    *,
    national_system: str,
    validate: Validator,
    also_validate: Mapping[str, Validator] | None = None,
) -> dict[str, Any]:
    """Map a canonical Patient to a FHIR R4 Patient.

    Raises InvalidIdentifierError if an identifier in ``national_system`` fails
    ``validate``, or one in a system of ``also_validate`` fails its validator.
    """
    validators = {**(also_validate or {}), national_system: validate}
    return shared_patient.patient_to_fhir(patient, _profile(validators))


def _profile(validators: Mapping[str, Validator]) -> PatientProfile:
    return PatientProfile(
        missing_identifier="missing, but the canonical Patient needs at least one",
        read_identifier=partial(_identifier, validators=validators),
        write_identifier=partial(_normalised, validators=validators),
        practitioner_type=None,
    )


def _identifier(
    value: Any, path: str, validators: Mapping[str, Validator]
) -> Identifier:
    identifier = identifier_from_fhir(value, _WHERE, path)
    validate = validators.get(identifier.system)
    if validate is None:
        return identifier
    try:
        return Identifier(system=identifier.system, value=validate(identifier.value))
    except InvalidIdentifierError as error:
        # The reason is kept and the value left out, as values are patient data.
        raise MappingError(
            _WHERE, f"{path}.value", f"invalid {error.kind}: {error.reason}"
        ) from None


def _normalised(
    identifier: Identifier, validators: Mapping[str, Validator]
) -> Identifier:
    validate = validators.get(identifier.system)
    if validate is None:
        return identifier
    return Identifier(system=identifier.system, value=validate(identifier.value))
