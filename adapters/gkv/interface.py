"""GKV adapter: insurance status, KVDT billing and E-Rezept prescriptions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from carecert.adapters.auth import build_mutual_tls_context
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.errors import (
    ConfigurationError,
    InvalidResponseError,
    ResourceNotFoundError,
)
from carecert.adapters.gkv.billing import (
    KVDT_CONTENT_TYPE,
    default_service_date,
    kvdt_file,
    receipt_from,
)
from carecert.adapters.gkv.coverage import insurance_status_from_bundle
from carecert.adapters.gkv.endpoints import (
    ERP_HOST,
    KONNEKTOR_HOST,
    KV_HOST,
    resolve_endpoints,
)
from carecert.adapters.gkv.erp import (
    ACCESS_CODE_HEADER,
    activate_parameters,
    create_parameters,
    task_from_fhir,
)
from carecert.adapters.gkv.kbv import build_kbv_bundle, prescription_from_data
from carecert.adapters.gkv.kbv_parties import Insurance
from carecert.adapters.gkv.models import ErpTask, InsuranceStatus, KvdtReceipt
from carecert.adapters.gkv.responses import parse_json, raise_for_status
from carecert.adapters.gkv.settings import (
    LEISTUNGSARTEN,
    api_credentials,
    read_settings,
)
from carecert.adapters.identifiers.kvnr import KVNR_SYSTEM, validate_kvnr
from carecert.adapters.models import Identifier, Patient
from carecert.adapters.provider import (
    AuthMethod,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience.idempotency import new_idempotency_key

if TYPE_CHECKING:
    from carecert.harness.providers import ProviderHarness

__all__ = ["IDEMPOTENCY_HEADER", "GKVInterface"]

log = logging.getLogger("carecert.gkv")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header whose value the KV billing service de-duplicates submissions on."""


class GKVInterface(HttpProvider):
    """German statutory health insurance through the gematik TI and the KV.

    Config keys:

    * ``betriebsnummer``: the practice's nine-digit Betriebsstättennummer.
    * ``kv_bezirk``: the two-digit KV region, as 17 for Nordrhein (optional).
    * ``versicherten_status``: the insurance types to accept, of GKV and PKV.
    * ``api_credentials``: ``konnektor_url`` and ``mandant_id``.
    * ``telematik_id``: the Telematik-ID of the practice's SMC-B.
    * ``client_cert`` and ``client_key``: the PEM files for mutual TLS.
    * ``prescriber`` (lanr, name, qualification_text) and ``praxis`` (name,
      phone): needed by create_prescription only.
    * URL overrides: ``erp_base`` and ``kv_base``.
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.
    """

    info = ProviderInfo(
        id="gkv",
        name="Gesetzliche Krankenversicherung (gematik TI)",
        type=ProviderType.STATUTORY_INSURER,
        country="DE",
        regions=("DE",),
        compliance=("GDPR", "SGB V", "gematik"),
        primary_auth=AuthMethod.X509,
        secondary_auth=AuthMethod.SMART_CARD,
        mfa_required=True,
        mfa_kind=MfaKind.SMART_CARD,
        hosts=(
            ProviderHost(KONNEKTOR_HOST, "DE", "practice Konnektor (VSDM)"),
            ProviderHost(ERP_HOST, "DE", "gematik E-Rezept-Fachdienst"),
            ProviderHost(KV_HOST, "DE", "KV billing (KVDT submissions)"),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.gkv",
    )
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = read_settings(self.info.id, config)
        self.endpoints = resolve_endpoints(
            self.info.id, config, api_credentials(self.info.id, config)
        )
        # Loads the certificate now, so that a bad path fails at construction.
        build_mutual_tls_context(self.info, config)
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.gkv.testing import GKVHarness

        return GKVHarness()

    async def verify_insurance_status(
        self,
        versichertennummer: str,
        leistungsart: str = "ambulant",
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> InsuranceStatus:
        """Read the insured person's Coverage and whether it covers ``leistungsart``.

        The KVNR is validated, and the compliance guard consulted, before
        anything is sent. Raises ResourceNotFoundError if the Konnektor has no
        Coverage for the KVNR.
        """
        kvnr = validate_kvnr(versichertennummer)
        _check_leistungsart(self.info.id, leistungsart)
        operation = "verify_insurance_status"
        with self.guard.audited(
            patient=_kvnr_identifier(kvnr),
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            return await self._coverage(operation, kvnr, leistungsart)

    async def submit_kvdt_data(
        self,
        patient_id: str,
        kvdt_data: Mapping[str, Any],
        *,
        service_date: date | None = None,
        idempotency_key: str | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> KvdtReceipt:
        """Submit one KVDT case (services and diagnoses) for billing.

        The request body is a KVDT container file (con0, besa, rvsa, one
        package from adt0 to adt9 with the case, con9). ``patient_id`` is the
        KVNR. ``kvdt_data`` has ``abrechnungsquartal``,
        ``leistungen`` (EBM codes) and ``diagnosen`` (ICD-10-GM codes). The
        services are billed on ``service_date``, by default today or, for a
        past quarter, its last day. The request carries an Idempotency-Key,
        new by default and the same on every retry, so a retried submission
        is billed once. Bad data raises KvdtDataError before anything is sent.
        """
        kvnr = validate_kvnr(patient_id)
        today = datetime.now(UTC).date()
        day = service_date or default_service_date(kvdt_data, today)
        content = kvdt_file(
            kvdt_data,
            kvnr=kvnr,
            service_date=day,
            settings=self.settings,
            created=max(today, day),
        )
        key = idempotency_key or new_idempotency_key()
        if not key.strip():
            raise ValueError("idempotency_key is blank. Pass None for a new key.")
        operation = "submit_kvdt_data"
        with self.guard.audited(
            patient=_kvnr_identifier(kvnr),
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.kvdt_submission_url(),
                content=content,
                headers={
                    "Content-Type": KVDT_CONTENT_TYPE,
                    "Accept": "application/json",
                    IDEMPOTENCY_HEADER: key,
                },
            )
            body = parse_json(self.info.id, operation, response)
            receipt = self._map(operation, "KVDT receipt", receipt_from, body)
            if receipt.idempotency_key != key:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    "the receipt names another Idempotency-Key than the request. "
                    "Do not treat the submission as received; report this to the KV.",
                )
            return receipt

    async def create_prescription(
        self,
        patient_id: str,
        prescription_data: Mapping[str, Any],
        *,
        authored_on: date | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> str:
        """Issue an e-prescription and return its prescription id.

        The flow is the E-Rezept one: read the patient's Coverage, create a
        Task of flow type 160 (``POST /Task/$create``), build the KBV Bundle
        with the Task's prescription id and activate the Task with it
        (``POST /Task/{id}/$activate``, with the AccessCode). The KVNR and
        ``prescription_data`` are checked before anything is sent.
        """
        kvnr = validate_kvnr(patient_id)
        prescriber = self.settings.prescriber
        if prescriber is None:
            raise ConfigurationError(
                f"{self.info.id}: create_prescription needs the config keys "
                "prescriber and praxis. Set them to the prescribing physician "
                "and the practice."
            )
        day = authored_on or datetime.now(UTC).date()
        # Checks prescription_data now, so that bad data sends nothing.
        prescription_from_data(
            prescription_data,
            patient=Patient(identifiers=(_kvnr_identifier(kvnr),)),
            prescriber=prescriber,
            authored_on=day,
        )
        operation = "create_prescription"
        with self.guard.audited(
            patient=_kvnr_identifier(kvnr),
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            status = await self._coverage(operation, kvnr, "ambulant")
            if not status.covered:
                raise ResourceNotFoundError(
                    self.info.id,
                    operation,
                    f"the patient {kvnr} has no coverage in force of the accepted "
                    "types. Check versicherten_status and the insurance card.",
                )
            task = await self._create_task(operation)
            bundle = build_kbv_bundle(
                prescription_data,
                patient=status.patient,
                prescriber=prescriber,
                insurance=_insurance(status),
                authored_on=day,
                prescription_id=task.prescription_id,
            )
            activated = await self._activate_task(operation, task, bundle)
            if activated.status != "ready" or activated.kvnr != kvnr:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the activated Task {task.id} is not ready for {kvnr}. Do "
                    "not hand out the prescription; report this to gematik.",
                )
            log.info("gkv: activated e-prescription Task %s", task.id)
            assert task.prescription_id is not None  # checked in _create_task
            return task.prescription_id

    # Operations

    async def _coverage(
        self, operation: str, kvnr: str, leistungsart: str
    ) -> InsuranceStatus:
        response = await self._send(
            operation,
            "GET",
            self.endpoints.coverage_search_url(),
            params={
                "beneficiary:identifier": f"{KVNR_SYSTEM}|{kvnr}",
                "_include": "Coverage:beneficiary",
            },
        )
        body = parse_json(self.info.id, operation, response)
        status = self._map(
            operation,
            "Coverage search Bundle",
            partial(
                insurance_status_from_bundle,
                kvnr=kvnr,
                leistungsart=leistungsart,
                accepted_types=self.settings.insurance_types,
            ),
            body,
        )
        if status is None:
            raise ResourceNotFoundError(
                self.info.id,
                operation,
                f"no Coverage found for the KVNR {kvnr}. Check the number on the "
                "insurance card (eGK).",
            )
        return status

    async def _create_task(self, operation: str) -> ErpTask:
        # NOTE: the E-Rezept service also requires an access token from the
        # gematik IDP, obtained with the SMC-B. carecert does not obtain one, so
        # only the simulator accepts these requests.
        response = await self._send(
            operation,
            "POST",
            self.endpoints.task_create_url(),
            body=create_parameters(),
        )
        body = parse_json(self.info.id, operation, response)
        task = self._map(operation, "Task", task_from_fhir, body)
        if task.status != "draft" or not task.prescription_id or not task.access_code:
            raise InvalidResponseError(
                self.info.id,
                operation,
                "the created Task lacks the draft status, prescription id or "
                "AccessCode. Check that erp_base points at the E-Rezept service.",
            )
        return task

    async def _activate_task(
        self, operation: str, task: ErpTask, bundle: Mapping[str, Any]
    ) -> ErpTask:
        assert task.access_code is not None  # checked in _create_task
        response = await self._send(
            operation,
            "POST",
            self.endpoints.task_activate_url(task.id),
            body=activate_parameters(bundle),
            headers={ACCESS_CODE_HEADER: task.access_code},
        )
        body = parse_json(self.info.id, operation, response)
        return self._map(operation, "Task", task_from_fhir, body)

    # Requests

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)


def _kvnr_identifier(kvnr: str) -> Identifier:
    return Identifier(system=KVNR_SYSTEM, value=kvnr)


def _insurance(status: InsuranceStatus) -> Insurance:
    member_status = (
        status.member_status if status.member_status in ("1", "3", "5") else "1"
    )
    return Insurance(
        iknr=status.insurer.value,
        name=status.insurer_name or status.insurer.value,
        insurance_type="PKV" if status.insurance_type == "PKV" else "GKV",
        member_status=member_status,  # type: ignore[arg-type]  # checked above
    )


def _check_leistungsart(provider_id: str, value: str) -> None:
    if value not in LEISTUNGSARTEN:
        raise ValueError(
            f"{provider_id}: leistungsart {value!r} is invalid. Use one of "
            f"{', '.join(sorted(LEISTUNGSARTEN))}."
        )
