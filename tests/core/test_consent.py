"""Consent registry: active consent passes, and each rejection states its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carecert.adapters.compliance.consent import (
    ConsentBasis,
    ConsentRecord,
    ConsentRegistry,
)
from carecert.adapters.errors import ConsentRequiredError
from carecert.adapters.models import Identifier

NHS = "https://fhir.nhs.uk/Id/nhs-number"
PATIENT = Identifier(system=NHS, value="9000000009")
OTHER_PATIENT = Identifier(system=NHS, value="9434765919")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PURPOSE = "direct-care"


def consent(**overrides: object) -> ConsentRecord:
    fields: dict[str, object] = {
        "patient": PATIENT,
        "purpose": PURPOSE,
        "basis": ConsentBasis.EXPLICIT,
        "granted_at": NOW - timedelta(days=30),
    }
    fields.update(overrides)
    return ConsentRecord(**fields)  # type: ignore[arg-type]


def rejection_message(registry: ConsentRegistry) -> str:
    with pytest.raises(ConsentRequiredError) as caught:
        registry.check(PATIENT, PURPOSE, at=NOW)
    return str(caught.value)


def test_active_record_returned() -> None:
    record = consent(expires_at=NOW + timedelta(days=1))
    registry = ConsentRegistry([consent(patient=OTHER_PATIENT), record])
    assert registry.check(PATIENT, PURPOSE, at=NOW) is record


def test_written_basis_accepted() -> None:
    record = consent(basis=ConsentBasis.WRITTEN)
    assert ConsentRegistry([record]).check(PATIENT, PURPOSE, at=NOW) is record


def test_granted_record_checked() -> None:
    registry = ConsentRegistry()
    record = consent()
    registry.grant(record)
    assert registry.check(PATIENT, PURPOSE, at=NOW) is record


def test_default_time_is_now() -> None:
    record = consent(granted_at=datetime.now(UTC) - timedelta(minutes=1))
    assert ConsentRegistry([record]).check(PATIENT, PURPOSE) is record


def test_no_consent_reason() -> None:
    message = rejection_message(ConsentRegistry([consent(patient=OTHER_PATIENT)]))
    assert message.startswith("No consent is recorded for patient 9000000009")
    assert "covers only" not in message


def test_withdrawn_reason() -> None:
    message = rejection_message(
        ConsentRegistry([consent(withdrawn_at=NOW - timedelta(days=1))])
    )
    assert "was withdrawn" in message


def test_expired_reason() -> None:
    message = rejection_message(
        ConsentRegistry([consent(expires_at=NOW - timedelta(days=1))])
    )
    assert "has expired" in message


def test_expires_exactly_now() -> None:
    message = rejection_message(ConsentRegistry([consent(expires_at=NOW)]))
    assert "has expired" in message


def test_other_purpose_reason() -> None:
    registry = ConsentRegistry(
        [consent(purpose="research"), consent(purpose="appointments")]
    )
    message = rejection_message(registry)
    assert "consent covers only: appointments, research" in message


def test_basis_not_accepted_reason() -> None:
    message = rejection_message(ConsentRegistry([consent(basis=ConsentBasis.IMPLIED)]))
    assert "basis this region does not accept" in message
    assert "accepted: explicit, written" in message


def test_not_yet_in_force_reason() -> None:
    message = rejection_message(
        ConsentRegistry([consent(granted_at=NOW + timedelta(hours=1))])
    )
    assert "not yet in force" in message
    assert NOW.isoformat() in message


def test_reasons_distinct() -> None:
    registries = [
        ConsentRegistry(),
        ConsentRegistry([consent(withdrawn_at=NOW - timedelta(days=1))]),
        ConsentRegistry([consent(expires_at=NOW - timedelta(days=1))]),
        ConsentRegistry([consent(purpose="research")]),
        ConsentRegistry([consent(basis=ConsentBasis.OPT_OUT)]),
        ConsentRegistry([consent(granted_at=NOW + timedelta(days=1))]),
    ]
    messages = {rejection_message(registry) for registry in registries}
    assert len(messages) == len(registries)


def test_custom_accepted_bases() -> None:
    record = consent(basis=ConsentBasis.IMPLIED)
    registry = ConsentRegistry([record], accepted_bases=frozenset(ConsentBasis))
    assert registry.check(PATIENT, PURPOSE, at=NOW) is record


def test_withdraw_counts_active() -> None:
    registry = ConsentRegistry(
        [
            consent(),
            consent(basis=ConsentBasis.WRITTEN),
            consent(expires_at=NOW - timedelta(days=1)),
            consent(purpose="research"),
            consent(patient=OTHER_PATIENT),
        ]
    )
    assert registry.withdraw(PATIENT, PURPOSE, at=NOW) == 2
    assert registry.withdraw(PATIENT, PURPOSE, at=NOW) == 0


def test_withdraw_blocks_check() -> None:
    registry = ConsentRegistry([consent()])
    registry.withdraw(PATIENT, PURPOSE, at=NOW)
    message = rejection_message(registry)
    assert "was withdrawn" in message


def test_withdraw_keeps_other_purposes() -> None:
    research = consent(purpose="research")
    registry = ConsentRegistry([consent(), research])
    registry.withdraw(PATIENT, PURPOSE, at=NOW)
    assert registry.check(PATIENT, "research", at=NOW) is research


def test_consent_before_withdrawal_active() -> None:
    record = consent(withdrawn_at=NOW)
    assert record.is_active(NOW - timedelta(seconds=1))
    assert not record.is_active(NOW)


@pytest.mark.parametrize("field", ["granted_at", "expires_at", "withdrawn_at"])
def test_naive_record_time_rejected(field: str) -> None:
    with pytest.raises(ValueError) as caught:
        consent(**{field: datetime(2025, 6, 1, 12, 0)})
    assert f"ConsentRecord.{field} must be timezone-aware" in str(caught.value)


def test_naive_check_time_rejected() -> None:
    registry = ConsentRegistry([consent()])
    with pytest.raises(ValueError) as caught:
        registry.check(PATIENT, PURPOSE, at=datetime(2025, 6, 1, 12, 0))
    assert "timezone-aware" in str(caught.value)


def test_naive_check_time_empty_registry() -> None:
    with pytest.raises(ValueError):
        ConsentRegistry().check(PATIENT, PURPOSE, at=datetime(2025, 6, 1, 12, 0))


def test_naive_withdraw_time_rejected() -> None:
    registry = ConsentRegistry([consent()])
    with pytest.raises(ValueError):
        registry.withdraw(PATIENT, PURPOSE, at=datetime(2025, 6, 1, 12, 0))
