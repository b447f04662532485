"""AXA Healthcare adapter: coverage checks and claims through the partner API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from carecert.adapters.auth import ApiKeyJwtAuth
from carecert.adapters.axa.auth import build_auth
from carecert.adapters.axa.claims import claim_from_data
from carecert.adapters.axa.codes import (
    POLICY_SYSTEM,
    validate_country,
    validate_partner_code,
    validate_policy_number,
    validate_provider_id,
    validate_treatment_code,
)
from carecert.adapters.axa.endpoints import (
    DEFAULT_REGION,
    REGIONS,
    resolve_endpoints,
)
from carecert.adapters.axa.mapping import (
    claim_result_from_wire,
    claim_to_wire,
    coverage_from_wire,
)
from carecert.adapters.axa.responses import map_body, parse_json, raise_for_status
from carecert.adapters.client import HttpProvider
from carecert.adapters.compliance import UserSession
from carecert.adapters.errors import ConfigurationError, InvalidResponseError
from carecert.adapters.models import ClaimResult, Coverage, Identifier
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

__all__ = ["IDEMPOTENCY_HEADER", "AXAProvider"]

log = logging.getLogger("carecert.axa")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header whose value AXA de-duplicates claim submissions on."""

JSON = "application/json"

_T = TypeVar("_T")

_EMEA = REGIONS[DEFAULT_REGION]


class AXAProvider(HttpProvider):
    """AXA Healthcare, a global private insurer, through its partner API (v3).

    Config keys:

    * ``api_key`` (or ``$AXA_API_KEY``) and ``partner_code``: the credentials
      AXA issued to the partner.
    * ``private_key_path``, ``key_id`` and optional ``private_key_password``:
      the RSA key that signs each request's partner JWT.
    * ``region``: EMEA (the default), AMERICAS or APAC; it picks the API host.
      ``api_base`` overrides the URL.
    * Compliance: ``consent_registry``, ``audit_store`` and ``access_mode``.
      Transport, TLS and retry keys are those of build_async_client and
      Retrier.

    ProviderInfo is declared per class, and this class declares the EMEA
    region only: its host is in France, so its data stays in the EU. A user
    of another AXA region registers a second entry, whose info declares that
    region's host, and sets ``region`` in its config::

        class AXAAmericas(AXAProvider):
            info = info_for_region(AXAProvider.info, "AMERICAS")

        registry.register_provider(
            AXAAmericas.info.id, AXAAmericas, {"region": "AMERICAS", ...}
        )

    The residency control then checks the AMERICAS host against that entry's
    regions. Declaring every regional host on one entry would make the EU
    control fail, and rightly, because EU data may not go to a US host. An
    instance whose region's host its info does not declare raises
    ConfigurationError at construction.
    """

    info = ProviderInfo(
        id="axa",
        name="AXA Healthcare",
        type=ProviderType.PRIVATE_INSURER,
        # AXA SA has its seat in Paris. Its cover is global, and the regions
        # below list where this entry's traffic may go.
        country="FR",
        regions=_EMEA.compliance_regions,
        compliance=("GDPR",),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=AuthMethod.JWT,
        mfa_required=True,
        mfa_kind=MfaKind.TOTP,
        hosts=(
            ProviderHost(
                _EMEA.host, _EMEA.jurisdiction, "AXA partner API, EMEA region"
            ),
        ),
        openapi="openapi.yaml",
        package="carecert.adapters.axa",
    )
    media_type = JSON
    idempotency_header = IDEMPOTENCY_HEADER

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.endpoints = resolve_endpoints(self.info.id, config)
        self._check_declared_host()
        self.partner_code = _partner_code(self.info.id, config.get("partner_code"))
        api_key = self._setting("api_key", "AXA_API_KEY")
        if not isinstance(api_key, str):
            raise ConfigurationError(
                f"{self.info.id}: api_key must be a string, got "
                f"{type(api_key).__name__}."
            )
        self._auth: ApiKeyJwtAuth = build_auth(
            self.info.id,
            config,
            api_key=api_key,
            partner_code=self.partner_code,
            audience=self.endpoints.api_base,
        )
        self._open()

    @classmethod
    def carecert_harness(cls) -> ProviderHarness:
        """Return the harness that the compliance suites run this adapter with."""
        # Imported here because the harness is needed only under test.
        from carecert.adapters.axa.testing import AXAHarness

        return AXAHarness()

    async def verify_coverage(
        self,
        policy_number: str,
        treatment_code: str,
        provider_id: str,
        country: str,
        *,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> Coverage:
        """Check whether the policy covers ``treatment_code`` by ``provider_id``.

        ``country`` (ISO 3166-1 alpha-2) is where the treatment takes place.
        Every argument is checked, and the compliance guard consulted, before
        anything is sent.
        """
        policy = validate_policy_number(policy_number)
        treatment = validate_treatment_code(treatment_code)
        provider = validate_provider_id(provider_id)
        where = validate_country(country)
        operation = "verify_coverage"
        with self.guard.audited(
            patient=Identifier(system=POLICY_SYSTEM, value=policy),
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "GET",
                self.endpoints.coverage_url(policy),
                params={
                    "treatment_code": treatment,
                    "provider_id": provider,
                    "country": where,
                },
            )
            body = parse_json(self.info.id, operation, response)
            coverage = self._map(operation, "coverage", coverage_from_wire, body)
            returned = (
                coverage.beneficiary.value,
                coverage.service.code if coverage.service else None,
                coverage.country,
            )
            if returned != (policy, treatment, where):
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the coverage returned for policy {policy} names another "
                    "policy, treatment or country than requested. Do not use it; "
                    "report this to AXA.",
                )
            return coverage

    async def submit_claim(
        self,
        policy_number: str,
        claim_data: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        purpose: str = "direct-care",
        session: UserSession | None = None,
    ) -> ClaimResult:
        """Submit a claim and return AXA's decision.

        ``claim_data`` takes ``amount``, ``currency``, ``service_date`` and
        ``diagnosis_codes``, and optionally ``treatment_code`` and
        ``provider_id``; claim_from_data describes the checks, which all run
        before anything is sent. The request carries an Idempotency-Key, new
        by default and the same on every retry. To resend a claim whose
        outcome is unknown, pass the key of the first call with the same
        claim data: AXA then returns its first decision instead of paying
        twice. The same key with other claim data raises
        IdempotencyConflictError. ``purpose`` is the consent purpose checked
        for the policy holder; it defaults to direct-care, the care the claim
        bills for.
        """
        policy = validate_policy_number(policy_number)
        key = new_idempotency_key() if idempotency_key is None else idempotency_key
        if not isinstance(key, str) or not key.strip():
            raise ValueError("idempotency_key is blank. Pass None for a new key.")
        claim = claim_from_data(
            policy,
            claim_data,
            partner_code=self.partner_code,
            today=_latest_date_on_earth(),
            idempotency_key=key,
        )
        body = claim_to_wire(claim, self.partner_code)
        currency = claim.total.currency if claim.total else None
        operation = "submit_claim"
        with self.guard.audited(
            patient=claim.patient,
            purpose=purpose,
            operation=operation,
            session=session,
        ):
            response = await self._send(
                operation,
                "POST",
                self.endpoints.claims_url(policy),
                body=body,
                headers={IDEMPOTENCY_HEADER: key},
            )
            if response.status_code != 201:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 201 Created, got {response.status_code}. "
                    "Check that api_base points at the AXA partner API.",
                )
            response_body = parse_json(self.info.id, operation, response)
            result = self._map(
                operation, "claim result", claim_result_from_wire, response_body
            )
            paid = [m for m in (result.benefit, result.patient_share) if m is not None]
            if any(money.currency != currency for money in paid):
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"the claim result for policy {policy} is in another currency "
                    f"than the claim ({currency}). Do not use it; report this to AXA.",
                )
            return result

    # Requests

    def _build_auth(self, client: httpx.AsyncClient) -> ApiKeyJwtAuth:
        # One auth for every client, because it signs each request itself.
        return self._auth

    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        raise_for_status(self.info.id, operation, response)

    def _map(
        self, operation: str, what: str, mapper: Callable[[Any], _T], body: Any
    ) -> _T:
        return map_body(self.info.id, operation, what, mapper, body)

    def _check_declared_host(self) -> None:
        # Without api_base the host comes from the region table, and traffic
        # to a host that info does not declare would pass unchecked by the
        # residency control.
        if self.endpoints.overridden:
            return
        if self.info.host_jurisdiction(self.endpoints.host) is None:
            declared = ", ".join(host.host for host in self.info.hosts)
            raise ConfigurationError(
                f"{self.info.id}: region {self.endpoints.region} sends traffic to "
                f"{self.endpoints.host}, which {type(self).__name__}.info does not "
                f"declare (it declares {declared}). Register a subclass with info "
                f"= info_for_region({type(self).__name__}.info, "
                f"{self.endpoints.region!r}) for that region."
            )


def _partner_code(provider_id: str, value: Any) -> str:
    if value in (None, ""):
        raise ConfigurationError(
            f"{provider_id}: config key 'partner_code' is missing. Set it to the "
            "partner code AXA issued, e.g. LUKHAS_001."
        )
    try:
        return validate_partner_code(value)
    except ValueError as exc:
        raise ConfigurationError(f"{provider_id}: partner_code: {exc}") from exc


def _latest_date_on_earth() -> date:
    # UTC+14 (Kiribati) is the first zone to reach each date, so no provider
    # anywhere can have given a service on a later date than this.
    return (datetime.now(UTC) + timedelta(hours=14)).date()
