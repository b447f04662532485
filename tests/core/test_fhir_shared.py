"""Tests for the shared FHIR mappers and the harness certificate helpers."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from carecert.adapters.fhir.appointment import (
    optional_instant,
    participant_identifiers,
    schedule_to_fhir,
)
from carecert.adapters.fhir.bundle import bundle_resources, collection_bundle
from carecert.adapters.fhir.datatypes import address_from_fhir, address_to_fhir
from carecert.adapters.fhir.elements import MappingError
from carecert.adapters.fhir.patient import (
    PatientProfile,
    patient_from_fhir,
    patient_to_fhir,
    restricted_label,
)
from carecert.adapters.models import (
    Appointment,
    AppointmentStatus,
    ContactPoint,
    HumanName,
    Identifier,
    Patient,
)
from carecert.harness.provider_keys import (
    certificate_and_key_pem,
    load_rsa_key,
    write_self_signed,
)

SYSTEM = "https://example.org/patient-id"
PRACTICE_SYSTEM = "https://example.org/practice"
PROFILE = PatientProfile(missing_identifier="missing; test profile needs one")


def _patient(**fields: object) -> Patient:
    return Patient.model_validate(
        {"id": "p1", "identifiers": (Identifier(system=SYSTEM, value="42"),), **fields}
    )


# Patient


def test_patient_round_trip() -> None:
    patient = _patient(
        names=(HumanName(use="official", family="Example", given=("Ada",)),),
        gender="female",
        birth_date=date(1980, 1, 2),
        deceased_at=datetime(2020, 5, 6, 7, 8, tzinfo=UTC),
        telecom=(ContactPoint(system="phone", value="01632960001"),),
        general_practitioner=Identifier(system=PRACTICE_SYSTEM, value="Y1"),
        restricted=True,
    )
    assert patient_from_fhir(patient_to_fhir(patient, PROFILE), PROFILE) == patient


def test_patient_elements_in_fhir_order() -> None:
    patient = _patient(
        names=(HumanName(family="Example"),),
        gender="male",
        birth_date=date(1980, 1, 2),
        telecom=(ContactPoint(system="phone", value="01632960001"),),
        general_practitioner=Identifier(system=PRACTICE_SYSTEM, value="Y1"),
        restricted=True,
    )
    resource = patient_to_fhir(patient, PROFILE)
    assert list(resource) == [
        "resourceType",
        "id",
        "meta",
        "identifier",
        "name",
        "telecom",
        "gender",
        "birthDate",
        "generalPractitioner",
    ]


def test_unrestricted_patient_has_no_meta() -> None:
    assert "meta" not in patient_to_fhir(_patient(), PROFILE)
    assert restricted_label(False) is None


def test_profile_security_labels_used() -> None:
    profile = PatientProfile(
        missing_identifier="missing",
        security_labels=lambda restricted: [{"code": "R" if restricted else "U"}],
    )
    resource = patient_to_fhir(_patient(), profile)
    assert resource["meta"] == {"security": [{"code": "U"}]}


def test_practitioner_type_omitted() -> None:
    profile = PatientProfile(missing_identifier="missing", practitioner_type=None)
    patient = _patient(
        general_practitioner=Identifier(system=PRACTICE_SYSTEM, value="Y1")
    )
    resource = patient_to_fhir(patient, profile)
    assert resource["generalPractitioner"] == [
        {"identifier": {"system": PRACTICE_SYSTEM, "value": "Y1"}}
    ]


def test_practitioner_default_system() -> None:
    profile = PatientProfile(
        missing_identifier="missing", practitioner_system=PRACTICE_SYSTEM
    )
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": "42"}],
        "generalPractitioner": [{"identifier": {"value": "Y1"}}],
    }
    patient = patient_from_fhir(resource, profile)
    assert patient.general_practitioner == Identifier(
        system=PRACTICE_SYSTEM, value="Y1"
    )


def test_practitioner_without_identifier_skipped() -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": "42"}],
        "generalPractitioner": [
            {"display": "No identifier"},
            {"identifier": {"system": PRACTICE_SYSTEM, "value": "Y2"}},
        ],
    }
    patient = patient_from_fhir(resource, PROFILE)
    assert patient.general_practitioner == Identifier(
        system=PRACTICE_SYSTEM, value="Y2"
    )


def test_identifier_reader_can_skip() -> None:
    profile = PatientProfile(
        missing_identifier="missing; none kept",
        read_identifier=lambda value, path: None,
    )
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": "42"}],
    }
    with pytest.raises(MappingError) as raised:
        patient_from_fhir(resource, profile)
    assert raised.value.path == "identifier"
    assert raised.value.problem == "missing; none kept"


def test_telecom_without_value_dropped() -> None:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": "42"}],
        "telecom": [{"system": "phone"}, {"system": "email", "value": "a@example.org"}],
    }
    dropping = PatientProfile(
        missing_identifier="missing", drop_telecom_without_value=True
    )
    patient = patient_from_fhir(resource, dropping)
    assert patient.telecom == (ContactPoint(system="email", value="a@example.org"),)
    with pytest.raises(MappingError):
        patient_from_fhir(resource, PROFILE)


def test_write_identifier_hook_applied() -> None:
    profile = PatientProfile(
        missing_identifier="missing",
        write_identifier=lambda i: Identifier(system=i.system, value=i.value + "0"),
    )
    resource = patient_to_fhir(_patient(), profile)
    assert resource["identifier"] == [{"system": SYSTEM, "value": "420"}]


# Bundle


def test_collection_bundle_round_trip() -> None:
    resources = [{"resourceType": "Patient", "id": "p1"}, {"resourceType": "List"}]
    located = bundle_resources(collection_bundle(resources))
    assert located == [
        ("entry[0].resource", resources[0]),
        ("entry[1].resource", resources[1]),
    ]


def test_bundle_entry_without_resource() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{}]}
    with pytest.raises(MappingError) as raised:
        bundle_resources(bundle)
    assert raised.value.path == "entry[0].resource"


# Appointment


def _appointment(**fields: object) -> Appointment:
    return Appointment.model_validate(
        {
            "patient": Identifier(system=SYSTEM, value="42"),
            "location": Identifier(system=PRACTICE_SYSTEM, value="Y1"),
            "appointment_type": "routine",
            "status": AppointmentStatus.BOOKED,
            **fields,
        }
    )


def test_schedule_elements_written_in_order() -> None:
    start = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    end = datetime(2030, 1, 7, 9, 15, tzinfo=UTC)
    elements = schedule_to_fhir(_appointment(start=start, end=end, description="x"))
    assert list(elements) == ["description", "start", "end"]
    assert elements["start"] == "2030-01-07T09:00:00+00:00"
    assert optional_instant(elements, "end") == end
    assert optional_instant(elements, "created") is None


def test_participants_by_actor_type() -> None:
    body = {
        "participant": [
            {
                "actor": {
                    "type": "Location",
                    "identifier": {"system": "l", "value": "1"},
                }
            },
            {"actor": {"type": "Patient", "identifier": {"system": "p", "value": "2"}}},
            {"actor": {"type": "Patient", "identifier": {"system": "p", "value": "3"}}},
        ]
    }
    actors = participant_identifiers(body, ("Patient", "Location"))
    assert actors["Patient"] == Identifier(system="p", value="2")
    assert actors["Location"] == Identifier(system="l", value="1")


def test_missing_participant_type() -> None:
    body = {"participant": [{"actor": {"type": "Patient", "identifier": {}}}]}
    with pytest.raises(MappingError) as raised:
        participant_identifiers(body, ("Location",))
    assert raised.value.problem == "no Location participant"


# Harness certificates


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "session-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_self_signed_certificate_written(key_path: Path) -> None:
    path = write_self_signed(key_path, "client.pem", "carecert test client")
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    common_name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert path.parent == key_path.parent
    assert common_name[0].value == "carecert test client"
    assert certificate.issuer == certificate.subject
    assert certificate.public_key() == load_rsa_key(key_path).public_key()


def test_existing_certificate_reused(key_path: Path) -> None:
    first = write_self_signed(key_path, "client.pem", "carecert test client")
    content = first.read_bytes()
    second = write_self_signed(key_path, "client.pem", "another name")
    assert second == first
    assert second.read_bytes() == content


def test_certificate_with_key_private(key_path: Path) -> None:
    path = write_self_signed(
        key_path,
        "identity.pem",
        "carecert test signer",
        encode=certificate_and_key_pem,
        mode=0o600,
    )
    content = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN CERTIFICATE" in content
    assert b"BEGIN PRIVATE KEY" in content


def test_extra_subject_attributes(key_path: Path) -> None:
    serial = x509.NameAttribute(NameOID.SERIAL_NUMBER, "8003620000000001")
    path = write_self_signed(
        key_path, "org.pem", "carecert test org", extra_subject=[serial]
    )
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    assert list(certificate.subject) == [
        x509.NameAttribute(NameOID.COMMON_NAME, "carecert test org"),
        serial,
    ]


def test_non_rsa_key_rejected(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(TypeError, match="RSA key"):
        load_rsa_key(path)


def test_address_state_round_trips() -> None:
    element = {
        "use": "home",
        "line": ["1 Sample Street"],
        "city": "Canberra",
        "state": "ACT",
        "postalCode": "2600",
        "country": "AU",
    }

    address = address_from_fhir(element, "Patient/1", "address[0]")

    assert address.state == "ACT"
    assert address_to_fhir(address) == element
