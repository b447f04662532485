"""Amounts and diagnosis codes from HL7's published FHIR R4 claim examples.

Each Money element of the Claim and ClaimResponse examples is read twice:
as the float that a default JSON parser gives, and as the exact decimal
text. Money.of must give the same amount both ways, and the amount must
survive the AXA wire format.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carecert.adapters.axa.claims import parse_amount
from carecert.adapters.axa.codes import ICD10_SYSTEM, validate_icd10
from carecert.adapters.axa.mapping import amount_from_wire, amount_to_wire
from carecert.adapters.errors import InvalidIdentifierError
from carecert.adapters.models import Money

from ..realdata import real_file_params, require_real

EXAMPLES = "hl7-fhir-r4-examples"
PAYER_FILES = [
    *real_file_params(EXAMPLES, pattern="claim-example*.json"),
    *real_file_params(EXAMPLES, pattern="claimresponse-example*.json"),
]


def money_elements(value: Any, where: str = "") -> Iterator[tuple[str, Any, str]]:
    if isinstance(value, dict):
        if "value" in value and "currency" in value:
            yield where, value["value"], value["currency"]
        for key, item in value.items():
            yield from money_elements(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from money_elements(item, f"{where}[{index}]")


def codings(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            yield value
        for item in value.values():
            yield from codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from codings(item)


@pytest.mark.parametrize("path", PAYER_FILES)
def test_real_amounts_float_equals_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    as_floats = list(money_elements(json.loads(text)))
    as_decimals = list(money_elements(json.loads(text, parse_float=Decimal)))
    if not as_decimals:
        pytest.skip(f"{path.name} has no Money element")

    assert len(as_floats) == len(as_decimals)
    for (where, number, currency), (_, exact, _) in zip(
        as_floats, as_decimals, strict=True
    ):
        from_float = Money.of(number, currency)
        assert from_float == Money.of(exact, currency), where
        assert amount_from_wire(amount_to_wire(from_float)) == from_float, where


@pytest.mark.parametrize("path", PAYER_FILES)
def test_real_amounts_accepted_as_claims(path: Path) -> None:
    amounts = list(money_elements(json.loads(path.read_text(encoding="utf-8"))))
    positive = [(w, n, c) for w, n, c in amounts if n > 0]
    if not positive:
        pytest.skip(f"{path.name} has no positive Money element")
    for where, number, currency in positive:
        money = parse_amount(number, currency)
        assert money.amount == Decimal(repr(number)), where


def test_real_non_icd10_code_rejected() -> None:
    # HL7's orthodontic plan example labels the code 123457 as ICD-10, which
    # has no ICD-10 format, so carecert must reject it before any request.
    path = require_real(f"{EXAMPLES}/claim-example-oral-orthoplan.json")
    found = [
        coding["code"]
        for coding in codings(json.loads(path.read_text(encoding="utf-8")))
        if coding["system"] == ICD10_SYSTEM
    ]
    assert found == ["123457"]
    with pytest.raises(InvalidIdentifierError, match="WHO ICD-10"):
        validate_icd10(found[0])
