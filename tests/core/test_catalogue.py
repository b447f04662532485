"""Compliance catalogue: the shipped file loads, and malformed copies are located."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from carecert.adapters.compliance.catalogue import (
    CHECKS,
    CatalogueError,
    default_catalogue_path,
    load_catalogue,
)
from carecert.adapters.errors import ConfigurationError

# A small valid catalogue. Each case below changes one line and locates the
# expected error line by searching this text, not by asking the loader.
VALID = """\
# Test catalogue.

schema_version: 1
regions:
  UK:
    name: United Kingdom
    regimes: [UK GDPR, DPA 2018]
    residency:
      preferred: [GB]
      allowed: [IE]
    audit_retention_years: 7
    consent: explicit
controls:
  - id: UK-RES-01
    region: UK
    family: residency
    title: Traffic stays in allowed jurisdictions
    check: residency-hosts
    clause: UK GDPR Art. 44
    severity: high
    parameters: [residency]
  - id: UK-RET-01
    region: UK
    family: retention
    title: Every access writes an audit record
    clause: UK GDPR Art. 30
    severity: medium
"""


def line_of(text: str, fragment: str) -> int:
    """Return the 1-based number of the one line of ``text`` with ``fragment``."""
    matches = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(matches) == 1, f"{fragment!r} is on lines {matches}"
    return matches[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalogue_loads() -> None:
    catalogue = load_catalogue()
    assert catalogue.path == default_catalogue_path()
    assert catalogue.schema_version == 1
    assert catalogue.region("uk").audit_retention_years == 7
    assert catalogue.region("UK").consent == "explicit"
    assert catalogue.region("UK").allows_jurisdiction("GB")
    assert not catalogue.region("UK").allows_jurisdiction("US")
    assert catalogue.region("UK").allows_jurisdiction("NO")
    assert catalogue.control("UK-RES-01").family == "residency"
    assert len(catalogue.controls) == 8 * len(catalogue.regions)


UK_CONTROL_CLAUSES = {
    "UK-RES-01": "UK GDPR Art. 44",
    "UK-ENC-01": "UK GDPR Art. 32(1)(a)",
    "UK-ENC-02": "UK GDPR Art. 32(1)(b)",
    "UK-CON-01": "UK GDPR Art. 6(1)(a), Art. 7(1) and Art. 9(2)(a)",
    "UK-RET-01": "UK GDPR Art. 5(2) and Art. 30",
    "UK-RET-02": "UK GDPR Art. 5(2) and Art. 30(1)",
    "UK-MFA-01": "UK GDPR Art. 32(1)(b)",
    "UK-CNF-01": "UK GDPR Art. 5(1)(d)",
}


def test_shipped_uk_controls_unchanged() -> None:
    controls = load_catalogue().controls_for("UK")
    assert {c.id: c.clause for c in controls} == UK_CONTROL_CLAUSES


@pytest.mark.parametrize("code", sorted(load_catalogue().regions))
def test_shipped_region_has_every_check(code: str) -> None:
    controls = load_catalogue().controls_for(code)
    assert sorted(c.check for c in controls) == sorted(CHECKS)
    for control in controls:
        assert control.id.startswith(f"{code}-"), control.id
        assert control.clause, control.id


def test_shipped_parents() -> None:
    catalogue = load_catalogue()
    assert sorted(catalogue.children_of("EU")) == ["DE", "ES", "FR", "IT"]
    assert catalogue.region("UK").parent is None
    assert catalogue.region("DE").audit_retention_years == 10
    assert catalogue.region("DE").residency_preferred == frozenset({"DE"})
    assert catalogue.region("ES").allows_jurisdiction("FR")
    assert not catalogue.region("DE").allows_jurisdiction("FR")
    assert catalogue.region("US").consent == "implied"


def test_shipped_catalogue_cached() -> None:
    assert load_catalogue() is load_catalogue()


def test_valid_copy_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, VALID))
    assert list(catalogue.controls) == ["UK-RES-01", "UK-RET-01"]
    assert catalogue.control("UK-RET-01").parameters == ()
    assert catalogue.control("UK-RES-01").check == "residency-hosts"
    assert catalogue.control("UK-RET-01").check is None
    assert catalogue.region("UK").parent is None
    assert catalogue.region("UK").residency_allowed == frozenset({"IE"})


def test_string_path_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    catalogue = load_catalogue(str(path))
    assert catalogue.path == path


def test_tls_floor_defaults_to_1_2(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, VALID))

    assert catalogue.region("UK").tls_min_version == "TLSv1.2"


def test_tls_floor_1_3_read(tmp_path: Path) -> None:
    text = replace_once(
        VALID,
        "    consent: explicit\n",
        "    consent: explicit\n    tls_min_version: TLSv1.3\n",
    )

    catalogue = load_catalogue(write(tmp_path, text))

    assert catalogue.region("UK").tls_min_version == "TLSv1.3"


def test_shipped_tls_floor_everywhere() -> None:
    catalogue = load_catalogue()

    floors = {code: r.tls_min_version for code, r in catalogue.regions.items()}

    assert set(floors.values()) == {"TLSv1.2"}, floors


def test_shipped_consent_models() -> None:
    catalogue = load_catalogue()

    models = {code: r.consent for code, r in catalogue.regions.items()}

    assert models == {
        "UK": "explicit",
        "EU": "granular",
        "DE": "written",
        "ES": "explicit",
        "FR": "granular",
        "IT": "granular",
        "US": "implied",
        "AU": "opt-out",
        "CA": "implied",
        "JP": "opt-in",
        "BR": "explicit-or-legal-basis",
    }
    assert catalogue.region("US").consent_implied_purposes == {
        "direct-care",
        "treatment",
    }
    assert catalogue.region("CA").consent_implied_purposes is None


def test_unknown_region_lookup() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_catalogue().region("MARS")
    assert "'MARS'" in str(caught.value)
    assert "UK" in str(caught.value)


def test_unknown_control_lookup() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_catalogue().control("UK-XXX-99")
    assert "'UK-XXX-99'" in str(caught.value)
    assert str(default_catalogue_path()) in str(caught.value)


# Each case: (case id, line to replace, replacement, field named in the error,
# fragment of the line the error must point at, text the problem must contain).
MALFORMED = [
    (
        "bad-yaml",
        "    severity: high\n",
        "    severity: high: really\n",
        "<document>",
        "severity: high: really",
        "not valid YAML",
    ),
    (
        "schema-version",
        "schema_version: 1\n",
        "schema_version: 2\n",
        "schema_version",
        "schema_version",
        "is 2",
    ),
    (
        "schema-version-bool",
        "schema_version: 1\n",
        "schema_version: true\n",
        "schema_version",
        "schema_version",
        "is True",
    ),
    (
        "unknown-region",
        "  - id: UK-RET-01\n    region: UK\n",
        "  - id: UK-RET-01\n    region: EU\n",
        "controls[1].region",
        "region: EU",
        "'EU' is not a region",
    ),
    (
        "unknown-family",
        "    family: residency\n",
        "    family: residence\n",
        "controls[0].family",
        "family: residence",
        "'residence' is not one of",
    ),
    (
        "missing-clause",
        "    clause: UK GDPR Art. 30\n",
        "",
        "controls[1].clause",
        "- id: UK-RET-01",
        "is missing",
    ),
    (
        "duplicate-id",
        "  - id: UK-RET-01\n",
        "  - id: UK-RES-01\n",
        "controls[1].id",
        "- id: UK-RES-01\n    region: UK\n    family: retention",
        "duplicate control id 'UK-RES-01'",
    ),
    (
        "retention-zero",
        "    audit_retention_years: 7\n",
        "    audit_retention_years: 0\n",
        "regions.UK.audit_retention_years",
        "audit_retention_years",
        "got 0",
    ),
    (
        "retention-string",
        "    audit_retention_years: 7\n",
        "    audit_retention_years: seven\n",
        "regions.UK.audit_retention_years",
        "audit_retention_years",
        "got 'seven'",
    ),
    (
        "region-field-missing",
        "    consent: explicit\n",
        "",
        "regions.UK.consent",
        "  UK:",
        "is missing",
    ),
    (
        "residency-bare-no",
        "      allowed: [IE]\n",
        "      allowed: [IE, NO]\n",
        "regions.UK.residency",
        "residency:",
        "'allowed' must be a list of country codes as strings, got ['IE', False]",
    ),
    (
        "residency-string",
        "      preferred: [GB]\n",
        "      preferred: GB\n",
        "regions.UK.residency",
        "residency:",
        "'preferred' must be a list of country codes as strings, got 'GB'",
    ),
    (
        "regimes-string",
        "    regimes: [UK GDPR, DPA 2018]\n",
        "    regimes: UK GDPR\n",
        "regions.UK.regimes",
        "regimes: UK GDPR",
        "got 'UK GDPR'",
    ),
    (
        "parameters-string",
        "    parameters: [residency]\n",
        "    parameters: residency\n",
        "controls[0].parameters",
        "parameters: residency",
        "got 'residency'",
    ),
    (
        "unknown-check",
        "    check: residency-hosts\n",
        "    check: residency\n",
        "controls[0].check",
        "check: residency",
        "'residency' is not one of",
    ),
    (
        "unknown-parent",
        "    consent: explicit\n",
        "    consent: explicit\n    parent: EU\n",
        "regions.UK.parent",
        "parent: EU",
        "'EU' is not a region of this catalogue",
    ),
    (
        "parent-itself",
        "    consent: explicit\n",
        "    consent: explicit\n    parent: UK\n",
        "regions.UK.parent",
        "parent: UK",
        "must be the code of another region, got 'UK'",
    ),
    (
        "tls-version-too-low",
        "    consent: explicit\n",
        "    consent: explicit\n    tls_min_version: TLSv1.1\n",
        "regions.UK.tls_min_version",
        "tls_min_version: TLSv1.1",
        "'TLSv1.1' is not a TLS version carecert enforces",
    ),
    (
        "tls-version-number",
        "    consent: explicit\n",
        "    consent: explicit\n    tls_min_version: 1.3\n",
        "regions.UK.tls_min_version",
        "tls_min_version: 1.3",
        "use one of TLSv1.2, TLSv1.3",
    ),
    (
        "tls-version-list",
        "    consent: explicit\n",
        "    consent: explicit\n    tls_min_version: [TLSv1.3]\n",
        "regions.UK.tls_min_version",
        "tls_min_version: [TLSv1.3]",
        "['TLSv1.3'] is not a TLS version",
    ),
    (
        "unknown-consent-model",
        "    consent: explicit\n",
        "    consent: presumed\n",
        "regions.UK.consent",
        "consent: presumed",
        "'presumed' is not one of",
    ),
    (
        "implied-purposes-wrong-model",
        "    consent: explicit\n",
        "    consent: explicit\n    consent_implied_purposes: [treatment]\n",
        "regions.UK.consent_implied_purposes",
        "consent_implied_purposes",
        "applies only to the implied consent model, not 'explicit'",
    ),
    (
        "implied-purposes-empty",
        "    consent: explicit\n",
        "    consent: implied\n    consent_implied_purposes: []\n",
        "regions.UK.consent_implied_purposes",
        "consent_implied_purposes",
        "must be a non-empty list of purposes, got []",
    ),
    (
        "review-unknown-parameter",
        "    consent: explicit\n",
        "    consent: explicit\n    review:\n      retention: an estimate\n",
        "regions.UK.review.retention",
        "retention: an estimate",
        "'retention' is not a parameter set by region UK",
    ),
    (
        "review-empty-text",
        "    consent: explicit\n",
        "    consent: explicit\n    review:\n      consent: ''\n",
        "regions.UK.review.consent",
        "consent: ''",
        "must be a non-empty text",
    ),
    (
        "review-not-mapping",
        "    consent: explicit\n",
        "    consent: explicit\n    review: an estimate\n",
        "regions.UK.review",
        "review: an estimate",
        "must be a non-empty mapping of parameter name",
    ),
    (
        "control-review-list",
        "    parameters: [residency]\n",
        "    parameters: [residency]\n    review: [unconfirmed]\n",
        "controls[0].review",
        "review: [unconfirmed]",
        "must be a non-empty text",
    ),
    (
        "unknown-severity",
        "    severity: medium\n",
        "    severity: urgent\n",
        "controls[1].severity",
        "severity: urgent",
        "'urgent' is not one of",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "line_fragment", "problem"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_copy_located(
    tmp_path: Path,
    old: str,
    new: str,
    field: str,
    line_fragment: str,
    problem: str,
) -> None:
    text = replace_once(VALID, old, new)
    path = write(tmp_path, text)
    expected_line = expected_line_of(text, line_fragment)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    assert f"{path}:{expected_line}:" in message
    assert f"field {field!r}" in message
    assert problem in message
    assert caught.value.line == expected_line
    assert caught.value.field == field
    assert caught.value.path == str(path)


def expected_line_of(text: str, fragment: str) -> int:
    # A fragment spanning lines locates the line it starts on.
    if "\n" in fragment:
        assert text.count(fragment) == 1
        return text[: text.index(fragment)].count("\n") + 1
    return line_of(text, fragment)


def test_unreadable_file_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(path) in str(caught.value)
    assert "cannot be read" in str(caught.value)


def test_non_mapping_document(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert f"{path}:1:" in str(caught.value)
    assert "must be a mapping" in str(caught.value)


def test_error_is_configuration_error() -> None:
    assert issubclass(CatalogueError, ConfigurationError)


def test_review_texts_loaded(tmp_path: Path) -> None:
    text = replace_once(
        VALID,
        "    consent: explicit\n",
        "    consent: explicit\n    review:\n      audit_retention_years: >-\n"
        "        An estimate.\n        Not set by law.\n",
    )
    text = replace_once(
        text,
        "    parameters: [residency]\n",
        "    parameters: [residency]\n    review: Clause not confirmed.\n",
    )
    text += "    parameters: [audit_retention_years]\n"
    catalogue = load_catalogue(write(tmp_path, text))

    residency = catalogue.control("UK-RES-01")
    retention = catalogue.control("UK-RET-01")
    assert catalogue.regions["UK"].review == {
        "audit_retention_years": "An estimate. Not set by law."
    }
    assert catalogue.review_notes(residency) == ("Clause not confirmed.",)
    assert catalogue.review_notes(retention) == (
        "region UK parameter audit_retention_years: An estimate. Not set by law.",
    )


def test_catalogue_digest_is_file_sha256(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)

    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_catalogue(path).sha256 == expected


def test_shipped_catalogue_has_no_note_comments() -> None:
    # Unconfirmed facts belong in ``review`` fields, which the evidence report
    # shows; a YAML comment is invisible to it.
    text = default_catalogue_path().read_text(encoding="utf-8")

    assert "# NOTE" not in text


# Each case: region, parameter, and a fragment of its review text that must
# survive from the comment it replaced.
SHIPPED_REVIEWS = [
    ("UK", "audit_retention_years", "seven years is carecert's UK default"),
    ("EU", "audit_retention_years", "GDPR sets no audit retention period"),
    ("DE", "consent", "requires a written consent with a reference"),
    ("FR", "audit_retention_years", "French law sets no single audit log period"),
    ("IT", "audit_retention_years", "An estimate, as for FR"),
    ("AU", "audit_retention_years", "common minimum in state health records law"),
    ("AU", "consent", "a recorded opt-out blocks sharing"),
    ("CA", "audit_retention_years", "Provincial medical record periods vary"),
    ("CA", "consent", "A withdrawal (4.3.8) always blocks"),
    ("BR", "audit_retention_years", "LGPD sets no audit retention period"),
]


@pytest.mark.parametrize(("code", "parameter", "fragment"), SHIPPED_REVIEWS)
def test_shipped_review_texts(code: str, parameter: str, fragment: str) -> None:
    assert fragment in load_catalogue().regions[code].review[parameter]


def test_shipped_review_reaches_controls() -> None:
    catalogue = load_catalogue()

    notes = catalogue.review_notes(catalogue.control("AU-CON-01"))
    assert len(notes) == 1
    assert notes[0].startswith("region AU parameter consent: Not confirmed.")
    assert catalogue.review_notes(catalogue.control("UK-RES-01")) == ()
