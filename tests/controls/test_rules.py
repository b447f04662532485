"""Control rules: a provider in several regions meets the stricter parameters."""

from __future__ import annotations

import dataclasses

import pytest

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.compliance.consent import ConsentBasis
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
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


def test_tls_floor_from_catalogue() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-ENC-01"), ("UK",))

    floor, rule = rules.tls_floor(_info("TLSv1.2"))

    assert floor == "TLSv1.2"
    assert rule == "TLSv1.2 from UK catalogue, tls-test ProviderInfo"


def test_tls_floor_raised_by_provider() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("ES-ENC-01"), ("ES",))

    floor, rule = rules.tls_floor(_info("TLSv1.3"))

    assert floor == "TLSv1.3"
    assert rule == (
        "TLSv1.3 from tls-test ProviderInfo "
        "(higher than ES catalogue TLSv1.2, EU catalogue TLSv1.2)"
    )


def test_tls_floor_raised_by_region() -> None:
    catalogue = dataclasses.replace(
        CATALOGUE,
        regions={
            **CATALOGUE.regions,
            "DE": dataclasses.replace(
                CATALOGUE.regions["DE"], tls_min_version="TLSv1.3"
            ),
        },
    )
    rules = rules_for(catalogue, catalogue.control("EU-ENC-01"), ("DE",))

    floor, rule = rules.tls_floor(_info("TLSv1.2"))

    assert floor == "TLSv1.3"
    assert rule.startswith("TLSv1.3 from DE catalogue (higher than EU catalogue")


def test_tls_floor_invalid_provider_version() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-ENC-01"), ("UK",))

    with pytest.raises(
        ValueError, match="tls-test ProviderInfo tls_min_version 'TLSv1.1'"
    ):
        rules.tls_floor(_info("TLSv1.1"))


def test_consent_policy_stricter_model() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("US-CON-01"), ("US", "AU"))

    policy, rule = rules.consent_policy()

    assert policy.strictest().region == "US"
    assert rule == (
        "US implied consent (only for direct-care, treatment) "
        "(stricter than AU opt-out consent) decides"
    )


def _info(tls_min_version: str) -> ProviderInfo:
    return ProviderInfo(
        id="tls-test",
        name="TLS test provider",
        type=ProviderType.MOCK,
        country="GB",
        regions=("UK",),
        compliance=(),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(),
        tls_min_version=tls_min_version,
    )
