"""Validate the GKV adapter's practice settings from its config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.gkv.kbv_parties import Practice, Prescriber

__all__ = ["INSURANCE_TYPES", "LEISTUNGSARTEN", "PracticeSettings", "read_settings"]

INSURANCE_TYPES = frozenset({"GKV", "PKV"})
"""Values of ``versicherten_status``: statutory and private insurance."""

LEISTUNGSARTEN = frozenset({"ambulant", "stationaer", "zahnaerztlich"})
"""Kinds of care that verify_insurance_status accepts."""

_BETRIEBSNUMMER = re.compile(r"[0-9]{9}")
_KV_BEZIRK = re.compile(r"[0-9]{2}")
# A Telematik-ID starts with a sector number and a hyphen, as in 1-20012345
# for a physician or 3-SMC-B-1234567890 for a practice card.
_TELEMATIK_ID = re.compile(r"[0-9]{1,2}-[0-9A-Za-z][0-9A-Za-z.\-]*")


@dataclass(frozen=True)
class PracticeSettings:
    """The practice's identity and defaults, checked once at construction."""

    betriebsnummer: str
    kv_bezirk: str | None
    insurance_types: frozenset[str]
    mandant_id: str
    telematik_id: str
    prescriber: Prescriber | None


def read_settings(provider_id: str, config: Mapping[str, Any]) -> PracticeSettings:
    """Read and validate the practice keys of ``config``.

    Raises ConfigurationError naming the first invalid or missing key.
    """
    betriebsnummer = _matching(
        provider_id, config, "betriebsnummer", _BETRIEBSNUMMER, "nine digits"
    )
    kv_bezirk = None
    if config.get("kv_bezirk") not in (None, ""):
        kv_bezirk = _matching(
            provider_id, config, "kv_bezirk", _KV_BEZIRK, "two digits, as 17"
        )
    telematik_id = _matching(
        provider_id,
        config,
        "telematik_id",
        _TELEMATIK_ID,
        "a sector number, a hyphen and the card holder part, as 3-SMC-B-1234567890",
    )
    credentials = api_credentials(provider_id, config)
    mandant_id = credentials.get("mandant_id")
    if not isinstance(mandant_id, str) or not mandant_id.strip():
        raise ConfigurationError(
            f"{provider_id}: api_credentials.mandant_id is missing. Set it to the "
            "Mandant-ID configured for the practice in the Konnektor."
        )
    return PracticeSettings(
        betriebsnummer=betriebsnummer,
        kv_bezirk=kv_bezirk,
        insurance_types=_insurance_types(provider_id, config),
        mandant_id=mandant_id,
        telematik_id=telematik_id,
        prescriber=_prescriber(provider_id, config, betriebsnummer),
    )


def api_credentials(provider_id: str, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the ``api_credentials`` mapping, or raise ConfigurationError."""
    credentials = config.get("api_credentials")
    if not isinstance(credentials, Mapping):
        raise ConfigurationError(
            f"{provider_id}: api_credentials must be a mapping with konnektor_url "
            f"and mandant_id, got {type(credentials).__name__}."
        )
    return credentials


def _matching(
    provider_id: str,
    config: Mapping[str, Any],
    key: str,
    pattern: re.Pattern[str],
    expected: str,
) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        problem = "missing" if value in (None, "") else f"{value!r} is invalid"
        raise ConfigurationError(
            f"{provider_id}: config key {key!r} is {problem}. Expected {expected}."
        )
    return value


def _insurance_types(provider_id: str, config: Mapping[str, Any]) -> frozenset[str]:
    value = config.get("versicherten_status", ["GKV"])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigurationError(
            f"{provider_id}: versicherten_status must be a non-empty list of "
            f"{sorted(INSURANCE_TYPES)}."
        )
    unknown = sorted(set(value) - INSURANCE_TYPES)
    if unknown:
        raise ConfigurationError(
            f"{provider_id}: versicherten_status has unknown values {unknown}. "
            f"Use {sorted(INSURANCE_TYPES)}."
        )
    return frozenset(value)


def _prescriber(
    provider_id: str, config: Mapping[str, Any], betriebsnummer: str
) -> Prescriber | None:
    """Build the prescriber from ``prescriber`` and ``praxis``, if both are set.

    ``prescriber`` has lanr, name (family and given) and qualification_text.
    ``praxis`` has the practice's name and phone. The Betriebsnummer is the
    practice's BSNR.
    """
    prescriber = config.get("prescriber")
    practice = config.get("praxis")
    if prescriber is None and practice is None:
        return None
    if not isinstance(prescriber, Mapping) or not isinstance(practice, Mapping):
        raise ConfigurationError(
            f"{provider_id}: set both prescriber (lanr, name, qualification_text) "
            "and praxis (name, phone) as mappings, or neither."
        )
    try:
        return Prescriber.model_validate(
            {
                **prescriber,
                "practice": Practice.model_validate(
                    {**practice, "bsnr": betriebsnummer}
                ),
            }
        )
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in error["loc"]) for error in exc.errors()
        )
        raise ConfigurationError(
            f"{provider_id}: prescriber or praxis is invalid in {fields}."
        ) from exc
