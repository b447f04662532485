"""Property tests of the Kaiser mappings.

Canonical -> FHIR -> canonical must be the identity on every value the wire
carries, and what the mapping writes must validate against the adapter's
openapi.yaml (through SpecValidator) and against the fhir.resources R4B
models. FHIR strings are never empty and contain no control characters, so
the text strategy draws such strings in any script.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle as FhirBundle
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.immunization import Immunization as FhirImmunization
from fhir.resources.R4B.medicationrequest import (
    MedicationRequest as FhirMedicationRequest,
)
from fhir.resources.R4B.patient import Patient as FhirPatient
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.identifiers import NPI_SYSTEM, npi_check_digit
from carecert.adapters.kaiser import KaiserInterface
from carecert.adapters.kaiser.booking import (
    KaiserAppointment,
    appointment_from_fhir,
    appointment_to_fhir,
    if_none_exist,
)
from carecert.adapters.kaiser.codes import (
    APPOINTMENT_TYPES,
    FACILITY_SYSTEM,
    MRN_SYSTEM,
)
from carecert.adapters.kaiser.conditions import condition_from_fhir, condition_to_fhir
from carecert.adapters.kaiser.immunizations import (
    immunization_from_fhir,
    immunization_to_fhir,
)
from carecert.adapters.kaiser.medication_requests import (
    medication_request_from_fhir,
    medication_request_to_fhir,
)
from carecert.adapters.kaiser.patients import patient_from_fhir, patient_to_fhir
from carecert.adapters.kaiser.search import read_search_page, search_page_bundle
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    AppointmentStatus,
    ClinicalStatus,
    Coding,
    Condition,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.adapters.models.clinical import (
    Immunization,
    MedicationRequest,
    ResourceReference,
)

from ..support.openapi import (
    check_fhir_exchange,
    json_wire,
)

API = "https://api.kaiserpermanente.org/fhir/R4"
SCRIPTS = ["Théo", "Nakamura-Oyelaran", "東京都", "Αθήνα", "مرحبا", "Привет", "नमस्ते"]


def check_exchange(
    method: str, url: str, status: int, payload: Any, body: Any = None, **headers: str
) -> None:
    check_fhir_exchange(
        KaiserInterface.info,
        method,
        url,
        status,
        payload,
        body,
        created_location=f"{API}/Appointment/1",
        **headers,
    )


# Strategies

fhir_text = st.one_of(
    st.sampled_from(SCRIPTS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1),
)
ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,15}", fullmatch=True)
systems = st.sampled_from(
    [
        None,
        "http://snomed.info/sct",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "http://hl7.org/fhir/sid/cvx",
    ]
)
codings = st.builds(
    Coding, system=systems, code=codes, display=st.one_of(st.none(), fhir_text)
)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
optional_dates = st.one_of(st.none(), dates)
offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
)
instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)),
    offsets,
)
mrns = st.from_regex(r"KP[0-9]{9}", fullmatch=True)
npis = st.integers(100_000_000, 299_999_999).map(
    lambda n: f"{n}{npi_check_digit(str(n))}"
)
short_tuples = lambda strategy: st.lists(strategy, max_size=2).map(tuple)  # noqa: E731

conditions = st.builds(
    Condition,
    id=st.one_of(st.none(), ids),
    code=codings,
    other_codings=short_tuples(codings),
    text=st.one_of(st.none(), fhir_text),
    clinical_status=st.one_of(st.none(), st.sampled_from(ClinicalStatus)),
    verification_status=st.one_of(
        st.none(),
        st.sampled_from(["unconfirmed", "provisional", "confirmed", "refuted"]),
    ),
    categories=short_tuples(codings),
    onset=optional_dates,
    abatement=optional_dates,
    recorded=optional_dates,
)

references = st.builds(
    ResourceReference,
    reference=st.one_of(st.none(), ids.map(lambda i: f"Practitioner/{i}")),
    identifier=st.one_of(
        st.none(), npis.map(lambda n: Identifier(system=NPI_SYSTEM, value=n))
    ),
    display=st.one_of(st.none(), fhir_text),
).filter(lambda r: r.reference or r.identifier or r.display)

medication_requests = st.builds(
    MedicationRequest,
    id=st.one_of(st.none(), ids),
    status=st.sampled_from(["active", "on-hold", "completed", "stopped"]),
    intent=st.sampled_from(["proposal", "plan", "order"]),
    medication=st.one_of(st.none(), codings),
    other_codings=short_tuples(codings),
    medication_text=st.one_of(st.none(), fhir_text),
    authored_on=st.one_of(st.none(), instants),
    requester=st.one_of(st.none(), references),
    dosage=short_tuples(fhir_text),
    reasons=short_tuples(codings),
).filter(lambda m: m.medication is not None or m.medication_text is not None)
# other_codings need a first coding to follow.
medication_requests = medication_requests.filter(
    lambda m: m.medication is not None or not m.other_codings
)

immunizations = st.builds(
    Immunization,
    id=st.one_of(st.none(), ids),
    status=st.sampled_from(["completed", "entered-in-error", "not-done"]),
    vaccine=codings,
    other_codings=short_tuples(codings),
    vaccine_text=st.one_of(st.none(), fhir_text),
    occurrence=instants,
    primary_source=st.one_of(st.none(), st.booleans()),
    lot_number=st.one_of(st.none(), fhir_text),
)


@st.composite
def appointments(draw: st.DrawFn) -> KaiserAppointment:
    start = draw(st.one_of(st.none(), instants))
    end = None
    if start is not None:
        end = start + draw(st.timedeltas(timedelta(minutes=5), timedelta(hours=3)))
    return KaiserAppointment(
        id=draw(st.one_of(st.none(), ids)),
        booking_id=f"urn:uuid:{draw(st.uuids())}",
        patient=Identifier(system=MRN_SYSTEM, value=draw(mrns)),
        practitioner=Identifier(system=NPI_SYSTEM, value=draw(npis)),
        location=Identifier(
            system=FACILITY_SYSTEM, value=draw(st.sampled_from(["NCAL", "SCAL", "HI"]))
        ),
        department=draw(st.from_regex(r"[A-Z][A-Z0-9_]{1,20}", fullmatch=True)),
        appointment_type=draw(st.sampled_from(list(APPOINTMENT_TYPES))),
        status=draw(st.sampled_from(AppointmentStatus)),
        start=start,
        end=end,
        description=draw(st.one_of(st.none(), fhir_text)),
        created=draw(st.one_of(st.none(), instants)),
    )


zip_codes = st.from_regex(r"[0-9]{5}", fullmatch=True)
names = st.builds(
    HumanName,
    use=st.sampled_from([None, "official", "usual"]),
    family=st.one_of(st.none(), fhir_text),
    given=short_tuples(fhir_text),
)
patients = st.builds(
    Patient,
    id=ids,
    identifiers=mrns.map(lambda m: (Identifier(system=MRN_SYSTEM, value=m),)),
    names=short_tuples(names),
    gender=st.one_of(st.none(), st.sampled_from(AdministrativeGender)),
    birth_date=optional_dates,
    addresses=short_tuples(
        st.builds(
            Address,
            use=st.sampled_from([None, "home"]),
            line=short_tuples(fhir_text),
            city=st.one_of(st.none(), fhir_text),
            postal_code=st.one_of(
                st.none(), st.from_regex(r"[0-9]{5}", fullmatch=True)
            ),
            country=st.just("US"),
        )
    ),
    telecom=short_tuples(
        st.builds(ContactPoint, system=st.just("phone"), value=fhir_text)
    ),
)


# Round trips


@given(conditions, ids)
def test_condition_round_trip(condition: Condition, patient_id: str) -> None:
    resource = json.loads(json_wire(condition_to_fhir(condition, patient_id)))
    assert condition_from_fhir(resource) == condition


@given(medication_requests, ids)
def test_medication_request_round_trip(
    request: MedicationRequest, patient_id: str
) -> None:
    resource = json.loads(json_wire(medication_request_to_fhir(request, patient_id)))
    assert medication_request_from_fhir(resource) == request


@given(immunizations, ids)
def test_immunization_round_trip(immunization: Immunization, patient_id: str) -> None:
    resource = json.loads(json_wire(immunization_to_fhir(immunization, patient_id)))
    assert immunization_from_fhir(resource) == immunization


@given(appointments(), st.one_of(st.none(), ids))
def test_appointment_round_trip(
    appointment: KaiserAppointment, patient_id: str | None
) -> None:
    resource = json.loads(json_wire(appointment_to_fhir(appointment, patient_id)))
    assert appointment_from_fhir(resource) == appointment


@given(patients)
def test_patient_round_trip(patient: Patient) -> None:
    assert patient_from_fhir(json.loads(json_wire(patient_to_fhir(patient)))) == patient


# Validation against openapi.yaml and the R4B models


def _search_url(resource_type: str, **query: str) -> str:
    return f"{API}/{resource_type}?{urlencode(query)}"


@given(st.lists(conditions, max_size=5), ids, st.integers(0, 6))
@settings(max_examples=40)
def test_condition_pages_validate(
    found: list[Condition], patient_id: str, offset: int
) -> None:
    resources = [condition_to_fhir(c, patient_id) for c in found]
    query = {"patient": patient_id, "category": "problem-list-item"}
    bundle = search_page_bundle(
        resources,
        search_url=f"{API}/Condition",
        query=query,
        offset=offset,
        page_size=2,
    )
    FhirBundle.model_validate(bundle)
    for entry in bundle.get("entry", []):
        FhirCondition.model_validate(entry["resource"])
    check_exchange("GET", _search_url("Condition", **query), 200, bundle)
    page = read_search_page(json.loads(json_wire(bundle)), "Condition", patient_id)
    assert [condition_from_fhir(r) for r in page.resources] == found[
        offset : offset + 2
    ]
    assert (page.next_url is not None) == (offset + 2 < len(found))


@given(st.lists(medication_requests, max_size=4), ids)
@settings(max_examples=40)
def test_medication_request_pages_validate(
    found: list[MedicationRequest], patient_id: str
) -> None:
    resources = [medication_request_to_fhir(m, patient_id) for m in found]
    bundle = search_page_bundle(
        resources,
        search_url=f"{API}/MedicationRequest",
        query={"patient": patient_id},
        offset=0,
        page_size=4,
    )
    FhirBundle.model_validate(bundle)
    for resource in resources:
        FhirMedicationRequest.model_validate(resource)
    check_exchange(
        "GET", _search_url("MedicationRequest", patient=patient_id), 200, bundle
    )


@given(st.lists(immunizations, max_size=4), ids)
@settings(max_examples=40)
def test_immunization_pages_validate(
    found: list[Immunization], patient_id: str
) -> None:
    resources = [immunization_to_fhir(i, patient_id) for i in found]
    bundle = search_page_bundle(
        resources,
        search_url=f"{API}/Immunization",
        query={"patient": patient_id},
        offset=0,
        page_size=4,
    )
    FhirBundle.model_validate(bundle)
    for resource in resources:
        FhirImmunization.model_validate(resource)
    check_exchange("GET", _search_url("Immunization", patient=patient_id), 200, bundle)


@given(patients)
@settings(max_examples=40)
def test_patient_search_validates(patient: Patient) -> None:
    resource = patient_to_fhir(patient)
    FhirPatient.model_validate(resource)
    mrn = patient.identifier_value(MRN_SYSTEM)
    query = {"identifier": f"{MRN_SYSTEM}|{mrn}"}
    bundle = search_page_bundle(
        [resource], search_url=f"{API}/Patient", query=query, offset=0, page_size=2
    )
    check_exchange("GET", _search_url("Patient", **query), 200, bundle)


@given(appointments(), ids)
@settings(max_examples=40)
def test_appointment_validates(appointment: KaiserAppointment, patient_id: str) -> None:
    resource = appointment_to_fhir(appointment, patient_id)
    FhirAppointment.model_validate(resource)
    header = if_none_exist(appointment.booking_id or "")
    for status in (200, 201):
        check_exchange(
            "POST",
            f"{API}/Appointment",
            status,
            resource,
            body=resource,
            **{"If-None-Exist": header},
        )


# Examples


def test_text_in_any_script_survives_as_utf8() -> None:
    condition = Condition(
        code=Coding(system="http://snomed.info/sct", code="38341003"),
        text="高血圧 · Гипертония · ارتفاع ضغط الدم",
    )
    encoded = json_wire(condition_to_fhir(condition, "p1"))

    assert "高血圧".encode() in encoded
    assert condition_from_fhir(json.loads(encoded)).text == condition.text


def test_medication_reference_is_not_written() -> None:
    request = MedicationRequest(
        status="active", intent="order", medication_reference="Medication/m1"
    )

    with pytest.raises(ValueError, match="medication_reference cannot be written"):
        medication_request_to_fhir(request, "p1")


def test_immunization_without_occurrence_is_not_written() -> None:
    immunization = Immunization(status="completed", vaccine=Coding(code="140"))

    with pytest.raises(ValueError, match="requires occurrence"):
        immunization_to_fhir(immunization, "p1")
