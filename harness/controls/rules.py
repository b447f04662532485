"""The parameters one control test applies to one provider.

A provider in several regions must meet each region's law. Where the
control's region and the provider's own regions set different parameters, the
stricter one applies: the longer retention period, the intersection of the
residency lists, the stricter consent model and the higher TLS floor. Each
method also returns the rule that decided, for ``evidence.decide(...)``.
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

__all__ = ["ControlRules", "rules_for"]

# Strongest first: the consent test offers the strongest basis a region
# rejects, which is the refusal closest to being accepted.
_BASES_STRONGEST_FIRST = (
    ConsentBasis.WRITTEN,
    ConsentBasis.EXPLICIT,
    ConsentBasis.IMPLIED,
    ConsentBasis.OPT_OUT,
    ConsentBasis.LEGAL_BASIS,
)


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

    def retention_years(self) -> tuple[int, str]:
        """Return the longest audit retention period and the rule that set it."""
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
        return years, rule

    def residency(self) -> tuple[Region, str]:
        """Return a region whose residency lists are the intersection of all.

        With one region this is the control's region itself. Otherwise a host
        must be allowed by every region, and it counts as preferred only if
        every region prefers it.
        """
        if len(self.regions) == 1:
            region = self.region
            return region, f"{region.code} residency list"
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
        return combined, rule

    def accepted_bases(self) -> tuple[frozenset[ConsentBasis], str]:
        """Return the consent bases every region accepts, and the rule."""
        accepted = accepted_bases_for(self.codes)
        models = ", ".join(f"{r.code} {r.consent}" for r in self.regions)
        bases_text = ", ".join(sorted(basis.value for basis in accepted)) or "none"
        if len(self.regions) == 1:
            rule = f"{models} consent model accepts: {bases_text}"
        else:
            rule = f"intersection of consent models ({models}) accepts: {bases_text}"
        return accepted, rule

    def consent_policy(self) -> tuple[ConsentPolicy, str]:
        """Return the consent policy of these regions and the model that decides."""
        policy = ConsentPolicy(
            tuple(
                RegionConsentModel(r.code, r.consent, r.consent_implied_purposes)
                for r in self.regions
            )
        )
        return policy, f"{policy.describe()} decides"

    def tls_floor(self, info: ProviderInfo) -> tuple[str, str]:
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
        return floor, rule

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
