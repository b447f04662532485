"""The adapter's own config keys: organisation identifiers and My Health Record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carecert.adapters.errors import ConfigurationError, InvalidIdentifierError
from carecert.adapters.identifiers import (
    validate_hpio,
    validate_medicare_provider_number,
)

__all__ = ["MyHealthRecordSettings", "Settings", "read_settings"]


@dataclass(frozen=True)
class MyHealthRecordSettings:
    """The ``my_health_record`` config mapping."""

    enabled: bool = True
    ihi_search: bool = False


@dataclass(frozen=True)
class Settings:
    """Validated organisation settings of one adapter instance."""

    hpio: str
    provider_number: str | None
    my_health_record: MyHealthRecordSettings


def read_settings(provider_id: str, config: Mapping[str, Any]) -> Settings:
    """Read and check ``hpi_o``, ``provider_number`` and ``my_health_record``.

    ``hpi_o`` is required. ``provider_number`` is optional, because each
    claim names its provider. Raises ConfigurationError naming the key.
    """
    hpio = config.get("hpi_o")
    if not hpio:
        raise ConfigurationError(
            f"{provider_id}: config key 'hpi_o' is missing. Set it to the 16-digit "
            "HPI-O of the organisation that the PKI certificate was issued to."
        )
    provider_number = config.get("provider_number")
    return Settings(
        hpio=_checked(provider_id, "hpi_o", hpio, validate_hpio),
        provider_number=None
        if provider_number in (None, "")
        else _checked(
            provider_id,
            "provider_number",
            provider_number,
            validate_medicare_provider_number,
        ),
        my_health_record=_my_health_record(provider_id, config.get("my_health_record")),
    )


def _checked(
    provider_id: str, key: str, value: Any, validator: Callable[[str], str]
) -> str:
    try:
        return validator(value)
    except InvalidIdentifierError as exc:
        raise ConfigurationError(
            f"{provider_id}: config key {key!r} is invalid. {exc} Copy the number "
            "from the registration letter; example numbers often fail this check."
        ) from exc


def _my_health_record(provider_id: str, value: Any) -> MyHealthRecordSettings:
    if value is None:
        return MyHealthRecordSettings()
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{provider_id}: my_health_record must be a mapping with the keys "
            f"enabled and ihi_search, got {type(value).__name__}."
        )
    unknown = sorted(set(value) - {"enabled", "ihi_search"})
    if unknown:
        raise ConfigurationError(
            f"{provider_id}: my_health_record has unknown keys {unknown}. "
            "Use enabled and ihi_search."
        )
    flags = {}
    for key, default in (("enabled", True), ("ihi_search", False)):
        flag = value.get(key, default)
        if not isinstance(flag, bool):
            raise ConfigurationError(
                f"{provider_id}: my_health_record.{key} must be true or false, "
                f"got {flag!r}."
            )
        flags[key] = flag
    return MyHealthRecordSettings(**flags)
