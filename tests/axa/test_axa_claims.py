"""claim_data checks and the identifier formats, all before any request."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecert.adapters.axa.claims import InvalidClaimError, claim_from_data
from carecert.adapters.axa.codes import (
    ICD10_SYSTEM,
    PARTNER_SYSTEM,
    POLICY_SYSTEM,
    PROVIDER_SYSTEM,
    TREATMENT_SYSTEM,
    UNSPECIFIED_TREATMENT,
    validate_country,
    validate_icd10,
    validate_policy_number,
    validate_treatment_code,
)
from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.models import Money

TODAY = date(2025, 6, 1)
POLICY = "AXA100000001"
PARTNER = "CARECERT_PARTNER_01"

# The claim of the integration guide, with its float amount.
GUIDE_CLAIM: dict[str, Any] = {
    "amount": 150.00,
    "currency": "EUR",
    "service_date": "2025-01-20",
    "diagnosis_codes": ["I10", "E11"],
}


def build(**changes: Any) -> Any:
    data = {**GUIDE_CLAIM, **changes}
    return claim_from_data(POLICY, data, partner_code=PARTNER, today=TODAY)


def rejected_field(**changes: Any) -> InvalidClaimError:
    with pytest.raises(InvalidClaimError) as caught:
        build(**changes)
    return caught.value


def test_guide_claim_builds_exact_claim() -> None:
    claim = build()
    assert claim.total == Money(amount=Decimal("150.00"), currency="EUR")
    assert claim.total is not None
    assert claim.total.minor_units() == 15000
    assert claim.service_date == date(2025, 1, 20)
    assert [d.code for d in claim.diagnoses] == ["I10", "E11"]
    assert {d.system for d in claim.diagnoses} == {ICD10_SYSTEM}
    assert claim.patient.system == POLICY_SYSTEM
    assert claim.policy == claim.patient
    assert claim.provider.system == PARTNER_SYSTEM
    assert claim.items[0].service.code == UNSPECIFIED_TREATMENT


def test_optional_treatment_and_provider() -> None:
    claim = build(treatment_code="CARD_CONSULT", provider_id="PROV_001")
    assert claim.items[0].service.system == TREATMENT_SYSTEM
    assert claim.items[0].service.code == "CARD_CONSULT"
    assert claim.provider.system == PROVIDER_SYSTEM
    assert claim.provider.value == "PROV_001"


def test_service_date_accepts_date_object() -> None:
    assert build(service_date=date(2025, 5, 31)).service_date == date(2025, 5, 31)


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-02",
        "20250120",
        "2025-02-30",
        "20-01-2025",
        "2025-1-20",
        "",
        20250120,
        None,
        datetime(2025, 1, 20, 10, 0),
    ],
)
def test_invalid_service_date_rejected(value: object) -> None:
    error = rejected_field(service_date=value)
    assert error.field == "service_date"


def test_future_service_date_names_today() -> None:
    error = rejected_field(service_date="2025-06-02")
    assert "2025-06-01" in str(error)


@pytest.mark.parametrize(
    ("codes", "index"),
    [
        (["i10"], 0),
        (["I10", "E1"], 1),
        (["I10", "E11.123"], 1),
        (["I10", "S72.001A"], 1),
        (["I10", "E11.X"], 1),
        (["I10", " E11"], 1),
        (["I10", "I10"], 1),
        (["I10", 11], 1),
        (["123457"], 0),
    ],
)
def test_invalid_diagnosis_code_rejected(codes: list[object], index: int) -> None:
    error = rejected_field(diagnosis_codes=codes)
    assert error.field == "diagnosis_codes"
    assert error.index == index
    assert f"['diagnosis_codes'][{index}]" in str(error)


@pytest.mark.parametrize("codes", [[], "I10", None, {"I10": 1}])
def test_diagnosis_codes_must_be_a_list(codes: object) -> None:
    assert rejected_field(diagnosis_codes=codes).field == "diagnosis_codes"


def test_missing_and_unknown_keys_rejected() -> None:
    data = {key: value for key, value in GUIDE_CLAIM.items() if key != "currency"}
    with pytest.raises(InvalidClaimError, match="currency") as caught:
        claim_from_data(POLICY, data, partner_code=PARTNER, today=TODAY)
    assert caught.value.field == "currency"
    assert rejected_field(amout=1).field == "amout"


def test_claim_data_must_be_a_mapping() -> None:
    with pytest.raises(InvalidClaimError, match="mapping"):
        claim_from_data(POLICY, ["150"], partner_code=PARTNER, today=TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [("treatment_code", "card_consult"), ("treatment_code", UNSPECIFIED_TREATMENT)]
    + [("provider_id", "prov 001"), ("provider_id", "")],
)
def test_invalid_optional_codes_rejected(field: str, value: str) -> None:
    assert rejected_field(**{field: value}).field == field


# Identifier formats

icd10_codes = st.from_regex(r"\A[A-Z][0-9]{2}(\.[0-9]{1,2})?\Z")


@given(icd10_codes)
def test_generated_icd10_codes_accepted(code: str) -> None:
    assert validate_icd10(code) == code


@given(icd10_codes, st.data())
def test_icd10_letter_digit_swap_rejected(code: str, data: st.DataObject) -> None:
    # ICD-10 has no check digit, so a changed character is rejected only when
    # it breaks the format: a letter where a digit belongs or the reverse.
    position = data.draw(st.integers(min_value=0, max_value=2))
    replacement = "7" if position == 0 else "Q"
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(InvalidIdentifierError, match="ICD-10"):
        validate_icd10(changed)


@pytest.mark.parametrize("code", ["I10", "E11", "E11.9", "M80.08", "U07.1", "Z99.2"])
def test_who_icd10_examples_accepted(code: str) -> None:
    assert validate_icd10(code) == code


@pytest.mark.parametrize(
    "number", ["AXA12345678", "AXA1234567890", "axa123456789", "AXB123456789", ""]
)
def test_invalid_policy_number_rejected(number: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="AXA followed by nine digits"):
        validate_policy_number(number)


def test_guide_identifiers_have_valid_format() -> None:
    # AXA publishes no check digit, so the guide's policy number passes the
    # format check; carecert cannot tell whether AXA issued it.
    assert validate_policy_number("AXA123456789") == "AXA123456789"
    assert validate_treatment_code("CARD_CONSULT") == "CARD_CONSULT"


@pytest.mark.parametrize("country", ["ES", "FR", "JP", "US", "GB"])
def test_iso_countries_accepted(country: str) -> None:
    assert validate_country(country) == country


@pytest.mark.parametrize("country", ["UK", "EU", "XK", "es", "ESP", "ZZ", ""])
def test_non_iso_countries_rejected(country: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="ISO 3166-1"):
        validate_country(country)
