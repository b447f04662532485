"""Medicare Australia adapter: My Health Record reads and bulk-bill claims."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from carecert.adapters.auth import OAuth2BearerAuth, OAuth2TokenSource
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.errors import InvalidResponseError, OperationNotSupportedError
from carecert.adapters.identifiers import (
    validate_ihi,
    validate_medicare_number,
    validate_medicare_provider_number,
)
from carecert.adapters.medicare_au.claims import (
    claim_result_from_fhir,
    claim_to_fhir,
)
from carecert.adapters.medicare_au.codes import (
    IHI_SYSTEM,
    MBS_ITEM_SYSTEM,
    MEDICARE_NUMBER_SYSTEM,
    MEDICARE_PROVIDER_NUMBER_SYSTEM,
)
from carecert.adapters.medicare_au.endpoints import (
    CLAIMING_HOST,
    MHR_HOST,
    PRODA_HOST,
    resolve_endpoints,
)
from carecert.adapters.medicare_au.pki import load_client_credential, pem_files
from carecert.adapters.medicare_au.proda import (
    build_proda_token_source,
    read_proda_settings,
)
from carecert.adapters.medicare_au.record import (
    RecordRequest,
    record_from_bundle,
    record_parameters,
)
from carecert.adapters.medicare_au.responses import parse_json, raise_for_status
from carecert.adapters.medicare_au.settings import read_settings
from carecert.adapters.medicare_au.validation import (
    validate_access_code,
    validate_item_numbers,
    validate_service_date,
)
from carecert.adapters.models import (
    Claim,
    ClaimItem,
    ClaimResult,
    Coding,
    Identifier,
    PatientRecord,
)
from carecert.adapters.provider import (
    AuthMethod,
    MfaKind,
    ProviderHost,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience.idempotency import new_idempotency_key
from carecert.adapters.transport import build_async_client

if TYPE_CHECKING:
    from carecert.harness.providers import ProviderHarness

__all__ = ["IDEMPOTENCY_HEADER", "MedicareAustraliaProvider"]

log = logging.getLogger("carecert.medicare_au")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header whose value the claiming service de-duplicates claims on."""


class MedicareAustraliaProvider(HttpProvider):
    """Medicare Australia claiming and the My Health Record system.

    Config keys:

    * ``provider_number``: the default Medicare provider number (optional).
    * ``hpi_o``: the organisation's HPI-O, sent with every record read.
    * ``pki_certificate``: the organisation's NASH PKI certificate, a PKCS#12
      file with ``pki_certificate_password`` (or ``$MEDICARE_PKI_PASSWORD``),
      or a PEM certificate with ``pki_key`` and ``pki_key_password``. Every
      request authenticates with it over mutual TLS.
    * ``my_health_record``: ``enabled`` (default true) and ``ihi_search``
      (default false).
    * ``proda``: an activated PRODA device (see read_proda_settings). When
      set, claims also carry a PRODA access token; record reads use the PKI
      certificate only.
    * URL overrides: ``mhr_base`` and ``claiming_base``.
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.

    NOTE: PRODA device activation is not implemented (see the proda module),
    so ``proda`` needs a device activated outside carecert. ``ihi_search``
    is checked and stored, but the adapter has no IHI search operation yet;
    IHI lookup belongs to the separate Healthcare Identifiers Service.
    """

    info = ProviderInfo(
        id="medicare-au",
        name="Medicare Australia and My Health Record",
        type=ProviderType.PUBLIC_NATIONAL,
        country="AU",
        regions=("AU",),
        compliance=("Privacy Act 1988", "My Health Records Act 2012"),
        primary_auth=AuthMethod.PKI,
        secondary_auth=AuthMethod.PRODA,
        mfa_required=True,
        mfa_kind=MfaKind.DEVICE,
        hosts=(
            ProviderHost(MHR_HOST, "AU", "My Health Record gateway"),
            ProviderHost(CLAIMING_HOST, "AU", "Medicare bulk-bill claiming"),
            ProviderHost(PRODA_HOST, "AU", "PRODA token endpoint"),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.medicare_au",
    )
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = read_settings(self.info.id, config)
        self.endpoints = resolve_endpoints(self.info.id, config)
        self._credential = load_client_credential(self.info.id, config)
        proda = read_proda_settings(self.info.id, config.get("proda"))
        self.tokens: OAuth2TokenSource | None = (
            None if proda is None else build_proda_token_source(self.info.id, proda)
        )
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.medicare_au.testing import MedicareHarness

        return MedicareHarness()

    async def get_my_health_record(
        self,
        ihi: str,
        access_code: str | None = None,
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> PatientRecord:
        """Read the patient's My Health Record by IHI.

        ``access_code`` is the patient's record access code (4 to 8 letters
        or digits), needed only where the patient set one. Returns the
        demographics and the conditions, medications and allergies of the
        record. The IHI and the code are checked, and the compliance guard
        consulted, before anything is sent. Raises RecordAccessCodeError when
        the code is missing or wrong.
        """
        number = validate_ihi(ihi)
        code = validate_access_code(access_code)
        operation = "get_my_health_record"
        if not self.settings.my_health_record.enabled:
            raise OperationNotSupportedError(
                self.info.id,
                operation,
                "my_health_record.enabled is false in the config. Set it to true "
                "once the organisation is registered for My Health Record.",
            )
        patient = Identifier(system=IHI_SYSTEM, value=number)
        request = RecordRequest(ihi=number, hpio=self.settings.hpio, access_code=code)
        with self.guard.audited(
            patient=patient, purpose=purpose, operation=operation, session=session
        ):
            # Reading the record changes nothing but the access history, so a
            # lost response may be retried although the method is POST. Record
            # reads authenticate with the PKI certificate only, so no token.
            response = await self._send(
                operation,
                "POST",
                self.endpoints.record_url(),
                body=record_parameters(request),
                replay_safe=True,
                with_auth=False,
            )
            body = parse_json(self.info.id, operation, response)
            return self._map(
                operation,
                "record Bundle",
                partial(record_from_bundle, ihi=number),
                body,
            )

    async def submit_bulk_bill_claim(
        self,
        provider_number: str,
        patient_medicare: str,
        item_numbers: Sequence[str],
        service_date: str | date,
        *,
        patient_ihi: str | None = None,
        idempotency_key: str | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> ClaimResult:
        """Submit a bulk-bill claim for MBS items given on ``service_date``.

        ``patient_medicare`` is the card number with or without the IRN,
        spaces allowed (``2123 45670 1``). Consent and audit records use
        ``patient_ihi`` when given, so that a practice that records consent by
        IHI finds it, and the card number otherwise. The request carries an
        Idempotency-Key, new by default and the same on every retry. To
        resend a claim whose outcome is unknown, pass the key of the first
        call: the service then returns its first decision instead of paying
        twice.
        """
        provider = validate_medicare_provider_number(provider_number)
        card = validate_medicare_number(patient_medicare)
        items = validate_item_numbers(item_numbers)
        day = validate_service_date(service_date, today=datetime.now(UTC).date())
        key = idempotency_key or new_idempotency_key()
        if not key.strip():
            raise ValueError("idempotency_key is blank. Pass None for a new key.")
        subject = (
            Identifier(system=IHI_SYSTEM, value=validate_ihi(patient_ihi))
            if patient_ihi is not None
            else Identifier(system=MEDICARE_NUMBER_SYSTEM, value=card)
        )
        claim = Claim(
            patient=Identifier(system=MEDICARE_NUMBER_SYSTEM, value=card),
            provider=Identifier(system=MEDICARE_PROVIDER_NUMBER_SYSTEM, value=provider),
            service_date=day,
            items=tuple(
                ClaimItem(service=Coding(system=MBS_ITEM_SYSTEM, code=item))
                for item in items
            ),
            idempotency_key=key,
        )
        operation = "submit_bulk_bill_claim"
        with self.guard.audited(
            patient=subject, purpose=purpose, operation=operation, session=session
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.claim_url(),
                body=claim_to_fhir(
                    claim, created=datetime.now(UTC).replace(microsecond=0)
                ),
                headers={IDEMPOTENCY_HEADER: key},
                replay_safe=True,
            )
            if response.status_code not in (200, 201):
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 201 Created, got {response.status_code}. "
                    "Check that claiming_base points at the claiming API.",
                )
            body = parse_json(self.info.id, operation, response)
            self._check_claim_patient(operation, body, card)
            return self._map(operation, "ClaimResponse", claim_result_from_fhir, body)

    # Requests

    def _build_client(self) -> httpx.AsyncClient:
        # The TLS context loads the key while the files exist; they are
        # deleted when the block ends.
        with pem_files(self._credential) as files:
            return build_async_client(self.info, {**self.config, **files})

    def _build_auth(self, client: httpx.AsyncClient) -> OAuth2BearerAuth | None:
        # Claims carry the PRODA token when PRODA is configured. Record reads
        # pass with_auth=False, because the PKI certificate alone admits them.
        if self.tokens is None:
            return None
        return OAuth2BearerAuth(self.tokens, client)

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)

    def _check_claim_patient(self, operation: str, body: Any, card: str) -> None:
        patient = body.get("patient") if isinstance(body, Mapping) else None
        identifier = patient.get("identifier") if isinstance(patient, Mapping) else None
        value = identifier.get("value") if isinstance(identifier, Mapping) else None
        # The response may give the card number without the IRN, so the first
        # 10 digits (card number and issue number) are compared.
        if not isinstance(value, str) or value[:10] != card[:10]:
            raise InvalidResponseError(
                self.info.id,
                operation,
                "the ClaimResponse does not name the Medicare card number of the "
                "claim. Do not use it; report this to Services Australia.",
            )
