"""Property tests of the Medicare mappings.

Canonical -> FHIR -> canonical must be the identity on every value the wire
carries, and what the mappings write must validate against the adapter's
openapi.yaml (through SpecValidator) and against the fhir.resources R4B
models. FHIR strings are never empty and contain no whitespace other than
space, tab and newline, so the text strategy draws such strings in any script.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle as FhirBundle
from fhir.resources.R4B.claim import Claim as FhirClaim
from fhir.resources.R4B.claimresponse import ClaimResponse as FhirClaimResponse
from fhir.resources.R4B.parameters import Parameters as FhirParameters
from fhir.resources.R4B.patient import Patient as FhirPatient
from hypothesis import given, settings
from hypothesis import strategies as st

from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.identifiers.au_healthcare_identifiers import (
    HealthcareIdentifierKind,
)
from carecert.adapters.medicare_au import MedicareAustraliaProvider
from carecert.adapters.medicare_au.claims import (
    claim_from_fhir,
    claim_result_from_fhir,
    claim_result_to_fhir,
    claim_to_fhir,
)
from carecert.adapters.medicare_au.codes import (
    IHI_SYSTEM,
    MBS_ITEM_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)
from carecert.adapters.medicare_au.record import (
    RECORD_SECTIONS,
    RecordRequest,
    patient_from_fhir,
    patient_to_fhir,
    record_bundle,
    record_from_bundle,
    record_parameters,
    record_request_from_parameters,
)
from carecert.adapters.medicare_au.synthetic import (
    SNOMED,
    healthcare_identifier,
    medicare_number,
    provider_number,
    synthetic_patients,
)
from carecert.adapters.models import (
    Address,
    AdministrativeGender,
    AllergyIntolerance,
    Claim,
    ClaimItem,
    ClaimOutcome,
    ClaimResult,
    ClinicalStatus,
    Coding,
    Condition,
    ContactPoint,
    HumanName,
    Identifier,
    MedicationStatement,
    Money,
    Patient,
    PatientRecord,
)
from carecert.harness.conformance import (
    ExchangeRequest,
    ExchangeResponse,
)

from ..support.openapi import json_wire, openapi_validator

MHR = "https://services.ehealth.gov.au/mhr/fhir/r4/Patient/$my-health-record"
CLAIM = "https://healthclaiming.api.humanservices.gov.au/claiming/fhir/r4/Claim"
FHIR_JSON = "application/fhir+json"
SCRIPTS = ["Ngữ", "Đức", "Ō'Brien", "東京都", "Αθήνα", "مرحبا", "Привет", "🙂 ok"]
CREATED = datetime(2025, 1, 20, 9, 30, tzinfo=UTC)


def check_exchange(url: str, body: Any, status: int, payload: Any) -> None:
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    if url == CLAIM:
        headers["Idempotency-Key"] = "key-1"
    response_headers = {"Content-Type": FHIR_JSON}
    if status == 201:
        response_headers["Location"] = "/claiming/fhir/r4/ClaimResponse/claim-1"
    openapi_validator(MedicareAustraliaProvider.info).validate_exchange(
        None,
        None,
        ExchangeRequest("POST", url, headers, json_wire(body)),
        ExchangeResponse(status, response_headers, json_wire(payload)),
    )


# Strategies

fhir_text = st.one_of(
    st.sampled_from(SCRIPTS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1),
)
seeds = st.integers(min_value=0, max_value=2**32)
ihis = seeds.map(
    lambda s: healthcare_identifier(HealthcareIdentifierKind.IHI, random.Random(s))
)
hpios = seeds.map(
    lambda s: healthcare_identifier(HealthcareIdentifierKind.HPI_O, random.Random(s))
)
cards = st.tuples(seeds, st.booleans()).map(
    lambda pair: medicare_number(random.Random(pair[0]), irn=pair[1])
)
providers = seeds.map(lambda s: provider_number(random.Random(s)))
ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
instants = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)
).map(lambda moment: moment.replace(tzinfo=UTC, microsecond=0))
codings = st.builds(
    Coding,
    system=st.just(SNOMED),
    code=st.from_regex(r"[1-9][0-9]{5,17}", fullmatch=True),
    display=st.one_of(st.none(), fhir_text),
)
names = st.builds(
    HumanName,
    use=st.sampled_from([None, "official", "usual"]),
    family=st.one_of(st.none(), fhir_text),
    given=st.lists(fhir_text, max_size=3).map(tuple),
)
addresses = st.builds(
    Address,
    use=st.sampled_from([None, "home", "work"]),
    line=st.lists(fhir_text, max_size=2).map(tuple),
    city=st.one_of(st.none(), fhir_text),
    postal_code=st.one_of(st.none(), st.from_regex(r"[0-9]{4}", fullmatch=True)),
    country=st.sampled_from([None, "AU"]),
)
contacts = st.builds(
    ContactPoint,
    system=st.sampled_from(["phone", "email"]),
    value=fhir_text,
    use=st.sampled_from([None, "home", "mobile"]),
)


@st.composite
def patients(draw: st.DrawFn, ihi: str | None = None) -> Patient:
    identifiers = [Identifier(system=IHI_SYSTEM, value=ihi or draw(ihis))]
    if draw(st.booleans()):
        identifiers.append(Identifier(system=MEDICARE_NUMBER_SYSTEM, value=draw(cards)))
    return Patient(
        id=draw(st.one_of(st.none(), ids)),
        identifiers=tuple(identifiers),
        names=tuple(draw(st.lists(names, max_size=2))),
        gender=draw(st.one_of(st.none(), st.sampled_from(AdministrativeGender))),
        birth_date=draw(st.one_of(st.none(), dates)),
        addresses=tuple(draw(st.lists(addresses, max_size=2))),
        telecom=tuple(draw(st.lists(contacts, max_size=2))),
        restricted=draw(st.booleans()),
    )


@st.composite
def records(draw: st.DrawFn) -> PatientRecord:
    patient = draw(patients())
    if patient.id is None:
        patient = patient.model_copy(update={"id": "patient"})
    statuses = st.sampled_from([None, ClinicalStatus.ACTIVE, ClinicalStatus.RESOLVED])
    return PatientRecord(
        patient=patient,
        sections=RECORD_SECTIONS,
        conditions=tuple(
            draw(
                st.lists(
                    st.builds(
                        Condition,
                        id=ids,
                        code=codings,
                        clinical_status=statuses,
                        onset=st.one_of(st.none(), dates),
                    ),
                    max_size=2,
                )
            )
        ),
        medications=tuple(
            draw(
                st.lists(
                    st.builds(
                        MedicationStatement,
                        id=ids,
                        medication=codings,
                        status=st.sampled_from(["active", "completed", "stopped"]),
                        dosage=st.one_of(st.none(), fhir_text),
                        effective_start=st.one_of(st.none(), dates),
                    ),
                    max_size=2,
                )
            )
        ),
        allergies=tuple(
            draw(
                st.lists(
                    st.builds(
                        AllergyIntolerance,
                        id=ids,
                        substance=codings,
                        clinical_status=st.sampled_from(
                            [None, ClinicalStatus.ACTIVE, ClinicalStatus.INACTIVE]
                        ),
                        criticality=st.sampled_from([None, "low", "high"]),
                        recorded=st.one_of(st.none(), instants),
                    ),
                    max_size=2,
                )
            )
        ),
    )


amounts = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("99999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
).map(lambda amount: Money(amount=amount, currency="AUD"))


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    return Claim(
        patient=Identifier(system=MEDICARE_NUMBER_SYSTEM, value=draw(cards)),
        provider=Identifier(
            system=MEDICARE_PROVIDER_NUMBER_SYSTEM, value=draw(providers)
        ),
        service_date=draw(dates),
        items=tuple(
            draw(
                st.lists(
                    st.builds(
                        ClaimItem,
                        service=st.from_regex(r"[1-9][0-9]{0,4}", fullmatch=True).map(
                            lambda code: Coding(system=MBS_ITEM_SYSTEM, code=code)
                        ),
                        charge=st.one_of(st.none(), amounts),
                        quantity=st.integers(1, 5),
                    ),
                    min_size=1,
                    max_size=4,
                )
            )
        ),
        total=draw(st.one_of(st.none(), amounts)),
        idempotency_key=draw(st.one_of(st.none(), st.uuids().map(str))),
    )


results = st.builds(
    ClaimResult,
    claim_id=ids,
    outcome=st.sampled_from(ClaimOutcome),
    benefit=st.one_of(st.none(), amounts),
    patient_share=st.one_of(st.none(), amounts),
    messages=st.lists(fhir_text, max_size=2).map(tuple),
)


# Round trips


@given(patients())
def test_patient_round_trip(patient: Patient) -> None:
    assert patient_from_fhir(patient_to_fhir(patient)) == patient


@settings(max_examples=40)
@given(patients())
def test_patient_validates_r4b(patient: Patient) -> None:
    FhirPatient.model_validate(patient_to_fhir(patient))


@given(records())
def test_record_round_trip(record: PatientRecord) -> None:
    ihi = record.patient.identifier_value(IHI_SYSTEM)
    assert ihi is not None
    assert record_from_bundle(record_bundle(record), ihi=ihi) == record


@settings(max_examples=40)
@given(records(), hpios, st.one_of(st.none(), st.just("K7Q2M9")))
def test_record_exchange_conforms(
    record: PatientRecord, hpio: str, code: str | None
) -> None:
    ihi = record.patient.identifier_value(IHI_SYSTEM)
    assert ihi is not None
    parameters = record_parameters(RecordRequest(ihi=ihi, hpio=hpio, access_code=code))
    bundle = record_bundle(record)
    check_exchange(MHR, parameters, 200, bundle)
    FhirParameters.model_validate(parameters)
    FhirBundle.model_validate(bundle)


@given(
    ihis, hpios, st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{4,8}", fullmatch=True))
)
def test_record_request_round_trip(ihi: str, hpio: str, code: str | None) -> None:
    request = RecordRequest(ihi=ihi, hpio=hpio, access_code=code)
    assert record_request_from_parameters(record_parameters(request)) == request


@given(claims())
def test_claim_round_trip(claim: Claim) -> None:
    assert claim_from_fhir(claim_to_fhir(claim, created=CREATED)) == claim


@given(claims(), results)
def test_claim_result_round_trip(claim: Claim, result: ClaimResult) -> None:
    resource = claim_result_to_fhir(result, claim=claim, created=CREATED)
    assert claim_result_from_fhir(resource) == result


@settings(max_examples=40)
@given(claims(), results)
def test_claim_exchange_conforms(claim: Claim, result: ClaimResult) -> None:
    request = claim_to_fhir(claim, created=CREATED)
    response = claim_result_to_fhir(result, claim=claim, created=CREATED)
    check_exchange(CLAIM, request, 201, response)
    FhirClaim.model_validate(request)
    FhirClaimResponse.model_validate(response)


# Rejections


def _sample_record() -> PatientRecord:
    return next(iter(synthetic_patients().values())).record


def test_bundle_with_other_patient_rejected() -> None:
    record = _sample_record()
    bundle = record_bundle(record)
    other = healthcare_identifier(HealthcareIdentifierKind.IHI, random.Random(5))
    with pytest.raises(MappingError, match="is not the patient with IHI"):
        record_from_bundle(bundle, ihi=other)


def test_entry_for_other_patient_rejected() -> None:
    record = _sample_record()
    bundle = record_bundle(record)
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    ihi = record.patient.identifier_value(IHI_SYSTEM)
    assert ihi is not None
    with pytest.raises(MappingError, match="refers to a patient other than"):
        record_from_bundle(bundle, ihi=ihi)


def test_bundle_with_two_patients_rejected() -> None:
    record = _sample_record()
    bundle = record_bundle(record)
    bundle["entry"].append(bundle["entry"][0])
    with pytest.raises(MappingError, match="expected one Patient, found 2"):
        record_from_bundle(bundle, ihi="8003608833357361")


def test_patient_with_bad_ihi_rejected() -> None:
    resource = patient_to_fhir(_sample_record().patient)
    resource["identifier"][0]["value"] = "8003608833357362"
    with pytest.raises(InvalidIdentifierError, match="Luhn"):
        patient_from_fhir(resource)


def test_unknown_parameter_rejected() -> None:
    parameters = record_parameters(
        RecordRequest(ihi="8003608833357361", hpio="8003621566684455")
    )
    parameters["parameter"].append({"name": "purpose", "valueString": "x"})
    with pytest.raises(MappingError, match="unknown parameter 'purpose'"):
        record_request_from_parameters(parameters)


def test_claim_response_bad_outcome_rejected() -> None:
    claim = Claim(
        patient=Identifier(system=MEDICARE_NUMBER_SYSTEM, value="2123456701"),
        provider=Identifier(system=MEDICARE_PROVIDER_NUMBER_SYSTEM, value="2449001X"),
        service_date=date(2025, 1, 20),
        items=(ClaimItem(service=Coding(system=MBS_ITEM_SYSTEM, code="23")),),
    )
    result = ClaimResult(claim_id="c-1", outcome=ClaimOutcome.COMPLETE)
    resource = claim_result_to_fhir(result, claim=claim, created=CREATED)
    resource["outcome"] = "paid"
    with pytest.raises(MappingError, match="not a FHIR R4 claim outcome"):
        claim_result_from_fhir(resource)


def test_money_survives_as_exact_decimal() -> None:
    claim = Claim(
        patient=Identifier(system=MEDICARE_NUMBER_SYSTEM, value="2123456701"),
        provider=Identifier(system=MEDICARE_PROVIDER_NUMBER_SYSTEM, value="2449001X"),
        service_date=date(2025, 1, 20),
        items=(ClaimItem(service=Coding(system=MBS_ITEM_SYSTEM, code="23")),),
    )
    result = ClaimResult(
        claim_id="c-1",
        outcome=ClaimOutcome.COMPLETE,
        benefit=Money(amount=Decimal("125.75"), currency="AUD"),
    )
    text = json.dumps(claim_result_to_fhir(result, claim=claim, created=CREATED))
    read = claim_result_from_fhir(json.loads(text))
    assert read.benefit == Money(amount=Decimal("125.75"), currency="AUD")
    assert read.benefit is not None
    assert read.benefit.minor_units() == 12575
