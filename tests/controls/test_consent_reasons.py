"""Why a consent case does not apply: one true statement per consent model.

Where a reason claims how a model treats a changed record, the test offers
that record to the model and checks the model's decision.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.compliance.consent_policy import (
    ConsentPolicy,
    RegionConsentModel,
)
from carecert.adapters.errors import ConsentRequiredError
from carecert.adapters.models import Identifier
from carecert.harness.controls.consent import REJECTION_CASES, rejection_case

PATIENT = Identifier(system="urn:carecert:test-patient", value="TP-000003")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GOOD = ConsentRecord(
    patient=PATIENT,
    purpose="direct-care",
    basis=ConsentBasis.WRITTEN,
    granted_at=NOW - timedelta(days=30),
    evidence_reference="signed form XX-0001",
)
MODELS = (
    "explicit",
    "opt-in",
    "granular",
    "written",
    "explicit-or-legal-basis",
    "implied",
    "opt-out",
)
PRESUMING = ("implied", "opt-out")

# The reason each model gives for each case that does not apply to it.
EXPECTED_REASONS = {
    ("explicit", "opted out"): "has no opt-out consent model",
    ("explicit", "bundled purposes"): "has no granular consent model",
    ("explicit", "written without evidence"): "has no written consent model",
    ("explicit", "explicit without writing"): "has no written consent model",
    ("explicit", "legal basis unnamed"): (
        "does not accept a legal basis in place of consent, so it rejects a "
        "legal-basis record whether or not the record names its basis"
    ),
    ("written", "legal basis unnamed"): "does not accept a legal basis in place",
    ("granular", "written without evidence"): "has no written consent model",
    ("explicit-or-legal-basis", "bundled purposes"): "has no granular consent",
    ("implied", "no record"): "presumes consent when no record exists",
    ("implied", "expired"): (
        "presumes consent without a record, so an expired record is no reason"
    ),
    ("implied", "other purpose"): "presumes consent for every purpose",
    ("implied", "unaccepted basis"): "so it rejects no consent basis",
    ("implied", "legal basis unnamed"): (
        "presumes consent without a record, so it does not check whether a "
        "legal-basis record names its basis"
    ),
    ("opt-out", "no record"): (
        "presumes consent unless the patient has opted out, so a missing "
        "record is no reason to reject"
    ),
    ("opt-out", "other purpose"): (
        "presumes consent for every purpose the patient has not opted out of"
    ),
    ("opt-out", "unaccepted basis"): "so it rejects no consent basis",
    ("opt-out", "legal basis unnamed"): (
        "presumes consent without a record, so it does not check whether a "
        "legal-basis record names its basis"
    ),
}


def _policy(model: str) -> ConsentPolicy:
    return ConsentPolicy((RegionConsentModel("XX", model),))


def _allows(policy: ConsentPolicy, record: ConsentRecord | None) -> bool:
    registry = ConsentRegistry([record] if record is not None else [])
    try:
        policy.decide(
            registry, PATIENT, record.purpose if record else "direct-care", NOW
        )
    except ConsentRequiredError:
        return False
    return True


@pytest.mark.parametrize(("model", "case"), sorted(EXPECTED_REASONS))
def test_reason_states_why(model: str, case: str) -> None:
    reason = rejection_case(case, _policy(model), GOOD, NOW)

    assert isinstance(reason, str), f"{case} applies to {model}"
    assert reason.startswith(f"XX {model} consent ")
    assert EXPECTED_REASONS[(model, case)] in reason


@pytest.mark.parametrize("model", PRESUMING)
@pytest.mark.parametrize("case", sorted(REJECTION_CASES))
def test_presuming_reason_omits_not_accepted(model: str, case: str) -> None:
    reason = rejection_case(case, _policy(model), GOOD, NOW)

    if isinstance(reason, str):
        assert "does not accept" not in reason


@pytest.mark.parametrize("model", PRESUMING)
def test_presuming_model_allows_unnamed_legal_basis(model: str) -> None:
    record = dataclasses.replace(
        GOOD, basis=ConsentBasis.LEGAL_BASIS, evidence_reference=None
    )

    assert _allows(_policy(model), record)


@pytest.mark.parametrize("model", ["explicit", "opt-in", "granular", "written"])
def test_record_model_rejects_named_legal_basis(model: str) -> None:
    record = dataclasses.replace(
        GOOD, basis=ConsentBasis.LEGAL_BASIS, evidence_reference="Art. 9(2)(h)"
    )

    assert not _allows(_policy(model), record)


@pytest.mark.parametrize("model", PRESUMING)
def test_presuming_model_allows_expired_record(model: str) -> None:
    record = dataclasses.replace(GOOD, expires_at=NOW - timedelta(days=1))

    assert _allows(_policy(model), record)


@pytest.mark.parametrize("model", ["explicit", "explicit-or-legal-basis"])
def test_no_granular_model_allows_bundled(model: str) -> None:
    record = dataclasses.replace(GOOD, bundled_with=("research", "marketing"))

    assert _allows(_policy(model), record)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", sorted(REJECTION_CASES))
def test_reason_names_the_model(model: str, case: str) -> None:
    outcome = rejection_case(case, _policy(model), GOOD, NOW)

    if isinstance(outcome, str):
        assert outcome.startswith(f"XX {model} consent ")
        assert ", so " in outcome or "presumes consent" in outcome
