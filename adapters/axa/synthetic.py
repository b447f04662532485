"""Synthetic AXA policies for the simulator.

Every policy number, partner code and cover rule here is made up. Policy
numbers have the format the adapter checks (AXA and nine digits). The
policies use a 2-, a 0- and a 3-digit currency, so claims exercise every
minor-unit exponent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from carecert.adapters.models import CoverageStatus

__all__ = [
    "LAPSED_POLICY",
    "SAMPLE_COUNTRY",
    "SAMPLE_PARTNER",
    "SAMPLE_POLICY",
    "SAMPLE_PROVIDER",
    "SAMPLE_TREATMENT",
    "UNKNOWN_POLICY",
    "SyntheticPolicy",
    "TreatmentCover",
    "synthetic_policies",
]

SAMPLE_POLICY = "AXA100000001"
"""An active EUR policy, valid in the EU, that covers SAMPLE_TREATMENT."""

LAPSED_POLICY = "AXA100000002"
"""A policy whose cover ended, so every check returns status inactive."""

JPY_POLICY = "AXA100000003"
"""An active policy in yen, a currency without minor units."""

KWD_POLICY = "AXA100000004"
"""An active policy in Kuwaiti dinar, a currency with three minor-unit digits."""

UNKNOWN_POLICY = "AXA999999999"
"""A policy number of valid format for which the simulator returns HTTP 404."""

SAMPLE_PARTNER = "CARECERT_PARTNER_01"
SAMPLE_PROVIDER = "PROV_001"
SAMPLE_TREATMENT = "CARD_CONSULT"
SAMPLE_COUNTRY = "ES"

EU_EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI "
    "ES SE IS LI NO".split()
)


@dataclass(frozen=True)
class TreatmentCover:
    """A policy's cover for one treatment code.

    ``copay_minor`` is the member's fixed share per treatment in the policy
    currency's minor units. ``covered_percent`` is the share of the rest
    that AXA pays.
    """

    copay_minor: int
    covered_percent: int
    requires_preauthorization: bool = False


@dataclass(frozen=True)
class SyntheticPolicy:
    """A made-up policy: number, currency, term, countries and covers."""

    number: str
    currency: str
    start: date
    end: date
    countries: frozenset[str]
    covers: dict[str, TreatmentCover] = field(default_factory=dict)

    def status_on(self, day: date) -> CoverageStatus:
        """Return the policy's status on ``day``."""
        if self.start <= day <= self.end:
            return CoverageStatus.ACTIVE
        return CoverageStatus.INACTIVE


def _standard_covers(scale: int) -> dict[str, TreatmentCover]:
    # ``scale`` turns a EUR copay in cents into the policy currency's minor units.
    return {
        "CARD_CONSULT": TreatmentCover(2000 * scale, 80),
        "GP_CONSULT": TreatmentCover(0, 100),
        "PHYSIO_SESSION": TreatmentCover(1500 * scale, 70),
        "MRI_SCAN": TreatmentCover(5000 * scale, 90, requires_preauthorization=True),
    }


def synthetic_policies() -> dict[str, SyntheticPolicy]:
    """Return a new copy of the synthetic policies, keyed by policy number."""
    term = (date(2020, 1, 1), date(2035, 12, 31))
    return {
        SAMPLE_POLICY: SyntheticPolicy(
            SAMPLE_POLICY, "EUR", *term, EU_EEA, _standard_covers(1)
        ),
        LAPSED_POLICY: SyntheticPolicy(
            LAPSED_POLICY,
            "EUR",
            date(2015, 1, 1),
            date(2019, 12, 31),
            EU_EEA,
            _standard_covers(1),
        ),
        # 1 EUR cent is taken as 1 yen and as 10 fils here, which is enough
        # for a simulator and keeps the copays round.
        JPY_POLICY: SyntheticPolicy(
            JPY_POLICY, "JPY", *term, frozenset({"JP"}), _standard_covers(1)
        ),
        KWD_POLICY: SyntheticPolicy(
            KWD_POLICY, "KWD", *term, frozenset({"KW"}), _standard_covers(10)
        ),
    }
