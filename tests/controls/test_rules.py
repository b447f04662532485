"""Control rules: a provider in several regions meets the stricter parameters."""

from __future__ import annotations

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.compliance.consent import ConsentBasis
from carecert.harness.controls.rules import rules_for

CATALOGUE = load_catalogue()


def test_single_region_uses_its_own_parameters() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-RET-02"), ("UK",))

    assert rules.codes == ("UK",)
    assert rules.retention_years() == (7, "UK 7 years")
    region, rule = rules.residency()
    assert region is CATALOGUE.region("UK")
    assert rule == "UK residency list"


def test_longer_retention_of_member_region_wins() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-RET-02"), ("DE",))

    assert rules.codes == ("EU", "DE")
    assert rules.retention_years() == (10, "DE 10 years (stricter than EU 6 years)")


def test_longer_retention_of_control_region_wins() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-RET-02"), ("ES",))

    assert rules.retention_years() == (6, "EU 6 years (stricter than ES 5 years)")


def test_equal_retention_names_both_regions() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-RET-02"), ("FR",))

    assert rules.retention_years() == (6, "EU 6 years (the same in FR)")


def test_residency_is_intersection() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-RES-01"), ("ES",))

    region, rule = rules.residency()

    assert region.residency_preferred == frozenset({"ES"})
    assert region.allows_jurisdiction("FR")
    assert not region.allows_jurisdiction("GB")
    assert rule.startswith("intersection of the EU and ES residency lists")


def test_disjoint_residency_allows_nothing() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-RES-01"), ("UK", "US"))

    region, rule = rules.residency()

    assert not region.allows_jurisdiction("GB")
    assert not region.allows_jurisdiction("US")
    assert rule.endswith("no jurisdiction")


def test_consent_bases_are_intersection() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-CON-01"), ("DE",))

    bases, rule = rules.accepted_bases()

    assert bases == frozenset({ConsentBasis.WRITTEN})
    assert (
        rule
        == "intersection of consent models (EU granular, DE written) accepts: written"
    )
    assert rules.rejected_basis() == ConsentBasis.EXPLICIT


def test_implied_model_rejects_no_basis() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("US-CON-01"), ("US",))

    assert rules.rejected_basis() is None


def test_unknown_provider_region_ignored() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-RET-02"), ("UK", "XX"))

    assert rules.codes == ("UK",)


def test_parent_region_retention_applies_to_member() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("ES-RET-02"), ("ES",))

    years, decided_by = rules.retention_years()

    assert rules.codes == ("ES", "EU")
    assert years == 6
    assert decided_by == "EU 6 years (stricter than ES 5 years)"
