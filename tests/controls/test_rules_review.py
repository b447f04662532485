"""Review texts on deciding rules, so another region's unconfirmed parameter shows."""

from __future__ import annotations

import dataclasses

from carecert.adapters.compliance import load_catalogue
from carecert.adapters.provider import AuthMethod, ProviderInfo, ProviderType
from carecert.harness import state
from carecert.harness.controls.rules import DecidingRule, rules_for

CATALOGUE = load_catalogue()
DE_CONSENT = f"region DE parameter consent: {CATALOGUE.regions['DE'].review['consent']}"
AU_CONSENT = f"region AU parameter consent: {CATALOGUE.regions['AU'].review['consent']}"
UK_RETENTION = (
    "region UK parameter audit_retention_years: "
    f"{CATALOGUE.regions['UK'].review['audit_retention_years']}"
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


def test_consent_policy_carries_other_region_review() -> None:
    # EU-CON-01 lists the EU consent parameter, which has no review text, but
    # a DE provider's stricter DE written consent decides.
    control = CATALOGUE.control("EU-CON-01")
    rules = rules_for(CATALOGUE, control, ("DE",))

    _policy, rule = rules.consent_policy()

    assert isinstance(rule, DecidingRule)
    assert rule.startswith("DE written consent (stricter than EU granular consent)")
    assert rule.review == (DE_CONSENT,)
    assert DE_CONSENT not in CATALOGUE.review_notes(control)


def test_consent_policy_skips_looser_region_review() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("US-CON-01"), ("US", "AU"))

    _policy, rule = rules.consent_policy()

    assert rule.startswith("US implied consent")
    assert AU_CONSENT not in rule.review
    assert rule.review == ()


def test_accepted_bases_carry_every_region_review() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-CON-01"), ("DE",))

    _bases, rule = rules.accepted_bases()

    assert rule.review == (DE_CONSENT,)


def test_retention_carries_deciding_region_review() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-RET-02"), ("UK",))

    _years, rule = rules.retention_years()

    assert rule == "UK 7 years"
    assert rule.review == (UK_RETENTION,)


def test_retention_skips_shorter_region_review() -> None:
    # DE keeps 10 years and has no retention review text, so the estimated
    # EU period of 6 years decides nothing here.
    rules = rules_for(CATALOGUE, CATALOGUE.control("EU-RET-02"), ("DE",))

    years, rule = rules.retention_years()

    assert years == 10
    assert rule.review == ()


def test_tls_floor_without_review() -> None:
    rules = rules_for(CATALOGUE, CATALOGUE.control("UK-ENC-01"), ("UK",))

    _floor, rule = rules.tls_floor(_info("TLSv1.2"))

    assert rule.review == ()


def test_tls_floor_carries_deciding_region_review() -> None:
    # DE's floor is raised above EU's, with a review text, for this test only.
    catalogue = dataclasses.replace(
        CATALOGUE,
        regions={
            **CATALOGUE.regions,
            "DE": dataclasses.replace(
                CATALOGUE.regions["DE"],
                tls_min_version="TLSv1.3",
                review={"tls_min_version": "An assumption."},
            ),
        },
    )
    rules = rules_for(catalogue, catalogue.control("EU-ENC-01"), ("DE",))

    floor, rule = rules.tls_floor(_info("TLSv1.2"))

    assert floor == "TLSv1.3"
    assert rule.review == ("region DE parameter tls_min_version: An assumption.",)


def test_decide_records_rule_review() -> None:
    gathered = state.TestEvidence()

    gathered.decide(DecidingRule("DE written consent decides", [DE_CONSENT]))

    assert gathered.decided_by == "DE written consent decides"
    assert type(gathered.decided_by) is str
    assert gathered.decided_review == (DE_CONSENT,)


def test_decide_plain_text_has_no_review() -> None:
    gathered = state.TestEvidence()
    gathered.decide(DecidingRule("first", [DE_CONSENT]))

    gathered.decide("client minimum TLS 1.2")

    assert gathered.decided_by == "client minimum TLS 1.2"
    assert gathered.decided_review == ()


def test_deciding_rule_drops_repeated_review() -> None:
    rule = DecidingRule("rule", [DE_CONSENT, AU_CONSENT, DE_CONSENT])

    assert rule.review == (DE_CONSENT, AU_CONSENT)
