"""The Canada, Japan and Brazil templates' patient mapping: round trips with
Japanese and Portuguese text, and national identifier checks.

Names, addresses and contact values are drawn from Japanese scripts
(hiragana, katakana and the CJK unified ideographs) and from Portuguese
letters with their diacritics, and must come back from FHIR unchanged, code
point for code point.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.identifiers import (
    CNS_SYSTEM,
    CPF_SYSTEM,
    ONTARIO_HEALTH_NUMBER_SYSTEM,
    luhn_check_digit,
    my_number_check_digit,
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
from carecert.adapters.templates import NHIJapanTemplate, OHIPTemplate, SUSTemplate
from carecert.adapters.templates.japan import MY_NUMBER_SYSTEM

fhir_patient = pytest.importorskip("fhir.resources.R4B.patient")

# Synthetic numbers with valid check digits, of the kind used in test data.
SAMPLE_CNS = "700000000000005"

LOCAL_SYSTEM = "urn:example:local-mrn"

JAPANESE = st.one_of(
    st.characters(min_codepoint=0x3041, max_codepoint=0x3096),  # hiragana
    st.characters(min_codepoint=0x30A1, max_codepoint=0x30FA),  # katakana
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # kanji
    st.sampled_from("ー々"),
)
PORTUGUESE = st.sampled_from(string.ascii_letters + "áàâãéêíóôõúüçÁÀÂÃÉÊÍÓÔÕÚÜÇ")


def words(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=10)


@st.composite
def health_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=9, max_size=9))
    version = draw(st.sampled_from(["", "A", "ZZ"]))
    return f"{body}{luhn_check_digit(body)}{version}"


@st.composite
def my_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=11, max_size=11))
    return f"{body}{my_number_check_digit(body)}"


@st.composite
def cns_numbers(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from("12789")) + draw(
        st.text(alphabet=string.digits, min_size=13, max_size=13)
    )
    last = -sum(int(d) * (15 - i) for i, d in enumerate(head)) % 11
    assume(last != 10)
    return f"{head}{last}"


def patients(
    system: str, national: st.SearchStrategy[str], text: st.SearchStrategy[str]
) -> Any:
    name = st.builds(
        HumanName,
        use=st.none() | st.sampled_from(["usual", "official"]),
        family=text,
        given=st.lists(text, max_size=2).map(tuple),
        prefix=st.lists(text, max_size=1).map(tuple),
        suffix=st.tuples(),
        period_start=st.none(),
        period_end=st.none(),
    )
    address = st.builds(
        Address,
        use=st.none() | st.sampled_from(["home", "work"]),
        line=st.lists(text, max_size=2).map(tuple),
        city=text,
        district=st.none() | text,
        postal_code=st.none(),
        country=st.none() | text,
    )
    contact = st.builds(
        ContactPoint,
        system=st.sampled_from(["phone", "email"]),
        value=text,
        use=st.none(),
    )
    return st.builds(
        Patient,
        id=st.none(),
        identifiers=national.map(
            lambda value: (Identifier(system=system, value=value),)
        ),
        names=st.lists(name, min_size=1, max_size=2).map(tuple),
        gender=st.none() | st.sampled_from(AdministrativeGender),
        birth_date=st.none() | st.dates(min_value=date(1900, 1, 1)),
        deceased_at=st.none(),
        addresses=st.lists(address, max_size=2).map(tuple),
        telecom=st.lists(contact, max_size=1).map(tuple),
        general_practitioner=st.none()
        | text.map(lambda value: Identifier(system=LOCAL_SYSTEM, value=value)),
        restricted=st.booleans(),
    )


@given(patients(MY_NUMBER_SYSTEM, my_numbers(), words(JAPANESE)))
def test_japanese_text_round_trip(patient: Patient) -> None:
    template = NHIJapanTemplate({})

    resource = template.patient_to_fhir(patient)

    assert template.patient_from_fhir(resource) == patient
    fhir_patient.Patient.model_validate(resource)


@given(patients(CNS_SYSTEM, cns_numbers(), words(PORTUGUESE)))
def test_portuguese_text_round_trip(patient: Patient) -> None:
    template = SUSTemplate({})

    resource = template.patient_to_fhir(patient)

    assert template.patient_from_fhir(resource) == patient
    fhir_patient.Patient.model_validate(resource)


@given(patients(ONTARIO_HEALTH_NUMBER_SYSTEM, health_numbers(), words(PORTUGUESE)))
def test_ohip_round_trip(patient: Patient) -> None:
    template = OHIPTemplate({})

    resource = template.patient_to_fhir(patient)

    assert template.patient_from_fhir(resource) == patient
    fhir_patient.Patient.model_validate(resource)


def test_japanese_name_written_unchanged() -> None:
    patient = Patient(
        identifiers=(Identifier(system=MY_NUMBER_SYSTEM, value="1234 5678 9018"),),
        names=(HumanName(family="山田", given=("太郎",)),),
    )

    resource = NHIJapanTemplate({}).patient_to_fhir(patient)

    assert resource["identifier"] == [
        {"system": MY_NUMBER_SYSTEM, "value": "123456789018"}
    ]
    assert resource["name"][0]["family"] == "山田"
    assert resource["name"][0]["given"] == ["太郎"]


@pytest.mark.parametrize(
    ("template", "system", "value", "kind"),
    [
        (OHIPTemplate, ONTARIO_HEALTH_NUMBER_SYSTEM, "9876543218", "Ontario health"),
        (NHIJapanTemplate, MY_NUMBER_SYSTEM, "123456789019", "My Number"),
        (SUSTemplate, CNS_SYSTEM, "700000000000006", "CNS"),
        (SUSTemplate, CPF_SYSTEM, "11144477736", "CPF"),
        (SUSTemplate, CPF_SYSTEM, "abc", "CPF"),
    ],
)
def test_invalid_national_identifier_not_read(
    template: type, system: str, value: str, kind: str
) -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": system, "value": value}],
    }

    with pytest.raises(MappingError) as raised:
        template({}).patient_from_fhir(resource)

    assert raised.value.path == "identifier[0].value"
    assert f"invalid {kind}" in str(raised.value)
    assert value not in str(raised.value)


def test_cpf_written_normalised() -> None:
    patient = Patient(
        identifiers=(
            Identifier(system=CNS_SYSTEM, value=SAMPLE_CNS),
            Identifier(system=CPF_SYSTEM, value="111.444.777-35"),
        ),
    )

    resource = SUSTemplate({}).patient_to_fhir(patient)

    assert resource["identifier"][1] == {"system": CPF_SYSTEM, "value": "11144477735"}


def test_invalid_cpf_not_written() -> None:
    patient = Patient(
        identifiers=(
            Identifier(system=CNS_SYSTEM, value=SAMPLE_CNS),
            Identifier(system=CPF_SYSTEM, value="11144477736"),
        ),
    )

    with pytest.raises(InvalidIdentifierError, match="CPF"):
        SUSTemplate({}).patient_to_fhir(patient)
