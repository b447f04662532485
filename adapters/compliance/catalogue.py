"""Load the compliance catalogue: regions, their parameters and their controls.

The catalogue is YAML so that compliance officers can review it. Every entry
is checked on load, and an error names the file, the line and the field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.tls import TLS_VERSIONS

__all__ = [
    "CATALOGUE_SCHEMA_VERSION",
    "CHECKS",
    "DEFAULT_TLS_MIN_VERSION",
    "Catalogue",
    "CatalogueError",
    "Control",
    "Region",
    "load_catalogue",
]

CATALOGUE_SCHEMA_VERSION = 1

CONTROL_FAMILIES = frozenset(
    {
        "residency",
        "retention",
        "consent",
        "encryption",
        "mfa",
        "audit",
        "access-control",
        "conformance",
    }
)
CONSENT_MODELS = frozenset(
    {
        "explicit",
        "granular",
        "written",
        "implied",
        "opt-out",
        "opt-in",
        "explicit-or-legal-basis",
    }
)
DEFAULT_TLS_MIN_VERSION = "TLSv1.2"
SEVERITIES = frozenset({"low", "medium", "high", "critical"})
CHECKS = frozenset(
    {
        "residency-hosts",
        "tls-floor",
        "certificate",
        "consent-required",
        "audit-every-access",
        "retention-period",
        "second-factor",
        "openapi-conformance",
    }
)
"""Names of the generic suite tests that a control's ``check`` can name."""


class CatalogueError(ConfigurationError):
    """The catalogue file is malformed; names file, line and field."""

    def __init__(
        self, path: Path | str, line: int | None, field: str, problem: str
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: field {field!r}: {problem}")


@dataclass(frozen=True)
class Region:
    """A compliance region and the parameters its law sets."""

    code: str
    name: str
    regimes: tuple[str, ...]
    residency_preferred: frozenset[str]
    residency_allowed: frozenset[str]
    audit_retention_years: int
    consent: str
    parent: str | None = None
    consent_implied_purposes: frozenset[str] | None = None
    """Purposes for which the implied model allows access without a record;
    None means every purpose."""
    tls_min_version: str = DEFAULT_TLS_MIN_VERSION
    review: dict[str, str] = field(default_factory=dict, hash=False)
    """Parameter name to what is unconfirmed about its value, from the
    region's ``review`` mapping, for a compliance officer to review."""

    def allows_jurisdiction(self, jurisdiction: str) -> bool:
        """Tell whether data for this region may go to ``jurisdiction``."""
        return (
            jurisdiction in self.residency_preferred
            or jurisdiction in self.residency_allowed
        )


@dataclass(frozen=True)
class Control:
    """One testable control and the regulation clause it proves."""

    id: str
    region: str
    family: str
    title: str
    clause: str
    severity: str
    parameters: tuple[str, ...]
    check: str | None = None
    review: str | None = None
    """Unconfirmed fact about the control itself, such as its clause."""


@dataclass(frozen=True)
class Catalogue:
    """Every region and control, with the file they came from.

    ``sha256`` is the digest of the file's bytes as loaded, so an evidence
    report can name the exact requirements a run applied.
    """

    path: Path
    schema_version: int
    regions: dict[str, Region]
    controls: dict[str, Control]
    sha256: str = ""

    def region(self, code: str) -> Region:
        """Return region ``code`` or raise naming the valid codes."""
        try:
            return self.regions[code.upper()]
        except KeyError:
            valid = ", ".join(sorted(self.regions))
            raise ConfigurationError(
                f"Unknown region {code!r}. Valid regions: {valid}."
            ) from None

    def control(self, control_id: str) -> Control:
        """Return control ``control_id`` or raise naming the catalogue file."""
        try:
            return self.controls[control_id]
        except KeyError:
            raise ConfigurationError(
                f"Unknown control {control_id!r}: it is not in {self.path}."
            ) from None

    def controls_for(self, region: str) -> list[Control]:
        """Return the controls of ``region`` in catalogue order."""
        return [c for c in self.controls.values() if c.region == region]

    def children_of(self, region: str) -> list[str]:
        """Return the codes of the regions whose ``parent`` is ``region``."""
        return [code for code, r in self.regions.items() if r.parent == region]

    def controls_with_check(self, check: str) -> list[Control]:
        """Return the controls that the generic test ``check`` proves."""
        return [c for c in self.controls.values() if c.check == check]

    def review_notes(self, control: Control) -> tuple[str, ...]:
        """Return what a compliance officer must still confirm for ``control``.

        That is the control's own ``review`` text, then the ``review`` text of
        each parameter of its region that the control lists in ``parameters``.
        """
        notes = [control.review] if control.review else []
        region = self.regions[control.region]
        for parameter in control.parameters:
            text = region.review.get(parameter)
            if text is not None:
                notes.append(f"region {region.code} parameter {parameter}: {text}")
        return tuple(notes)


def default_catalogue_path() -> Path:
    """Return the path of the catalogue shipped with carecert."""
    return Path(
        str(resources.files("carecert.adapters.compliance").joinpath("catalogue.yaml"))
    )


@cache
def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and check the catalogue at ``path`` (the shipped one by default)."""
    path = Path(path) if path is not None else default_catalogue_path()
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(path, None, "<file>", f"cannot be read: {exc}") from exc
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            path, None, "<file>", f"is not UTF-8 text: {exc}. Save it as UTF-8."
        ) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CatalogueError(
            path, line, "<document>", f"is not valid YAML: {exc}"
        ) from exc
    lines = _LineIndex(root)
    if not isinstance(data, dict):
        raise CatalogueError(path, 1, "<document>", "must be a mapping")

    version = data.get("schema_version")
    # The type check stops ``true`` and ``1.0``, which compare equal to 1.
    if type(version) is not int or version != CATALOGUE_SCHEMA_VERSION:
        raise CatalogueError(
            path,
            lines.of("schema_version"),
            "schema_version",
            f"is {version!r}; this carecert reads version {CATALOGUE_SCHEMA_VERSION}",
        )
    regions = {
        code: _region(path, lines, code, entry)
        for code, entry in _mapping(path, lines, data, "regions").items()
    }
    for region in regions.values():
        if region.parent is not None and region.parent not in regions:
            raise CatalogueError(
                path,
                lines.of("regions", region.code, "parent"),
                f"regions.{region.code}.parent",
                f"{region.parent!r} is not a region of this catalogue",
            )
    controls: dict[str, Control] = {}
    for index, entry in enumerate(_sequence(path, lines, data, "controls")):
        control = _control(path, lines, index, entry, regions)
        if control.id in controls:
            raise CatalogueError(
                path,
                lines.of("controls", index, "id"),
                f"controls[{index}].id",
                f"duplicate control id {control.id!r}",
            )
        controls[control.id] = control
    return Catalogue(
        path, version, regions, controls, hashlib.sha256(content).hexdigest()
    )


class _LineIndex:
    """Map a key path in the YAML document to its 1-based line number.

    A mapping entry maps to the line of its key. A path that ends at a missing
    key maps to the line of its deepest existing entry, so a missing field is
    reported at the entry that lacks it.
    """

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def of(self, *keys: str | int) -> int | None:
        node = located = self._root
        for key in keys:
            pair: tuple[yaml.Node, yaml.Node] | None = None
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key < len(node.value):
                    pair = (node.value[key], node.value[key])
            if pair is None:
                break
            located, node = pair
        return located.start_mark.line + 1 if located is not None else None


def _mapping(
    path: Path, lines: _LineIndex, data: dict[str, Any], key: str
) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise CatalogueError(path, lines.of(key), key, "must be a non-empty mapping")
    return value


def _sequence(
    path: Path, lines: _LineIndex, data: dict[str, Any], key: str
) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise CatalogueError(path, lines.of(key), key, "must be a list")
    return value


def _region(path: Path, lines: _LineIndex, code: str, entry: Any) -> Region:
    def fail(field: str, problem: str) -> CatalogueError:
        return CatalogueError(
            path, lines.of("regions", code, field), f"regions.{code}.{field}", problem
        )

    if not isinstance(entry, dict):
        raise fail("", "must be a mapping")
    for required in (
        "name",
        "regimes",
        "residency",
        "audit_retention_years",
        "consent",
    ):
        if required not in entry:
            raise fail(required, "is missing")
    residency = entry["residency"]
    if not isinstance(residency, dict) or not residency.get("preferred"):
        raise fail(
            "residency", "must give a non-empty 'preferred' list of country codes"
        )
    for key in ("preferred", "allowed"):
        codes = residency.get(key, [])
        if not _is_string_list(codes):
            raise fail(
                "residency",
                f"'{key}' must be a list of country codes as strings, got {codes!r}"
                " (quote NO, which YAML reads as false)",
            )
    if not _is_string_list(entry["regimes"]):
        raise fail("regimes", f"must be a list of strings, got {entry['regimes']!r}")
    years = entry["audit_retention_years"]
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise fail(
            "audit_retention_years",
            f"must be a whole number of years >= 1, got {years!r}",
        )
    if entry["consent"] not in CONSENT_MODELS:
        raise fail(
            "consent", f"{entry['consent']!r} is not one of {sorted(CONSENT_MODELS)}"
        )
    parent = entry.get("parent")
    if parent is not None and (not isinstance(parent, str) or parent == code):
        raise fail("parent", f"must be the code of another region, got {parent!r}")
    implied_purposes = entry.get("consent_implied_purposes")
    if implied_purposes is not None:
        if entry["consent"] != "implied":
            raise fail(
                "consent_implied_purposes",
                f"applies only to the implied consent model, not {entry['consent']!r}",
            )
        if not _is_string_list(implied_purposes) or not implied_purposes:
            raise fail(
                "consent_implied_purposes",
                f"must be a non-empty list of purposes, got {implied_purposes!r}",
            )
    tls_min_version = entry.get("tls_min_version", DEFAULT_TLS_MIN_VERSION)
    if not isinstance(tls_min_version, str) or tls_min_version not in TLS_VERSIONS:
        raise fail(
            "tls_min_version",
            f"{tls_min_version!r} is not a TLS version carecert enforces; use one "
            f"of {', '.join(TLS_VERSIONS)} (versions below TLS 1.2 are refused)",
        )
    review = _region_review(path, lines, code, entry)
    return Region(
        code=code,
        name=str(entry["name"]),
        regimes=tuple(entry["regimes"]),
        residency_preferred=frozenset(residency["preferred"]),
        residency_allowed=frozenset(residency.get("allowed", ())),
        audit_retention_years=years,
        consent=entry["consent"],
        parent=parent,
        consent_implied_purposes=(
            frozenset(implied_purposes) if implied_purposes is not None else None
        ),
        tls_min_version=tls_min_version,
        review=review,
    )


# Region fields that hold no legal parameter, so ``review`` cannot name them.
_REGION_FIELDS_WITHOUT_PARAMETER = frozenset({"name", "parent", "review"})


def _region_review(
    path: Path, lines: _LineIndex, code: str, entry: dict[str, Any]
) -> dict[str, str]:
    """Check a region's ``review`` mapping of parameter name to unconfirmed fact."""
    review = entry.get("review")
    if review is None:
        return {}
    if not isinstance(review, dict) or not review:
        raise CatalogueError(
            path,
            lines.of("regions", code, "review"),
            f"regions.{code}.review",
            "must be a non-empty mapping of parameter name to what a compliance "
            f"officer must confirm about its value, got {review!r}",
        )
    parameters = sorted(set(entry) - _REGION_FIELDS_WITHOUT_PARAMETER)
    for parameter, text in review.items():
        where = lines.of("regions", code, "review", parameter)
        field_name = f"regions.{code}.review.{parameter}"
        if parameter not in parameters:
            raise CatalogueError(
                path,
                where,
                field_name,
                f"{parameter!r} is not a parameter set by region {code}; use one "
                f"of {', '.join(parameters)}",
            )
        if not isinstance(text, str) or not text.strip():
            raise CatalogueError(
                path,
                where,
                field_name,
                "must be a non-empty text that says what is unconfirmed and "
                f"why, got {text!r}",
            )
    return {str(parameter): text.strip() for parameter, text in review.items()}


def _control(
    path: Path, lines: _LineIndex, index: int, entry: Any, regions: dict[str, Region]
) -> Control:
    def fail(field: str, problem: str) -> CatalogueError:
        return CatalogueError(
            path,
            lines.of("controls", index, field),
            f"controls[{index}].{field}",
            problem,
        )

    if not isinstance(entry, dict):
        raise fail("", "must be a mapping")
    for required in ("id", "region", "family", "title", "clause", "severity"):
        if not entry.get(required):
            raise fail(required, "is missing or empty")
    if entry["region"] not in regions:
        raise fail("region", f"{entry['region']!r} is not a region of this catalogue")
    if entry["family"] not in CONTROL_FAMILIES:
        raise fail(
            "family", f"{entry['family']!r} is not one of {sorted(CONTROL_FAMILIES)}"
        )
    if entry["severity"] not in SEVERITIES:
        raise fail(
            "severity", f"{entry['severity']!r} is not one of {sorted(SEVERITIES)}"
        )
    check = entry.get("check")
    if check is not None and check not in CHECKS:
        raise fail("check", f"{check!r} is not one of {sorted(CHECKS)}")
    if not _is_string_list(entry.get("parameters", [])):
        raise fail(
            "parameters", f"must be a list of strings, got {entry['parameters']!r}"
        )
    review = entry.get("review")
    if review is not None and (not isinstance(review, str) or not review.strip()):
        raise fail(
            "review",
            "must be a non-empty text that says what is unconfirmed about this "
            f"control and why, got {review!r}",
        )
    return Control(
        id=entry["id"],
        region=entry["region"],
        family=entry["family"],
        title=entry["title"],
        clause=entry["clause"],
        severity=entry["severity"],
        parameters=tuple(entry.get("parameters", ())),
        check=check,
        review=review.strip() if review is not None else None,
    )


def _is_string_list(value: Any) -> bool:
    # tuple() and frozenset() would split a bare string into characters.
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
