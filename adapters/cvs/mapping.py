"""Map canonical records to and from the CVS JSON wire format, both ways.

The wire format is carecert's design of a CVS-style REST API (openapi.yaml
beside this file): camelCase JSON objects, dates as ``YYYY-MM-DD``, instants
as RFC 3339 with an offset, and upper-case status codes.

A patient on the wire has one first name, an optional middle name and one
last name. The canonical Patient carries them as one official HumanName
whose ``given`` is the first name, then the middle name if any. A patient
without ``patientId`` is named by demographic_key() on reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carecert.adapters.cvs.codes import (
    APPOINTMENT_STATUSES,
    DEMOGRAPHIC_KEY_SYSTEM,
    FILL_STATUSES,
    NDC_SYSTEM,
    PATIENT_ID_SYSTEM,
    RX_NUMBER_SYSTEM,
    STORE_SYSTEM,
    VACCINES,
)
from carecert.adapters.cvs.patients import demographic_key
from carecert.adapters.fhir.elements import MappingError, format_instant
from carecert.adapters.identifiers import NPI_SYSTEM
from carecert.adapters.models import (
    AdministrativeGender,
    Appointment,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
    Quantity,
)
from carecert.adapters.models.pharmacy import PrescriptionStatus

__all__ = [
    "appointment_from_wire",
    "appointment_to_wire",
    "booking_request_to_wire",
    "patient_from_wire",
    "patient_to_wire",
    "rx_identifier",
    "status_from_wire",
    "status_to_wire",
]

_APPOINTMENT = "CVS appointment"
_PATIENT = "CVS patient"
_STATUS = "CVS prescription status"
_WIRE_FILL_STATUS = {status: code for code, status in FILL_STATUSES.items()}
_WIRE_APPOINTMENT_STATUS = {
    status: code for code, status in APPOINTMENT_STATUSES.items()
}


# Patient


def patient_to_wire(patient: Patient) -> dict[str, Any]:
    """Map a canonical Patient to the wire patient object.

    Raises ValueError if the patient lacks what the wire requires: one
    official name with a family name and one or two given names, and a birth
    date. Only email and phone contacts are written, the first of each.
    """
    if len(patient.names) != 1:
        raise ValueError(
            f"the patient has {len(patient.names)} names; the CVS API takes one."
        )
    name = patient.names[0]
    if not name.family or not 1 <= len(name.given) <= 2:
        raise ValueError(
            "the patient's name needs a family name and one or two given names "
            "(first, then middle)."
        )
    if patient.birth_date is None:
        raise ValueError("the patient has no birth date; the CVS API requires it.")
    wire: dict[str, Any] = {}
    identity = patient.identifiers[0]
    if identity.system == PATIENT_ID_SYSTEM:
        wire["patientId"] = identity.value
    elif identity.system != DEMOGRAPHIC_KEY_SYSTEM:
        raise ValueError(
            f"the patient's first identifier is in {identity.system}; the CVS API "
            f"takes a {PATIENT_ID_SYSTEM} id or none."
        )
    wire["firstName"] = name.given[0]
    if len(name.given) == 2:
        wire["middleName"] = name.given[1]
    wire["lastName"] = name.family
    wire["dateOfBirth"] = patient.birth_date.isoformat()
    if patient.gender is not None:
        wire["gender"] = patient.gender.value
    for contact in patient.telecom:
        key = {"email": "email", "phone": "phone"}.get(contact.system)
        if key is not None and key not in wire:
            wire[key] = contact.value
    return wire


def patient_from_wire(body: Any) -> Patient:
    """Map a wire patient object to the canonical Patient."""
    data = _object(body, _PATIENT, "$")
    first = _text(data, "firstName", _PATIENT)
    last = _text(data, "lastName", _PATIENT)
    middle = _optional_text(data, "middleName", _PATIENT)
    born = _date(data, "dateOfBirth", _PATIENT)
    patient_id = _optional_text(data, "patientId", _PATIENT)
    if patient_id is not None:
        identity = Identifier(system=PATIENT_ID_SYSTEM, value=patient_id)
    else:
        identity = demographic_key(first, last, born)

    gender = _optional_text(data, "gender", _PATIENT)
    telecom = []
    for key in ("email", "phone"):
        value = _optional_text(data, key, _PATIENT)
        if value is not None:
            telecom.append(ContactPoint(system=key, value=value))

    return Patient(
        identifiers=(identity,),
        names=(
            HumanName(
                use="official",
                family=last,
                given=(first,) if middle is None else (first, middle),
            ),
        ),
        gender=None if gender is None else _gender(gender),
        birth_date=born,
        telecom=tuple(telecom),
    )


# Vaccination appointments


def booking_request_to_wire(
    patient: Patient,
    vaccine_type: str,
    store_number: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Build the body of a vaccination booking request.

    ``vaccine_type`` must be a key of VACCINES. Without ``start`` the store
    picks the next free slot.
    """
    vaccine = VACCINES[vaccine_type]
    body: dict[str, Any] = {
        "storeNumber": store_number,
        "vaccine": {"type": vaccine.name, "cvxCode": vaccine.cvx},
        "patient": patient_to_wire(patient),
    }
    if start is not None and end is not None:
        body["slot"] = {"start": format_instant(start), "end": format_instant(end)}
    return body


def appointment_to_wire(appointment: Appointment, patient: Patient) -> dict[str, Any]:
    """Map a canonical vaccination Appointment and its patient to the wire.

    Raises ValueError for a status without a wire code (see
    APPOINTMENT_STATUSES), an unknown vaccine type, or a patient whose
    identity differs from ``appointment.patient``.
    """
    code = _WIRE_APPOINTMENT_STATUS.get(appointment.status)
    if code is None:
        raise ValueError(
            f"appointment status {appointment.status.value!r} has no CVS code. "
            f"Use one of {', '.join(s.value for s in _WIRE_APPOINTMENT_STATUS)}."
        )
    if appointment.location.system != STORE_SYSTEM:
        raise ValueError(
            f"the appointment location is in {appointment.location.system}; "
            f"CVS appointments are at a store ({STORE_SYSTEM})."
        )
    if appointment.patient != patient.identifiers[0]:
        raise ValueError("the patient given is not the appointment's patient.")
    vaccine = VACCINES.get(appointment.appointment_type)
    if vaccine is None:
        raise ValueError(
            f"appointment type {appointment.appointment_type!r} is not a vaccine "
            f"the CVS API books. Use one of {', '.join(VACCINES)}."
        )
    wire: dict[str, Any] = {}
    if appointment.id is not None:
        wire["appointmentId"] = appointment.id
    wire["status"] = code
    wire["storeNumber"] = appointment.location.value
    wire["vaccine"] = {"type": vaccine.name, "cvxCode": vaccine.cvx}
    wire["patient"] = patient_to_wire(patient)
    for key, moment in (
        ("start", appointment.start),
        ("end", appointment.end),
        ("createdAt", appointment.created),
    ):
        if moment is not None:
            wire[key] = format_instant(moment)
    if appointment.description is not None:
        wire["instructions"] = appointment.description
    return wire


def appointment_from_wire(body: Any) -> Appointment:
    """Map a wire vaccination appointment to the canonical Appointment.

    The appointment's patient is the wire patient's identity: its
    ``patientId``, or the demographic key where it has none.
    """
    data = _object(body, _APPOINTMENT, "$")
    vaccine = _object(data.get("vaccine"), _APPOINTMENT, "vaccine")
    vaccine_type = _text(vaccine, "type", _APPOINTMENT, prefix="vaccine.")
    known = VACCINES.get(vaccine_type)
    if known is None:
        raise MappingError(_APPOINTMENT, "vaccine.type", "is not a declared vaccine")
    cvx = _optional_text(vaccine, "cvxCode", _APPOINTMENT, prefix="vaccine.")
    if cvx is not None and cvx != known.cvx:
        raise MappingError(
            _APPOINTMENT, "vaccine.cvxCode", f"does not match {vaccine_type}"
        )
    patient = patient_from_wire(data.get("patient"))
    status = _text(data, "status", _APPOINTMENT)
    if status not in APPOINTMENT_STATUSES:
        raise MappingError(_APPOINTMENT, "status", "is not a known status code")
    return Appointment(
        id=_optional_text(data, "appointmentId", _APPOINTMENT),
        patient=patient.identifiers[0],
        location=Identifier(
            system=STORE_SYSTEM, value=_text(data, "storeNumber", _APPOINTMENT)
        ),
        appointment_type=known.name,
        status=APPOINTMENT_STATUSES[status],
        start=_instant(data, "start", _APPOINTMENT),
        end=_instant(data, "end", _APPOINTMENT),
        description=_optional_text(data, "instructions", _APPOINTMENT),
        created=_instant(data, "createdAt", _APPOINTMENT),
    )


# Prescription status


def status_to_wire(status: PrescriptionStatus) -> dict[str, Any]:
    """Map a canonical PrescriptionStatus to the wire status object.

    Raises ValueError if ``pharmacy`` is not a store number, or if
    ``patient``, ``medication``, ``prescriber`` or ``pharmacy_npi`` is in a
    system that the wire cannot name.
    """
    _require_system(status.pharmacy, STORE_SYSTEM, "pharmacy")
    wire: dict[str, Any] = {
        "rxNumber": status.rx_number,
        "status": _WIRE_FILL_STATUS[status.status],
        "store": {"storeNumber": status.pharmacy.value},
    }
    if status.pharmacy_npi is not None:
        _require_system(status.pharmacy_npi, NPI_SYSTEM, "pharmacy_npi")
        wire["store"]["npi"] = status.pharmacy_npi.value
    if status.patient is not None:
        _require_system(status.patient, PATIENT_ID_SYSTEM, "patient")
        wire["patientId"] = status.patient.value
    drug: dict[str, Any] = {}
    if status.medication is not None:
        if status.medication.system != NDC_SYSTEM:
            raise ValueError(f"medication must be coded in {NDC_SYSTEM}.")
        drug["ndc"] = status.medication.code
    if status.medication_text is not None:
        drug["name"] = status.medication_text
    if drug:
        wire["drug"] = drug
    if status.quantity is not None:
        quantity: dict[str, Any] = {"value": _json_number(status.quantity.value)}
        if status.quantity.unit is not None:
            quantity["unit"] = status.quantity.unit
        wire["quantity"] = quantity
    if status.days_supply is not None:
        wire["daysSupply"] = status.days_supply
    wire["refillsRemaining"] = status.refills_remaining
    for key, day in (
        ("lastFillDate", status.last_fill_date),
        ("nextFillDate", status.next_fill_date),
        ("expirationDate", status.expiration_date),
    ):
        if day is not None:
            wire[key] = day.isoformat()
    if status.prescriber is not None:
        _require_system(status.prescriber, NPI_SYSTEM, "prescriber")
        wire["prescriber"] = {"npi": status.prescriber.value}
    return wire


def status_from_wire(body: Any) -> PrescriptionStatus:
    """Map a wire prescription status object to the canonical PrescriptionStatus.

    The NDC, if any, must already be in the 11-digit 5-4-2 form. NPIs are
    read as sent; the adapter checks their check digits separately.
    """
    data = _object(body, _STATUS, "$")
    code = _text(data, "status", _STATUS)
    if code not in FILL_STATUSES:
        raise MappingError(_STATUS, "status", "is not a known status code")
    store = _object(data.get("store"), _STATUS, "store")
    drug = data.get("drug")
    medication = medication_text = None
    if drug is not None:
        drug = _object(drug, _STATUS, "drug")
        ndc = _optional_text(drug, "ndc", _STATUS, prefix="drug.")
        if ndc is not None:
            medication = Coding(system=NDC_SYSTEM, code=ndc)
        medication_text = _optional_text(drug, "name", _STATUS, prefix="drug.")
    prescriber = data.get("prescriber")
    prescriber_id = None
    if prescriber is not None:
        prescriber = _object(prescriber, _STATUS, "prescriber")
        prescriber_id = Identifier(
            system=NPI_SYSTEM,
            value=_text(prescriber, "npi", _STATUS, prefix="prescriber."),
        )
    store_npi = _optional_text(store, "npi", _STATUS, prefix="store.")
    patient_id = _optional_text(data, "patientId", _STATUS)
    return PrescriptionStatus(
        rx_number=_text(data, "rxNumber", _STATUS),
        status=FILL_STATUSES[code],
        pharmacy=Identifier(
            system=STORE_SYSTEM,
            value=_text(store, "storeNumber", _STATUS, prefix="store."),
        ),
        pharmacy_npi=(
            None
            if store_npi is None
            else Identifier(system=NPI_SYSTEM, value=store_npi)
        ),
        patient=(
            None
            if patient_id is None
            else Identifier(system=PATIENT_ID_SYSTEM, value=patient_id)
        ),
        medication=medication,
        medication_text=medication_text,
        quantity=_quantity(data.get("quantity")),
        days_supply=_optional_int(data, "daysSupply", _STATUS),
        refills_remaining=_int(data, "refillsRemaining", _STATUS),
        last_fill_date=_optional_date(data, "lastFillDate", _STATUS),
        next_fill_date=_optional_date(data, "nextFillDate", _STATUS),
        expiration_date=_optional_date(data, "expirationDate", _STATUS),
        prescriber=prescriber_id,
    )


def rx_identifier(rx_number: str) -> Identifier:
    """Return the identifier of an Rx number, for consent and audit records."""
    return Identifier(system=RX_NUMBER_SYSTEM, value=rx_number)


# Wire value readers


def _object(value: Any, where: str, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MappingError(where, path, "expected a JSON object")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, prefix: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MappingError(where, prefix + key, "missing or not a non-empty string")
    return value


def _optional_text(
    data: Mapping[str, Any], key: str, where: str, *, prefix: str = ""
) -> str | None:
    if data.get(key) is None:
        return None
    return _text(data, key, where, prefix=prefix)


def _date(data: Mapping[str, Any], key: str, where: str) -> date:
    text = _text(data, key, where)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise MappingError(where, key, "expected a date as YYYY-MM-DD") from None


def _optional_date(data: Mapping[str, Any], key: str, where: str) -> date | None:
    return None if data.get(key) is None else _date(data, key, where)


def _instant(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    if data.get(key) is None:
        return None
    text = _text(data, key, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(where, key, "expected an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise MappingError(where, key, "has no UTC offset")
    return moment


def _int(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(where, key, "missing or not an integer")
    return value


def _optional_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    return None if data.get(key) is None else _int(data, key, where)


def _quantity(value: Any) -> Quantity | None:
    if value is None:
        return None
    data = _object(value, _STATUS, "quantity")
    number = data.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise MappingError(_STATUS, "quantity.value", "not a number")
    try:
        # str() first, so that the float 0.1 reads as Decimal("0.1").
        amount = Decimal(str(number))
    except InvalidOperation:
        raise MappingError(_STATUS, "quantity.value", "not a number") from None
    unit = _optional_text(data, "unit", _STATUS, prefix="quantity.")
    return Quantity(value=amount, unit=unit)


def _json_number(value: Decimal) -> int | float:
    # JSON has one number type. An integral value is written without a
    # fraction. Others go through float, exact for up to 15 significant digits.
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _gender(value: str) -> AdministrativeGender:
    try:
        return AdministrativeGender(value)
    except ValueError:
        raise MappingError(_PATIENT, "gender", "is not a known code") from None


def _require_system(identifier: Identifier, system: str, field: str) -> None:
    if identifier.system != system:
        raise ValueError(
            f"{field} is in {identifier.system}; the CVS API takes {system} there."
        )
