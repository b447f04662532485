"""The parameters one control test applies to one provider.

A provider in several regions must meet each region's law. Where the
control's region and the provider's own regions set different parameters, the
stricter one applies: the longer retention period, the intersection of the
residency lists, the stricter consent model and the higher TLS floor. Each
method also returns the rule that decided, for ``evidence.decide(...)``, as a
DecidingRule that carries the catalogue's review texts of the parameters that
decided, so a result decided by another region's unconfirmed parameter is
flagged for review too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from carecert.adapters.compliance.catalogue import Catalogue, Control, Region
from carecert.adapters.compliance.consent import ConsentBasis
from carecert.adapters.compliance.consent_policy import (
    ConsentPolicy,
    RegionConsentModel,
)
from carecert.adapters.compliance.guard import accepted_bases_for
from carecert.adapters.provider import ProviderInfo
from carecert.adapters.tls import TLS_VERSIONS

__all__ = ["ControlRules", "DecidingRule", "rules_for"]

# Strongest first: the consent test offers the strongest basis a region
# rejects, which is the refusal closest to being accepted.
_BASES_STRONGEST_FIRST = (
    ConsentBasis.WRITTEN,
    ConsentBasis.EXPLICIT,
    ConsentBasis.IMPLIED,
    ConsentBasis.OPT_OUT,
    ConsentBasis.LEGAL_BASIS,
)


class DecidingRule(str):
    """The text of the rule that decided an outcome, with the review texts behind it.

    ``review`` lists, in the format of ``Catalogue.review_notes()``, the review
    text of each deciding region parameter that the catalogue marks as
    unconfirmed. It is a str so that ``evidence.decide(rule)`` and string
    comparisons work unchanged, but formatting it into a new string (an
    f-string, ``+``) returns a plain str without ``review``.
    """

    review: tuple[str, ...]

    def __new__(cls, text: str, review: Iterable[str] = ()) -> DecidingRule:
        rule = super().__new__(cls, text)
        rule.review = tuple(dict.fromkeys(review))
        return rule


def parameter_review(regions: Iterable[Region], parameter: str) -> list[str]:
    """Return the review texts of ``parameter`` in ``regions``.

    They are worded as ``Catalogue.review_notes()`` words them, so a text that
    both produce appears once on a result.
    """
    return [
        f"region {region.code} parameter {parameter}: {region.review[parameter]}"
        for region in regions
        if parameter in region.review
    ]


@dataclass(frozen=True)
class ControlRules:
    """A control and the catalogue regions whose parameters apply to a provider.

    ``regions`` starts with the control's region, followed by the provider's
    other regions that the catalogue defines.
    """

    control: Control
    regions: tuple[Region, ...]

    @property
    def region(self) -> Region:
        """The region of the control."""
        return self.regions[0]

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes of every region whose parameters apply, the control's first."""
        return tuple(region.code for region in self.regions)

    def retention_years(self) -> tuple[int, DecidingRule]:
        """Return the longest audit retention period and the rule that set it.

        Every region with that longest period decides it, so the rule carries
        the review texts of each one's ``audit_retention_years``.
        """
        decisive = max(self.regions, key=lambda r: r.audit_retention_years)
        years = decisive.audit_retention_years
        others = [r for r in self.regions if r is not decisive]
        shorter = [r for r in others if r.audit_retention_years < years]
        rule = f"{decisive.code} {years} years"
        if shorter:
            compared = ", ".join(
                f"{r.code} {r.audit_retention_years} years" for r in shorter
            )
            rule += f" (stricter than {compared})"
        elif others:
            rule += f" (the same in {', '.join(r.code for r in others)})"
        deciding = [r for r in self.regions if r.audit_retention_years == years]
        review = parameter_review(deciding, "audit_retention_years")
        return years, DecidingRule(rule, review)

    def residency(self) -> tuple[Region, DecidingRule]:
        """Return a region whose residency lists are the intersection of all.

        With one region this is the control's region itself. Otherwise a host
        must be allowed by every region, and it counts as preferred only if
        every region prefers it.
        """
        review = parameter_review(self.regions, "residency")
        if len(self.regions) == 1:
            region = self.region
            return region, DecidingRule(f"{region.code} residency list", review)
        allowed = frozenset.intersection(
            *(r.residency_preferred | r.residency_allowed for r in self.regions)
        )
        preferred = frozenset.intersection(
            *(r.residency_preferred for r in self.regions)
        )
        combined = Region(
            code="+".join(self.codes),
            name=" and ".join(r.name for r in self.regions),
            regimes=tuple(dict.fromkeys(x for r in self.regions for x in r.regimes)),
            residency_preferred=preferred,
            residency_allowed=allowed - preferred,
            audit_retention_years=self.retention_years()[0],
            consent=self.region.consent,
        )
        listed = ", ".join(sorted(allowed)) or "no jurisdiction"
        rule = (
            f"intersection of the {' and '.join(self.codes)} residency lists "
            f"(the narrower applies): {listed}"
        )
        return combined, DecidingRule(rule, review)

    def accepted_bases(self) -> tuple[frozenset[ConsentBasis], DecidingRule]:
        """Return the consent bases every region accepts, and the rule.

        Every region's consent model narrows the intersection, so the rule
        carries the review texts of each region's ``consent``.
        """
        accepted = accepted_bases_for(self.codes)
        models = ", ".join(f"{r.code} {r.consent}" for r in self.regions)
        bases_text = ", ".join(sorted(basis.value for basis in accepted)) or "none"
        if len(self.regions) == 1:
            rule = f"{models} consent model accepts: {bases_text}"
        else:
            rule = f"intersection of consent models ({models}) accepts: {bases_text}"
        return accepted, DecidingRule(rule, parameter_review(self.regions, "consent"))

    def consent_policy(self) -> tuple[ConsentPolicy, DecidingRule]:
        """Return the consent policy of these regions and the model that decides.

        The strictest model decides, so the rule carries the review texts of
        ``consent`` (and ``consent_implied_purposes``) in each region whose
        model is as strict as that one.
        """
        policy = ConsentPolicy(
            tuple(
                RegionConsentModel(r.code, r.consent, r.consent_implied_purposes)
                for r in self.regions
            )
        )
        strictness = policy.strictest().strictness
        deciding_codes = {m.region for m in policy.models if m.strictness == strictness}
        deciding = [r for r in self.regions if r.code in deciding_codes]
        review = parameter_review(deciding, "consent")
        review += parameter_review(deciding, "consent_implied_purposes")
        return policy, DecidingRule(f"{policy.describe()} decides", review)

    def tls_floor(self, info: ProviderInfo) -> tuple[str, DecidingRule]:
        """Return the lowest TLS version allowed and the rule that set it.

        The floor is the highest of the regions' catalogue ``tls_min_version``
        and the provider's own ``ProviderInfo.tls_min_version``.
        """
        sources = [(r.tls_min_version, f"{r.code} catalogue") for r in self.regions]
        sources.append((info.tls_min_version, f"{info.id} ProviderInfo"))
        for version, source in sources:
            if version not in TLS_VERSIONS:
                raise ValueError(
                    f"{source} tls_min_version {version!r} is not one of "
                    f"{', '.join(TLS_VERSIONS)}"
                )
        floor = max((v for v, _source in sources), key=TLS_VERSIONS.__getitem__)
        deciding = [source for version, source in sources if version == floor]
        lower = [f"{source} {v}" for v, source in sources if v != floor]
        rule = f"{floor} from {', '.join(deciding)}"
        if lower:
            rule += f" (higher than {', '.join(lower)})"
        deciding_regions = [r for r in self.regions if r.tls_min_version == floor]
        review = parameter_review(deciding_regions, "tls_min_version")
        return floor, DecidingRule(rule, review)

    def rejected_basis(self) -> ConsentBasis | None:
        """Return the strongest consent basis the regions reject, if any."""
        accepted, _rule = self.accepted_bases()
        return next((b for b in _BASES_STRONGEST_FIRST if b not in accepted), None)


def rules_for(
    catalogue: Catalogue, control: Control, provider_regions: Iterable[str]
) -> ControlRules:
    """Return the rules that ``control`` applies to a provider in ``provider_regions``.

    Provider regions that the catalogue does not define add no parameters. A
    region's parent applies too, because a member state's providers are bound
    by EU law as well: ES keeps audit records for 6 years, not 5.
    """
    codes = dict.fromkeys(
        code
        for code in _with_parents(catalogue, (control.region, *provider_regions))
        if code in catalogue.regions
    )
    return ControlRules(control, tuple(catalogue.regions[code] for code in codes))


def _with_parents(catalogue: Catalogue, codes: Iterable[str]) -> list[str]:
    result: list[str] = []
    for code in codes:
        while code is not None and code not in result:
            result.append(code)
            region = catalogue.regions.get(code)
            code = region.parent if region is not None else None
    return result
