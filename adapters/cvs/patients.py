"""Turn the ``patient_info`` mapping of schedule_vaccination into a canonical Patient.

``patient_info`` has ``first_name``, ``last_name`` and ``dob`` (YYYY-MM-DD),
and may have ``middle_name``, ``gender``, ``email``, ``phone`` and
``patient_id`` (the CVS patient id). A patient without ``patient_id`` is
named by demographic_key(), so that consent and audit records can refer to
them before CVS assigns an id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from carecert.adapters.cvs.codes import DEMOGRAPHIC_KEY_SYSTEM, PATIENT_ID_SYSTEM
from carecert.adapters.cvs.validation import parse_birth_date, validate_patient_id
from carecert.adapters.models import (
    AdministrativeGender,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "PATIENT_INFO_KEYS",
    "demographic_key",
    "patient_from_info",
    "patient_identity",
]

MAX_NAME_LENGTH = 100
"""Maximum characters in one name part, an assumed limit of the booking API."""

PATIENT_INFO_KEYS = (
    "first_name",
    "last_name",
    "dob",
    "middle_name",
    "gender",
    "email",
    "phone",
    "patient_id",
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,18}[0-9]")


def demographic_key(first_name: str, last_name: str, birth_date: date) -> Identifier:
    """Return the identifier carecert derives from a patient's name and birth date.

    The value is a SHA-256 digest of the NFC-normalised, case-folded names and
    the date, so that the audit log does not spell out the name. It is a
    pseudonym, not anonymous: anyone with the name and date can compute it.
    """
    parts = [
        unicodedata.normalize("NFC", part.strip()).casefold()
        for part in (last_name, first_name)
    ]
    text = "\x1f".join([*parts, birth_date.isoformat()])
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return Identifier(system=DEMOGRAPHIC_KEY_SYSTEM, value=digest)


def patient_identity(patient: Patient) -> Identifier:
    """Return the identifier that consent and audit records use for ``patient``."""
    return patient.identifiers[0]


def patient_from_info(patient_info: Mapping[str, Any]) -> Patient:
    """Validate ``patient_info`` and return the canonical Patient.

    Raises ValueError naming the key and the problem. Names are kept as given,
    apart from surrounding spaces, so names in any script pass unchanged.
    """
    if not isinstance(patient_info, Mapping):
        raise ValueError(
            "patient_info must be a mapping with first_name, last_name and dob, "
            f"got {type(patient_info).__name__}."
        )
    unknown = sorted(set(patient_info) - set(PATIENT_INFO_KEYS))
    if unknown:
        raise ValueError(
            f"patient_info has unknown keys {unknown}. Use "
            f"{', '.join(PATIENT_INFO_KEYS)}."
        )
    first = _name(patient_info, "first_name", required=True)
    last = _name(patient_info, "last_name", required=True)
    middle = _name(patient_info, "middle_name", required=False)
    assert first is not None and last is not None
    if "dob" not in patient_info:
        raise ValueError("patient_info['dob'] is missing. Give it as YYYY-MM-DD.")
    born = parse_birth_date(patient_info["dob"], argument="patient_info['dob']")

    patient_id = patient_info.get("patient_id")
    if patient_id is not None:
        identity = Identifier(
            system=PATIENT_ID_SYSTEM, value=validate_patient_id(patient_id)
        )
    else:
        identity = demographic_key(first, last, born)
    given = (first,) if middle is None else (first, middle)
    return Patient(
        identifiers=(identity,),
        names=(HumanName(use="official", family=last, given=given),),
        gender=_gender(patient_info.get("gender")),
        birth_date=born,
        telecom=_telecom(patient_info),
    )


def _name(info: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = info.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"patient_info[{key!r}] is missing or blank. Give the name as text, "
            "in any script."
        )
    text = value.strip()
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(
            f"patient_info[{key!r}] has {len(text)} characters; at most "
            f"{MAX_NAME_LENGTH} are accepted."
        )
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in text):
        raise ValueError(
            f"patient_info[{key!r}] contains a control or format character. Remove it."
        )
    return text


def _gender(value: Any) -> AdministrativeGender | None:
    if value is None:
        return None
    try:
        return AdministrativeGender(str(value).strip().lower())
    except ValueError:
        options = ", ".join(gender.value for gender in AdministrativeGender)
        raise ValueError(
            f"patient_info['gender'] {value!r} is invalid. Use one of {options}."
        ) from None


def _telecom(info: Mapping[str, Any]) -> tuple[ContactPoint, ...]:
    contacts = []
    email = info.get("email")
    if email is not None:
        if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
            raise ValueError(
                f"patient_info['email'] {email!r} is invalid. Give an address "
                "such as name@example.com."
            )
        contacts.append(ContactPoint(system="email", value=email.strip()))
    phone = info.get("phone")
    if phone is not None:
        if not isinstance(phone, str) or not _PHONE.fullmatch(phone.strip()):
            raise ValueError(
                f"patient_info['phone'] {phone!r} is invalid. Give digits, "
                "optionally with +, spaces, hyphens or brackets, e.g. "
                "+1 555 010 0199."
            )
        contacts.append(ContactPoint(system="phone", value=phone.strip()))
    return tuple(contacts)
