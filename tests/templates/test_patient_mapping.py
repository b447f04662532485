"""The templates' patient mapping: round trips, national identifier checks and
FHIR validity.

Output is validated with fhir.resources' R4B Patient model, because the
package ships R4B and R5 models but no R4 one.
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    CODICE_FISCALE_SYSTEM,
    INS_NIR_SYSTEM,
    codice_fiscale_check_letter,
    nir_key,
)
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.adapters.nhs.fhir import MappingError
from carecert.adapters.templates import AmeliTemplate, SSNTemplate

fhir_patient = pytest.importorskip("fhir.resources.R4B.patient")

LOCAL_SYSTEM = "urn:example:local-mrn"
TEMPLATES = {INS_NIR_SYSTEM: AmeliTemplate({}), CODICE_FISCALE_SYSTEM: SSNTemplate({})}

words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
optional_words = st.none() | words


@st.composite
def nirs(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=13, max_size=13))
    return f"{body}{nir_key(body):02d}"


@st.composite
def codici(draw: st.DrawFn) -> str:
    letters = draw(st.text(alphabet=string.ascii_uppercase, min_size=6, max_size=6))
    day = draw(st.integers(min_value=1, max_value=28)) + draw(st.sampled_from([0, 40]))
    first_15 = f"{letters}85T{day:02d}A562"
    return first_15 + codice_fiscale_check_letter(first_15)


names = st.builds(
    HumanName,
    use=st.none() | st.sampled_from(["usual", "official", "maiden"]),
    family=words,
    given=st.lists(words, max_size=2).map(tuple),
    prefix=st.lists(words, max_size=1).map(tuple),
    suffix=st.lists(words, max_size=1).map(tuple),
    period_start=st.none() | st.dates(min_value=date(1900, 1, 1)),
    period_end=st.none(),
)
addresses = st.builds(
    Address,
    use=st.none() | st.sampled_from(["home", "work"]),
    line=st.lists(words, max_size=2).map(tuple),
    city=words,
    district=optional_words,
    postal_code=optional_words,
    country=optional_words,
)
contacts = st.builds(
    ContactPoint,
    system=st.sampled_from(["phone", "email"]),
    value=words,
    use=st.none() | st.sampled_from(["home", "mobile"]),
)
instants = st.datetimes(
    min_value=datetime(1950, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))]),
)


def patients(system: str, national: st.SearchStrategy[str]) -> Any:
    identifiers = st.tuples(
        national.map(lambda value: Identifier(system=system, value=value)),
        st.lists(
            words.map(lambda value: Identifier(system=LOCAL_SYSTEM, value=value)),
            max_size=1,
        ),
    ).map(lambda pair: (pair[0], *pair[1]))
    return st.builds(
        Patient,
        id=st.none()
        | st.text(alphabet=string.ascii_letters + string.digits, min_size=1),
        identifiers=identifiers,
        names=st.lists(names, max_size=2).map(tuple),
        gender=st.none() | st.sampled_from(AdministrativeGender),
        birth_date=st.none() | st.dates(min_value=date(1900, 1, 1)),
        deceased_at=st.none() | instants,
        addresses=st.lists(addresses, max_size=2).map(tuple),
        telecom=st.lists(contacts, max_size=2).map(tuple),
        general_practitioner=st.none()
        | words.map(lambda value: Identifier(system=LOCAL_SYSTEM, value=value)),
        restricted=st.booleans(),
    )


@given(
    st.one_of(
        patients(INS_NIR_SYSTEM, nirs()), patients(CODICE_FISCALE_SYSTEM, codici())
    )
)
def test_round_trip_identity(patient: Patient) -> None:
    template = TEMPLATES[patient.identifiers[0].system]

    resource = template.patient_to_fhir(patient)

    assert template.patient_from_fhir(resource) == patient


@given(
    st.one_of(
        patients(INS_NIR_SYSTEM, nirs()), patients(CODICE_FISCALE_SYSTEM, codici())
    )
)
def test_output_is_valid_fhir(patient: Patient) -> None:
    template = TEMPLATES[patient.identifiers[0].system]

    resource = template.patient_to_fhir(patient)

    fhir_patient.Patient.model_validate(resource)


def test_national_identifier_written_normalised() -> None:
    patient = Patient(
        identifiers=(Identifier(system=INS_NIR_SYSTEM, value="1 84 12 75 123 456 40"),)
    )

    resource = AmeliTemplate({}).patient_to_fhir(patient)

    assert resource["identifier"] == [
        {"system": INS_NIR_SYSTEM, "value": "184127512345640"}
    ]


def test_invalid_national_identifier_not_written() -> None:
    patient = Patient(
        identifiers=(
            Identifier(system=CODICE_FISCALE_SYSTEM, value="RSSMRA85T10A562T"),
        )
    )

    with pytest.raises(InvalidIdentifierError, match="check letter"):
        SSNTemplate({}).patient_to_fhir(patient)


def test_invalid_national_identifier_not_read() -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [
            {"system": LOCAL_SYSTEM, "value": "A1"},
            {"system": INS_NIR_SYSTEM, "value": "184127512345641"},
        ],
    }

    with pytest.raises(MappingError) as raised:
        AmeliTemplate({}).patient_from_fhir(resource)

    assert raised.value.path == "identifier[1].value"
    assert "invalid NIR" in str(raised.value)
    # The value is patient data, so the message leaves it out.
    assert "184127512345641" not in str(raised.value)


def test_other_systems_not_validated() -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": INS_NIR_SYSTEM + ".9", "value": "anything"}],
    }

    patient = AmeliTemplate({}).patient_from_fhir(resource)

    assert patient.identifiers[0].value == "anything"


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ({"resourceType": "Observation"}, "resourceType"),
        ({"resourceType": "Patient"}, "identifier"),
        (
            {"resourceType": "Patient", "identifier": [{"value": "x"}]},
            "identifier[0].system",
        ),
        (
            {
                "resourceType": "Patient",
                "identifier": [{"system": LOCAL_SYSTEM, "value": "x"}],
                "name": [{"given": "Marie"}],
            },
            "name[0].given",
        ),
    ],
)
def test_bad_resource_rejected(resource: dict[str, Any], path: str) -> None:
    with pytest.raises(MappingError) as raised:
        SSNTemplate({}).patient_from_fhir(resource)

    assert raised.value.path == path


def test_restricted_label_read() -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": LOCAL_SYSTEM, "value": "x"}],
        "meta": {"security": [{"code": "V"}]},
    }

    assert SSNTemplate({}).patient_from_fhir(resource).restricted
