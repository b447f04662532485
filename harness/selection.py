"""Parse and check the region, provider and control selections from the CLI."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from carecert.adapters.compliance.catalogue import Catalogue

__all__ = ["parse_regions", "split_values"]


def split_values(values: Iterable[str] | None) -> list[str]:
    """Flatten repeated and comma-separated option values, dropping blanks."""
    result: list[str] = []
    for value in values or ():
        result.extend(part.strip() for part in value.split(",") if part.strip())
    return result


def parse_regions(values: Iterable[str] | None, catalogue: Catalogue) -> list[str]:
    """Return the upper-cased region codes, or raise UsageError listing valid ones."""
    regions = [value.upper() for value in split_values(values)]
    unknown = [region for region in regions if region not in catalogue.regions]
    if unknown:
        valid = ", ".join(sorted(catalogue.regions))
        raise pytest.UsageError(
            f"--region: unknown region {', '.join(unknown)}. Valid regions: {valid} "
            f"(from {catalogue.path})."
        )
    return list(dict.fromkeys(regions))
