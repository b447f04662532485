"""Read FHIR R4 searchset Bundles page by page, and build them for the simulator.

A search result comes in pages linked by ``Bundle.link`` with relation
``next``. The adapter follows those links only within the configured FHIR
base, because the access token must not go to another host. It also stops at
a page limit, so that a server whose pages link in a loop cannot keep it busy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from carecert.adapters.fhir.elements import (
    MappingError,
    items,
    optional_str,
    require_object,
    require_str,
    require_type,
)

__all__ = [
    "DEFAULT_MAX_PAGES",
    "SearchPage",
    "check_next_url",
    "read_search_page",
    "search_page_bundle",
]

DEFAULT_MAX_PAGES = 50
"""Pages read per search unless ``max_search_pages`` is set."""
# NOTE: 50 pages is a guess at a safe ceiling, not a Kaiser limit. At the
# simulator's two entries per page it caps a search at 100 entries.

_SUBJECT_KEY = {"Immunization": "patient"}
"""The element naming the patient, where it is not ``subject``."""


@dataclass(frozen=True)
class SearchPage:
    """The matching resources of one page and the URL of the next, if any."""

    resources: tuple[Mapping[str, Any], ...]
    next_url: str | None


def read_search_page(bundle: Any, resource_type: str, patient_id: str) -> SearchPage:
    """Read one page of a search for ``resource_type`` about Patient/``patient_id``.

    Entries with search mode ``outcome`` or ``include`` are skipped. Raises
    MappingError for a page that is not a searchset Bundle, has malformed
    links or entries, contains another resource type as a match, or names
    another patient.
    """
    body = require_type(bundle, "Bundle")
    if body.get("type") != "searchset":
        raise MappingError("Bundle", "type", "expected 'searchset'")
    next_url = None
    for path, item in items(body, "link", "Bundle"):
        link = require_object(item, "Bundle", path)
        relation = require_str(link.get("relation"), "Bundle", f"{path}.relation")
        url = require_str(link.get("url"), "Bundle", f"{path}.url")
        if relation == "next":
            if next_url is not None:
                raise MappingError("Bundle", path, "a second link with relation next")
            next_url = url
    found = []
    for path, item in items(body, "entry", "Bundle"):
        entry = require_object(item, "Bundle", path)
        search = require_object(entry.get("search") or {}, "Bundle", f"{path}.search")
        mode = optional_str(search.get("mode"), "Bundle", f"{path}.search.mode")
        if mode in ("outcome", "include"):
            continue
        resource = require_type(entry.get("resource"), resource_type)
        _check_patient(resource, resource_type, patient_id, f"{path}.resource")
        found.append(resource)
    return SearchPage(tuple(found), next_url)


def check_next_url(next_url: str, current_url: str, fhir_base: str) -> str:
    """Return ``next_url`` made absolute, or raise MappingError.

    The link must stay under ``fhir_base`` (same scheme, host, port and path
    prefix), so that the Bearer token is never sent elsewhere.
    """
    try:
        resolved = httpx.URL(current_url).join(next_url)
    except httpx.InvalidURL:
        raise MappingError("Bundle", "link.url", "the next link is not a URL") from None
    base = httpx.URL(fhir_base)
    same_origin = _origin(resolved) == _origin(base)
    if not same_origin or not resolved.path.startswith(base.path.rstrip("/") + "/"):
        raise MappingError(
            "Bundle", "link.url", "the next link leaves the configured FHIR base"
        )
    return str(resolved)


def search_page_bundle(
    resources: Sequence[Mapping[str, Any]],
    *,
    search_url: str,
    query: Mapping[str, str],
    offset: int,
    page_size: int,
) -> dict[str, Any]:
    """Build page ``offset // page_size`` of a searchset over ``resources``.

    ``search_url`` is the absolute search URL without its query. The links
    carry ``_count`` and ``_offset`` so that every page has a stable URL.
    """
    page = resources[offset : offset + page_size]
    entries = []
    for resource in page:
        entry: dict[str, Any] = {"search": {"mode": "match"}, "resource": resource}
        if "id" in resource:
            entry = {
                "fullUrl": f"{search_url}/{resource['id']}",
                **entry,
            }
        entries.append(entry)

    def link(relation: str, start: int) -> dict[str, str]:
        parameters = {**query, "_count": str(page_size), "_offset": str(start)}
        return {"relation": relation, "url": f"{search_url}?{urlencode(parameters)}"}

    links = [link("self", offset)]
    if offset + page_size < len(resources):
        links.append(link("next", offset + page_size))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    # An explicit default port (https://host:443/) is the same origin as none.
    default = {"https": 443, "http": 80}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _check_patient(
    resource: Mapping[str, Any], resource_type: str, patient_id: str, path: str
) -> None:
    if resource_type == "Patient":
        return
    key = _SUBJECT_KEY.get(resource_type, "subject")
    subject = require_object(resource.get(key), resource_type, key)
    reference = require_str(subject.get("reference"), resource_type, f"{key}.reference")
    expected = f"Patient/{patient_id}"
    if reference != expected and not reference.endswith(f"/{expected}"):
        raise MappingError("Bundle", f"{path}.{key}", "names another patient")
