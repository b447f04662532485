"""FHIR R4 Appointment elements that the NHS, SAS and Kaiser mappings share.

Each adapter codes the appointment type and its participants its own way, so
only the schedule elements and the reading of participants by actor type
live here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from carecert.adapters.fhir.elements import (
    MappingError,
    format_instant,
    identifier_from_fhir,
    items,
    parse_instant,
    require_object,
)
from carecert.adapters.models import Appointment, Identifier

__all__ = ["optional_instant", "participant_identifiers", "schedule_to_fhir"]

_WHERE = "Appointment"


def schedule_to_fhir(appointment: Appointment) -> dict[str, str]:
    """Write the description, start, end and created elements that are set."""
    elements: dict[str, str] = {}
    if appointment.description is not None:
        elements["description"] = appointment.description
    if appointment.start is not None:
        elements["start"] = format_instant(appointment.start)
    if appointment.end is not None:
        elements["end"] = format_instant(appointment.end)
    if appointment.created is not None:
        elements["created"] = format_instant(appointment.created)
    return elements


def optional_instant(body: Mapping[str, Any], key: str) -> datetime | None:
    """Read the dateTime element ``key`` of an Appointment, None if absent."""
    value = body.get(key)
    return None if value is None else parse_instant(value, _WHERE, key)


def participant_identifiers(
    body: Mapping[str, Any], actor_types: Sequence[str]
) -> dict[str, Identifier]:
    """Return the identifier of the first participant of each of ``actor_types``.

    Each participant's ``actor.type`` names its kind. Raises MappingError if
    no participant has one of ``actor_types``, or if the first one of a kind
    has no valid identifier.
    """
    actors: dict[str, Identifier] = {}
    for path, item in items(body, "participant", _WHERE):
        participant = require_object(item, _WHERE, path)
        actor = require_object(participant.get("actor") or {}, _WHERE, f"{path}.actor")
        kind = actor.get("type")
        if kind in actor_types and kind not in actors:
            actors[kind] = identifier_from_fhir(
                actor.get("identifier"), _WHERE, f"{path}.actor.identifier"
            )
    for kind in actor_types:
        if kind not in actors:
            raise MappingError(_WHERE, "participant", f"no {kind} participant")
    return actors
