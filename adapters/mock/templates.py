"""Response templates: how each mock provider shapes requests and responses.

Bodies are synthetic and only plausible. The "nhs" template follows FHIR R4
Appointment and Patient resources. The "spain_sas" template is an invented
JSON shape with Spanish field names, because the Servicio Andaluz de Salud
publishes no open booking API to copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.models import Appointment, AppointmentStatus, Identifier

__all__ = ["TEMPLATES", "Booking", "ResponseTemplate", "get_template"]

MOCK_PATIENT_SYSTEM = "urn:carecert:mock:patient"
MOCK_SITE_SYSTEM = "urn:carecert:mock:site"

Json = dict[str, Any]


@dataclass(frozen=True)
class Booking:
    """An appointment as the mock server stores it."""

    id: str
    patient_id: str
    specialty: str
    start: datetime
    end: datetime
    created: datetime


@dataclass(frozen=True)
class ResponseTemplate:
    """One provider's wire format for the mock server and client."""

    name: str
    country: str
    site: str
    booking_path: str
    patient_path: str
    booking_request: Callable[[str, str], Json]
    read_booking_request: Callable[[Any], tuple[str, str]]
    booking_response: Callable[[Booking, str], Json]
    read_booking_response: Callable[[Any], Appointment]
    patient_response: Callable[[str], Json]


# NHS: FHIR R4


def _nhs_request(patient_id: str, specialty: str) -> Json:
    return {
        "resourceType": "Appointment",
        "status": "proposed",
        "serviceType": [{"text": specialty}],
        "participant": [
            {
                "actor": {
                    "identifier": {"system": MOCK_PATIENT_SYSTEM, "value": patient_id}
                },
                "status": "needs-action",
            }
        ],
    }


def _nhs_read_request(body: Any) -> tuple[str, str]:
    patient = body["participant"][0]["actor"]["identifier"]["value"]
    specialty = body["serviceType"][0]["text"]
    return _text(patient), _text(specialty)


def _nhs_response(booking: Booking, site: str) -> Json:
    return {
        "resourceType": "Appointment",
        "id": booking.id,
        "meta": {"versionId": "1"},
        "status": "booked",
        "serviceType": [{"text": booking.specialty}],
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "created": booking.created.isoformat(),
        "participant": [
            {
                "actor": {
                    "identifier": {
                        "system": MOCK_PATIENT_SYSTEM,
                        "value": booking.patient_id,
                    }
                },
                "status": "accepted",
            },
            {
                "actor": {"identifier": {"system": MOCK_SITE_SYSTEM, "value": site}},
                "status": "accepted",
            },
        ],
    }


def _nhs_read_response(body: Any) -> Appointment:
    actors = [p["actor"]["identifier"] for p in body["participant"]]
    return Appointment(
        id=body["id"],
        patient=Identifier(system=actors[0]["system"], value=actors[0]["value"]),
        location=Identifier(system=actors[1]["system"], value=actors[1]["value"]),
        appointment_type=body["serviceType"][0]["text"],
        status=AppointmentStatus(body["status"]),
        start=datetime.fromisoformat(body["start"]),
        end=datetime.fromisoformat(body["end"]),
        created=datetime.fromisoformat(body["created"]),
    )


def _nhs_patient(patient_id: str) -> Json:
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [{"system": MOCK_PATIENT_SYSTEM, "value": patient_id}],
        "name": [{"use": "usual", "family": "Synthetic", "given": ["Mock"]}],
        "gender": "unknown",
        "birthDate": "1980-01-01",
    }


# Servicio Andaluz de Salud: invented Spanish JSON


def _sas_request(patient_id: str, specialty: str) -> Json:
    return {"nuhsa": patient_id, "especialidad": specialty, "centro": "CS_MOCK_001"}


def _sas_read_request(body: Any) -> tuple[str, str]:
    return _text(body["nuhsa"]), _text(body["especialidad"])


def _sas_response(booking: Booking, site: str) -> Json:
    return {
        "cita": {
            "idCita": f"SAS-{int(booking.id):06d}",
            "nuhsa": booking.patient_id,
            "especialidad": booking.specialty,
            "centro": {"codigo": site, "nombre": "Centro de Salud Simulado"},
            "fechaHoraInicio": booking.start.isoformat(),
            "fechaHoraFin": booking.end.isoformat(),
            "fechaAlta": booking.created.isoformat(),
            "estado": "CONFIRMADA",
        }
    }


def _sas_read_response(body: Any) -> Appointment:
    cita = body["cita"]
    if cita["estado"] != "CONFIRMADA":
        raise ValueError(f"estado {cita['estado']!r} is not CONFIRMADA")
    return Appointment(
        id=cita["idCita"],
        patient=Identifier(system=MOCK_PATIENT_SYSTEM, value=cita["nuhsa"]),
        location=Identifier(system=MOCK_SITE_SYSTEM, value=cita["centro"]["codigo"]),
        appointment_type=cita["especialidad"],
        status=AppointmentStatus.BOOKED,
        start=datetime.fromisoformat(cita["fechaHoraInicio"]),
        end=datetime.fromisoformat(cita["fechaHoraFin"]),
        created=datetime.fromisoformat(cita["fechaAlta"]),
    )


def _sas_patient(patient_id: str) -> Json:
    return {
        "nuhsa": patient_id,
        "nombre": "Paciente",
        "apellidos": "Simulado Prueba",
        "fechaNacimiento": "1980-01-01",
        "provincia": "SE",
    }


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


TEMPLATES: Mapping[str, ResponseTemplate] = {
    "nhs": ResponseTemplate(
        name="nhs",
        country="GB",
        site="Y12345",
        booking_path="/gp-connect/FHIR/R4/Appointment",
        patient_path="/personal-demographics/FHIR/R4/Patient",
        booking_request=_nhs_request,
        read_booking_request=_nhs_read_request,
        booking_response=_nhs_response,
        read_booking_response=_nhs_read_response,
        patient_response=_nhs_patient,
    ),
    "spain_sas": ResponseTemplate(
        name="spain_sas",
        country="ES",
        site="CS_MOCK_001",
        booking_path="/v2/citas",
        patient_path="/v2/pacientes",
        booking_request=_sas_request,
        read_booking_request=_sas_read_request,
        booking_response=_sas_response,
        read_booking_response=_sas_read_response,
        patient_response=_sas_patient,
    ),
}


def get_template(name: str) -> ResponseTemplate:
    """Return the template called ``name``, or raise ConfigurationError."""
    try:
        return TEMPLATES[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(TEMPLATES))
        raise ConfigurationError(
            f"Unknown response_template {name!r}. Known templates: {known}."
        ) from None
