"""Check booking arguments and build the appointment request."""

from __future__ import annotations

from datetime import datetime

from carecert.adapters.appointment_times import check_appointment_times
from carecert.adapters.models import Appointment, AppointmentStatus, Identifier
from carecert.adapters.sas.codes import (
    CENTRE_CODE,
    CENTRE_CODE_SYSTEM,
    CENTRE_NAME_SYSTEM,
    NUHSA_SYSTEM,
    SPECIALTIES,
)

__all__ = ["appointment_request", "centre_identifier"]


def centre_identifier(centre: str | None) -> Identifier:
    """Return the Location identifier for a centre code or a centre name.

    A value shaped like CS_SEVILLA_001 is a code. Any other non-blank text
    is a centre name, kept as given apart from surrounding spaces.
    """
    if centre is None or not isinstance(centre, str) or not centre.strip():
        raise ValueError(
            f"center_preference {centre!r} is empty and no centro_salud_id is "
            "configured. Name a centre, e.g. 'Hospital Virgen del Rocío'."
        )
    text = centre.strip()
    if CENTRE_CODE.fullmatch(text):
        return Identifier(system=CENTRE_CODE_SYSTEM, value=text)
    return Identifier(system=CENTRE_NAME_SYSTEM, value=text)


def appointment_request(
    nuhsa: str,
    specialty: str,
    location: Identifier,
    start: datetime | None,
    end: datetime | None,
) -> Appointment:
    """Build the requested Appointment, or raise ValueError for a bad argument.

    With ``start`` the request has status ``booked``, and without it
    ``proposed``, so that the service picks the time.
    """
    if not isinstance(specialty, str) or specialty not in SPECIALTIES:
        raise ValueError(
            f"specialty {specialty!r} is unknown. Use one of {', '.join(SPECIALTIES)}."
        )
    check_appointment_times(start, end, end_required=True)
    return Appointment(
        patient=Identifier(system=NUHSA_SYSTEM, value=nuhsa),
        location=location,
        appointment_type=specialty,
        status=AppointmentStatus.BOOKED if start else AppointmentStatus.PROPOSED,
        start=start,
        end=end,
    )
