"""Build Kaiser appointment requests and map them to and from FHIR R4 Appointment.

The request follows US Core conventions for Appointment: the patient, the
practitioner (by NPI) and the facility are participants, the department is
the ``serviceType`` and the appointment type is an HL7 v2-0276 code. The
request carries a business identifier ``urn:uuid:<key>``, and the POST
sends ``If-None-Exist`` on it (FHIR conditional create), so that a retried
booking returns the first appointment instead of making a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from carecert.adapters.appointment_times import check_appointment_times
from carecert.adapters.fhir.appointment import (
    optional_instant,
    participant_identifiers,
    schedule_to_fhir,
)
from carecert.adapters.fhir.elements import (
    MappingError,
    coding_from_concept,
    identifier_from_fhir,
    identifier_to_fhir,
    items,
    optional_str,
    require_str,
    require_type,
)
from carecert.adapters.identifiers import NPI_SYSTEM
from carecert.adapters.kaiser.codes import (
    APPOINTMENT_TYPE_SYSTEM,
    APPOINTMENT_TYPES,
    DEPARTMENT,
    DEPARTMENT_SYSTEM,
    FACILITY_SYSTEM,
    MRN_SYSTEM,
)
from carecert.adapters.models import Appointment, AppointmentStatus, Identifier

__all__ = [
    "BOOKING_ID_SYSTEM",
    "KaiserAppointment",
    "appointment_from_fhir",
    "appointment_request",
    "appointment_to_fhir",
    "if_none_exist",
]

BOOKING_ID_SYSTEM = "urn:ietf:rfc:3986"
"""Identifier.system of the ``urn:uuid:`` booking identifier (a URI)."""

_WHERE = "Appointment"
_V2_TO_TYPE = {code: name for name, code in APPOINTMENT_TYPES.items()}
_ACTOR_TYPES = ("Patient", "Practitioner", "Location")


class KaiserAppointment(Appointment):
    """A canonical Appointment with the practitioner and department Kaiser books.

    ``location`` is the facility (region) code and ``appointment_type`` one
    of APPOINTMENT_TYPES, such as FOLLOW_UP.
    """

    practitioner: Identifier = Field(description="The practitioner, by NPI.")
    department: str = Field(min_length=1, description="Department code (CARDIOLOGY).")
    booking_id: str | None = Field(
        default=None, description="The urn:uuid: identifier the booking was made with."
    )


def appointment_request(
    *,
    mrn: str,
    department: str,
    npi: str,
    appointment_type: str,
    facility: str,
    booking_id: str,
    start: datetime | None,
    end: datetime | None,
) -> KaiserAppointment:
    """Build the requested appointment, or raise ValueError for a bad argument.

    ``mrn`` and ``npi`` must already be validated. Without ``start`` the
    request is ``proposed`` and the service picks the time.
    """
    if not isinstance(department, str) or not DEPARTMENT.fullmatch(department):
        raise ValueError(
            f"department {department!r} is invalid. Give the Kaiser department "
            "code in capitals, digits and underscores, e.g. CARDIOLOGY."
        )
    if appointment_type not in APPOINTMENT_TYPES:
        raise ValueError(
            f"appointment_type {appointment_type!r} is unknown. Use one of "
            f"{', '.join(APPOINTMENT_TYPES)}."
        )
    check_appointment_times(start, end, end_required=True)
    return KaiserAppointment(
        patient=Identifier(system=MRN_SYSTEM, value=mrn),
        practitioner=Identifier(system=NPI_SYSTEM, value=npi),
        location=Identifier(system=FACILITY_SYSTEM, value=facility),
        department=department,
        appointment_type=appointment_type,
        status=AppointmentStatus.BOOKED if start else AppointmentStatus.PROPOSED,
        start=start,
        end=end,
        booking_id=booking_id,
    )


def if_none_exist(booking_id: str) -> str:
    """Return the If-None-Exist search that finds a booking made with ``booking_id``."""
    return f"identifier={BOOKING_ID_SYSTEM}|{booking_id}"


def appointment_to_fhir(
    appointment: KaiserAppointment, patient_id: str | None = None
) -> dict[str, Any]:
    """Map a KaiserAppointment to a FHIR R4 Appointment.

    With ``patient_id`` the patient participant also carries the literal
    reference Patient/``patient_id``.
    """
    resource: dict[str, Any] = {"resourceType": "Appointment"}
    if appointment.id is not None:
        resource["id"] = appointment.id
    if appointment.booking_id is not None:
        resource["identifier"] = [
            {"system": BOOKING_ID_SYSTEM, "value": appointment.booking_id}
        ]
    resource["status"] = appointment.status.value
    resource["serviceType"] = [
        {"coding": [{"system": DEPARTMENT_SYSTEM, "code": appointment.department}]}
    ]
    resource["appointmentType"] = {
        "coding": [
            {
                "system": APPOINTMENT_TYPE_SYSTEM,
                "code": APPOINTMENT_TYPES[appointment.appointment_type],
            }
        ]
    }
    resource.update(schedule_to_fhir(appointment))
    # Participants stay "needs-action" until the service books the slot.
    status = (
        "accepted" if appointment.status is AppointmentStatus.BOOKED else "needs-action"
    )
    patient: dict[str, Any] = {"type": "Patient"}
    if patient_id is not None:
        patient["reference"] = f"Patient/{patient_id}"
    patient["identifier"] = identifier_to_fhir(appointment.patient)
    resource["participant"] = [
        {"actor": patient, "status": status},
        {
            "actor": {
                "type": "Practitioner",
                "identifier": identifier_to_fhir(appointment.practitioner),
            },
            "status": status,
        },
        {
            "actor": {
                "type": "Location",
                "identifier": identifier_to_fhir(appointment.location),
            },
            "status": status,
        },
    ]
    return resource


def appointment_from_fhir(resource: Any) -> KaiserAppointment:
    """Map a FHIR R4 Appointment to a KaiserAppointment.

    The first participant of each actor type Patient, Practitioner and
    Location gives the patient, the practitioner and the facility, and each
    must carry an identifier.
    """
    body = require_type(resource, _WHERE)
    actors = participant_identifiers(body, _ACTOR_TYPES)
    return KaiserAppointment(
        id=optional_str(body.get("id"), _WHERE, "id"),
        booking_id=_booking_id(body),
        patient=actors["Patient"],
        practitioner=actors["Practitioner"],
        location=actors["Location"],
        department=_department(body),
        appointment_type=_appointment_type(body),
        status=AppointmentStatus(require_str(body.get("status"), _WHERE, "status")),
        start=optional_instant(body, "start"),
        end=optional_instant(body, "end"),
        description=optional_str(body.get("description"), _WHERE, "description"),
        created=optional_instant(body, "created"),
    )


def _booking_id(body: Mapping[str, Any]) -> str | None:
    for path, item in items(body, "identifier", _WHERE):
        identifier = identifier_from_fhir(item, _WHERE, path)
        if identifier.system == BOOKING_ID_SYSTEM:
            return identifier.value
    return None


def _department(body: Mapping[str, Any]) -> str:
    for path, concept in items(body, "serviceType", _WHERE):
        coding = coding_from_concept(concept, _WHERE, path)
        if coding.system == DEPARTMENT_SYSTEM:
            return coding.code
    raise MappingError(_WHERE, "serviceType", f"no coding in {DEPARTMENT_SYSTEM}")


def _appointment_type(body: Mapping[str, Any]) -> str:
    coding = coding_from_concept(body.get("appointmentType"), _WHERE, "appointmentType")
    if coding.system != APPOINTMENT_TYPE_SYSTEM or coding.code not in _V2_TO_TYPE:
        raise MappingError(
            _WHERE, "appointmentType", f"expected a code of {APPOINTMENT_TYPE_SYSTEM}"
        )
    return _V2_TO_TYPE[coding.code]
