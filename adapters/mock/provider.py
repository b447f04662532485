"""MockHealthcareProvider: a provider adapter backed by its own mock server.

It books appointments and reads patients through the same client, retry and
cache layers as the real adapters, against a mock server that it runs in
process, or against one served on 127.0.0.1 by serve().
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette

from carecert.adapters.errors import (
    InvalidResponseError,
    ProviderError,
    ProviderUnavailableError,
)
from carecert.adapters.mock.app import MockState, create_mock_app
from carecert.adapters.mock.faults import DEFAULT_FAULT_KINDS, FaultInjector, FaultKind
from carecert.adapters.mock.latency import LatencySpec, latency_sampler
from carecert.adapters.mock.templates import MOCK_PATIENT_SYSTEM, get_template
from carecert.adapters.mock.transport import InProcessTransport
from carecert.adapters.models import Appointment
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    ProviderInfo,
    ProviderType,
)
from carecert.adapters.resilience import (
    DEFAULT_IDEMPOTENCY_HEADER,
    CacheRule,
    ResponseCache,
    Retrier,
    new_idempotency_key,
)
from carecert.adapters.transport import build_async_client

__all__ = ["MockHealthcareProvider"]

_IN_PROCESS_BASE_URL = "http://mock-provider.invalid"


class MockHealthcareProvider(HealthcareProvider):
    """A mock provider with simulated latency, errors and response templates.

    ``simulate_latency`` is False, True (a log-normal default), seconds, or a
    function of a random.Random returning seconds. ``error_rate`` (0 to 1) is
    the share of requests that get a fault from ``fault_kinds``.
    ``response_template`` picks the wire format ("nhs", "spain_sas").
    ``seed`` makes the faults and latencies repeat from run to run. ``sleep``
    carries out the simulated delays and, unless config sets ``retry_sleep``,
    the waits between retries. Tests pass one that returns at once.

    The same settings may come as keys of ``config``, and keyword arguments win.
    Other config keys are those of build_async_client and Retrier. Two more
    are ``base_url``, a served mock server to use instead of the in-process
    one, and ``response_cache_key``, 32 bytes that turn on caching of
    patient reads.
    """

    info = ProviderInfo(
        id="mock",
        name="carecert mock provider",
        type=ProviderType.MOCK,
        country="GB",
        regions=("UK",),
        compliance=(),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(),
    )

    cacheable_operations: ClassVar[Mapping[str, CacheRule]] = {
        "list_specialties": CacheRule(ttl_seconds=300, patient_data=False),
        "get_patient": CacheRule(ttl_seconds=60, patient_data=True),
    }

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        simulate_latency: LatencySpec | None = None,
        error_rate: float | None = None,
        response_template: str | None = None,
        seed: int | None = None,
        fault_kinds: Iterable[FaultKind | str] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        settings = dict(config or {})
        if sleep is not None:
            settings.setdefault("retry_sleep", sleep)
        super().__init__(settings)
        self.template = get_template(
            _pick(response_template, settings, "response_template", "nhs")
        )
        self.info = _info_for(self.template.country, self.template.name)
        seed = _pick(seed, settings, "seed", None)
        rng = random.Random(seed)
        self.injector = FaultInjector(
            float(_pick(error_rate, settings, "error_rate", 0.0)),
            _pick(fault_kinds, settings, "fault_kinds", DEFAULT_FAULT_KINDS),
            seed=rng.randrange(2**32),
            sleep=sleep or asyncio.sleep,
        )
        latency = latency_sampler(
            _pick(simulate_latency, settings, "simulate_latency", False), rng
        )
        self.app: Starlette = create_mock_app(
            self.template, faults=self.injector, latency=latency, sleep=sleep
        )
        self._base_url = settings.get("base_url")
        self._retrier = Retrier.from_config(self.info.id, settings)
        self._cache = ResponseCache.from_config(settings)
        self._client: httpx.AsyncClient | None = self._build_client()

    @property
    def state(self) -> MockState:
        """The in-process server's applied bookings and request count."""
        return self.app.state.mock  # type: ignore[no-any-return]

    async def initialize(self) -> None:
        """Build the HTTP client again if aclose() closed it."""
        self._http()

    async def aclose(self) -> None:
        """Close the HTTP client. Calling it again does nothing."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this provider's mock server on 127.0.0.1 and yield its base URL."""
        # Imported here: the NHS simulator module imports this package.
        from carecert.adapters.nhs.simulator import run_server

        with run_server(self.app) as base_url:
            yield base_url

    # Operations

    async def book_appointment(
        self,
        patient_id: str,
        specialty: str,
        *,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """Book an appointment and return it as the mock server created it.

        Every attempt carries the same Idempotency-Key, new by default. Pass
        the key of an earlier call to resend a booking whose outcome is unknown.
        """
        operation = "book_appointment"
        for name, value in (("patient_id", patient_id), ("specialty", specialty)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} {value!r} is empty. Give a non-empty text.")
        key = idempotency_key or new_idempotency_key()
        content = json.dumps(self.template.booking_request(patient_id, specialty))
        headers = {
            DEFAULT_IDEMPOTENCY_HEADER: key,
            "Content-Type": "application/json",
        }
        response = await self._send(
            operation,
            "POST",
            self.template.booking_path,
            headers=headers,
            content=content.encode(),
        )
        if response.status_code != 201:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"expected HTTP 201 Created, got {response.status_code}.",
            )
        body = self._json(operation, response)
        try:
            return self.template.read_booking_response(body)
        except (KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
            raise InvalidResponseError(
                self.info.id,
                operation,
                f"the booking response does not match the {self.template.name} "
                f"template ({type(exc).__name__}).",
            ) from exc

    async def get_patient(self, patient_id: str) -> dict[str, Any]:
        """Return the synthetic patient record, cached only if encrypted."""
        operation = "get_patient"
        body = await self._cached_get(
            operation,
            f"{operation}:{MOCK_PATIENT_SYSTEM}|{patient_id}",
            f"{self.template.patient_path}/{patient_id}",
        )
        record = json.loads(body)
        if not isinstance(record, dict):
            raise InvalidResponseError(
                self.info.id, operation, "the patient body is not a JSON object."
            )
        return record

    async def list_specialties(self) -> list[str]:
        """Return the specialties that can be booked, cached for five minutes."""
        operation = "list_specialties"
        body = await self._cached_get(operation, operation, "/specialties")
        specialties = json.loads(body)
        if not isinstance(specialties, list):
            raise InvalidResponseError(
                self.info.id, operation, "the specialties body is not a JSON list."
            )
        return [str(item) for item in specialties]

    # Requests

    async def _cached_get(self, operation: str, key: str, path: str) -> bytes:
        async def load() -> bytes:
            response = await self._send(operation, "GET", path)
            if response.status_code != 200:
                raise InvalidResponseError(
                    self.info.id,
                    operation,
                    f"expected HTTP 200, got {response.status_code}.",
                )
            # Checked before caching, so the cache contains only JSON bodies.
            self._json(operation, response)
            return response.content

        rule = self.cacheable_operations.get(operation)
        return await self._cache.fetch(key, rule, load)

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        client = self._http()

        async def attempt() -> httpx.Response:
            return await client.request(method, path, headers=headers, content=content)

        # Every request is a read or carries an Idempotency-Key.
        response = await self._retrier.send(operation, attempt, replay_safe=True)
        if response.status_code >= 500:
            raise ProviderUnavailableError(
                self.info.id,
                operation,
                f"HTTP {response.status_code}: the mock server failed. Retry later.",
            )
        if response.status_code >= 400:
            raise ProviderError(
                self.info.id,
                operation,
                f"HTTP {response.status_code}: the mock server rejected the request.",
            )
        return response

    def _json(self, operation: str, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidResponseError(
                self.info.id, operation, self._not_json_message(response, exc)
            ) from exc

    def _not_json_message(self, response: httpx.Response, exc: ValueError) -> str:
        """Describe a body that is not JSON, showing its first bytes.

        The mock serves synthetic records only, so the bytes hold no patient
        data and may appear in the message.
        """
        body = response.content
        content_type = response.headers.get("content-type", "missing")
        if isinstance(exc, json.JSONDecodeError):
            reason = f"{exc.msg} at byte {exc.pos}"
        else:
            reason = str(exc)
        preview = body[:_BODY_PREVIEW_BYTES]
        more = f" of {len(body)}" if len(body) > len(preview) else ""
        facts = (
            f"the response body is not valid JSON ({reason}). HTTP "
            f"{response.status_code}, Content-Type {content_type}, first "
            f"{len(preview)}{more} bytes: {preview!r}."
        )
        faults = self.injector
        if faults.rate > 0 and FaultKind.INVALID_JSON in faults.kinds:
            advice = (
                f"error_rate is {faults.rate} and fault_kinds includes "
                f"{FaultKind.INVALID_JSON.value}, so the mock damaged this body on "
                "purpose. Retry the call, or leave invalid_json out of fault_kinds."
            )
        elif self._base_url is not None:
            advice = (
                f"Check that base_url {self._base_url} is a carecert mock server "
                "(MockHealthcareProvider.serve) and not another service."
            )
        else:
            advice = (
                f"The {self.template.name} response template built this body. "
                "Report it as a carecert bug, with this message."
            )
        return f"{facts} {advice}"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _build_client(self) -> httpx.AsyncClient:
        if self._base_url is not None:
            return build_async_client(self.info, self.config, base_url=self._base_url)
        return build_async_client(
            self.info,
            self.config,
            base_url=_IN_PROCESS_BASE_URL,
            transport=InProcessTransport(app=self.app),
        )


_BODY_PREVIEW_BYTES = 64
"""Max bytes of a body that is not JSON that the error message shows."""


def _pick(argument: Any, settings: Mapping[str, Any], key: str, default: Any) -> Any:
    if argument is not None:
        return argument
    return settings.get(key, default)


def _info_for(country: str, template: str) -> ProviderInfo:
    return ProviderInfo(
        id=f"mock-{template}",
        name=f"carecert mock provider ({template} template)",
        type=ProviderType.MOCK,
        country=country,
        regions=("UK",) if country == "GB" else (country,),
        compliance=(),
        primary_auth=AuthMethod.API_KEY,
        secondary_auth=None,
        mfa_required=False,
        mfa_kind=None,
        hosts=(),
    )
