"""Parse and check the region, provider and control selections from the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from carecert.adapters.compliance.catalogue import Catalogue
from carecert.adapters.registry import ProviderRegistry

__all__ = [
    "check_cassette_dir",
    "check_controls_in_regions",
    "check_providers_in_regions",
    "parse_controls",
    "parse_providers",
    "parse_regions",
    "split_values",
]


def split_values(values: Iterable[str] | None) -> list[str]:
    """Flatten repeated and comma-separated option values, dropping blanks."""
    result: list[str] = []
    for value in values or ():
        result.extend(part.strip() for part in value.split(",") if part.strip())
    return result


def parse_regions(values: Iterable[str] | None, catalogue: Catalogue) -> list[str]:
    """Return the upper-cased region codes, or raise UsageError listing valid ones."""
    valid = ", ".join(sorted(catalogue.regions))
    _reject_empty("--region", values, f"Valid regions: {valid}.")
    regions = [value.upper() for value in split_values(values)]
    unknown = [region for region in regions if region not in catalogue.regions]
    if unknown:
        raise pytest.UsageError(
            f"--region: unknown region {', '.join(unknown)}. Valid regions: {valid} "
            f"(from {catalogue.path})."
        )
    return list(dict.fromkeys(regions))


def parse_providers(
    values: Iterable[str] | None, registry: ProviderRegistry
) -> list[str]:
    """Return the registered provider ids, matched case-insensitively.

    Raises UsageError listing the registered ids for an unknown or empty value.
    """
    ids = [registration.provider_id for registration in registry.registrations()]
    by_folded = {provider_id.casefold(): provider_id for provider_id in ids}
    registered = ", ".join(sorted(by_folded.values()))
    _reject_empty("--provider", values, f"Registered: {registered}.")
    providers: list[str] = []
    unknown: list[str] = []
    for value in split_values(values):
        provider_id = by_folded.get(value.casefold())
        if provider_id is None:
            unknown.append(value)
        else:
            providers.append(provider_id)
    if unknown:
        raise pytest.UsageError(
            f"--provider: unknown provider {', '.join(unknown)}. "
            f"Registered: {registered}."
        )
    return list(dict.fromkeys(providers))


def parse_controls(values: Iterable[str] | None, catalogue: Catalogue) -> list[str]:
    """Return control ids (upper case) and families (lower case) to run.

    Both match case-insensitively. Raises UsageError listing the valid ids and
    families for an unknown or empty value.
    """
    ids = {control_id.upper(): control_id for control_id in catalogue.controls}
    families = sorted({control.family for control in catalogue.controls.values()})
    valid = (
        f"Valid control ids: {', '.join(sorted(ids.values()))}. "
        f"Valid families: {', '.join(families)}"
    )
    _reject_empty("--control", values, f"{valid}.")
    selected: list[str] = []
    unknown: list[str] = []
    for value in split_values(values):
        if value.upper() in ids:
            selected.append(ids[value.upper()])
        elif value.lower() in families:
            selected.append(value.lower())
        else:
            unknown.append(value)
    if unknown:
        raise pytest.UsageError(
            f"--control: unknown control id or family {', '.join(unknown)}. "
            f"{valid} (from {catalogue.path})."
        )
    return list(dict.fromkeys(selected))


def check_controls_in_regions(
    controls: Iterable[str], regions: Iterable[str], catalogue: Catalogue
) -> None:
    """Raise UsageError for a --control id whose region --region leaves out.

    Such a control would never run: a run tests only the controls of the
    selected regions, and a member region (``parent``) of a selected one is
    tested against the parent's controls, not its own. Families and an empty
    --region (every region) always pass.
    """
    selected = list(regions)
    if not selected:
        return
    for value in controls:
        control = catalogue.controls.get(value)
        if control is None or control.region in selected:
            continue
        parent = catalogue.regions[control.region].parent
        hint = (
            f" --region={parent} tests the providers of {control.region} against "
            f"the {parent} controls only."
            if parent in selected
            else ""
        )
        raise pytest.UsageError(
            f"--control: control {control.id} belongs to region {control.region}, "
            f"which --region does not select (selected: {', '.join(selected)}), so "
            f"it would not run. Add --region={control.region}, or choose a control "
            f"of the selected regions.{hint}"
        )


def check_providers_in_regions(
    providers: Iterable[str],
    regions: Iterable[str],
    registry: ProviderRegistry,
    catalogue: Catalogue,
) -> None:
    """Raise UsageError for a --provider that no control of --region tests.

    A provider is tested against the controls of each of its regions and of
    the parent of each of its regions, so it runs only if one of those is
    selected. An empty --region (every region) always passes.
    """
    selected = list(regions)
    if not selected:
        return
    for provider_id in providers:
        own = sorted(registry.get_registration(provider_id).info.regions)
        tested_under = set(own)
        for code in own:
            parent = (
                catalogue.regions[code].parent if code in catalogue.regions else None
            )
            if parent is not None:
                tested_under.add(parent)
        if tested_under & set(selected):
            continue
        add = " or ".join(f"--region={code}" for code in own)
        raise pytest.UsageError(
            f"--provider: provider {provider_id} serves region(s) {', '.join(own)}, "
            f"which --region does not select (selected: {', '.join(selected)}), so "
            f"none of its controls would run. Add {add}, or leave out "
            f"--provider={provider_id}."
        )


def check_cassette_dir(cassette_dir: Path, replaying: bool) -> None:
    """Raise UsageError for a missing cassette folder in replay mode.

    Replay reads every provider's traffic from ``cassette_dir``, so without
    it every control that replays traffic would fail. Recording modes create
    the folder.
    """
    if not replaying or cassette_dir.is_dir():
        return
    if cassette_dir.exists():
        raise pytest.UsageError(
            f"--cassette-dir: {cassette_dir} is not a directory. Pass the folder "
            "that holds one subfolder of cassettes per provider."
        )
    raise pytest.UsageError(
        f"--cassette-dir: cassette folder {cassette_dir} not found. Replay mode "
        "reads recorded traffic from it: pass the folder that holds one subfolder "
        "per provider, or record cassettes with --record-mode=once."
    )


def _reject_empty(option: str, values: Iterable[str] | None, valid: str) -> None:
    """Raise UsageError for an empty value or item, as in ``--region=`` or ``uk,,es``.

    A stray comma usually means a value was lost in a CI variable, so it is an
    error rather than silently ignored.
    """
    for value in values or ():
        if not value.replace(",", "").strip():
            raise pytest.UsageError(
                f"{option}: empty value {value!r}. Name at least one, or leave the "
                f"option out to select all. {valid}"
            )
        if any(not part.strip() for part in value.split(",")):
            raise pytest.UsageError(
                f"{option}: {value!r} has an empty item between commas. Remove the "
                f"extra comma. {valid}"
            )
