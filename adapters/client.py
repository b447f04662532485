"""The HTTP client lifecycle and request sending that the adapters share.

An adapter that calls its provider over HTTP subclasses HttpProvider. The base
owns the adapter's httpx.AsyncClient and ComplianceGuard, and sends each
logical request through a Retrier, so that every adapter retries, checks
replay safety and maps failures to carecert errors the same way.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar, TypeVar

import httpx

from carecert.adapters.compliance import ComplianceGuard
from carecert.adapters.fhir.elements import FHIR_JSON
from carecert.adapters.fhir.responses import map_body
from carecert.adapters.http_errors import transport_error
from carecert.adapters.provider import HealthcareProvider
from carecert.adapters.resilience.idempotency import (
    DEFAULT_IDEMPOTENCY_HEADER,
    is_replay_safe,
)
from carecert.adapters.resilience.retry import Attempt, Retrier
from carecert.adapters.transport import build_async_client

__all__ = ["HttpProvider"]

_T = TypeVar("_T")


class HttpProvider(HealthcareProvider):
    """Base class of adapters that call their provider over one httpx client.

    A subclass calls ``_open()`` at the end of ``__init__``, once the settings
    that the client and its auth need are set. It implements
    ``_raise_for_status`` and may override these hooks:

    * ``_build_client``: the client, from ``build_async_client`` by default.
    * ``_build_auth``: the httpx.Auth sent with requests through a new client.
    * ``_default_headers``: headers that every request carries.
    * ``_map``: the mapping of a response body to the canonical model.

    The class attributes ``media_type`` (the Accept value, and the
    Content-Type of a JSON body) and ``idempotency_header`` (the header the
    provider de-duplicates on, or None) configure ``_send``.
    """

    media_type: ClassVar[str] = FHIR_JSON
    idempotency_header: ClassVar[str | None] = DEFAULT_IDEMPOTENCY_HEADER

    guard: ComplianceGuard
    _client: httpx.AsyncClient | None = None
    _request_auth: httpx.Auth | None = None

    def _open(self) -> None:
        """Create the compliance guard and build the HTTP client.

        The client is built now so that a bad TLS, timeout or transport
        setting fails at construction.
        """
        self.guard = ComplianceGuard(self.info, self.config)
        self._http()

    async def initialize(self) -> None:
        """Build the HTTP client again if aclose() closed it."""
        self._http()

    async def aclose(self) -> None:
        """Close the HTTP client and the compliance guard.

        Calling it twice is safe. A later request or initialize() builds a new
        client.
        """
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self._request_auth = None
        self.guard.close()

    # Hooks

    def _build_client(self) -> httpx.AsyncClient:
        """Build a new HTTP client from the provider config."""
        return build_async_client(self.info, self.config)

    def _build_auth(self, client: httpx.AsyncClient) -> httpx.Auth | None:
        """Return the auth for requests through ``client``, or None to send none.

        It is called once per client, because a bearer auth fetches its
        tokens through the client it is built with.
        """
        return None

    def _default_headers(self) -> dict[str, str]:
        """Return the headers that every request carries besides Accept."""
        return {}

    @abstractmethod
    def _raise_for_status(self, operation: str, response: httpx.Response) -> None:
        """Raise the provider's carecert error for a non-2xx response."""

    def _map(
        self, operation: str, what: str, mapper: Callable[[Any], _T], body: Any
    ) -> _T:
        """Return ``mapper(body)``, or raise InvalidResponseError naming ``what``.

        A ValueError from the mapper counts as a bad response too, because
        mappers raise it for a code outside its value set.
        """
        return map_body(self.info.id, operation, what, mapper, body, value_errors=True)

    # Requests

    async def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        replay_safe: bool | None = None,
        with_auth: bool = True,
    ) -> httpx.Response:
        """Send one logical request with retries, and return the final response.

        ``body`` is sent as UTF-8 JSON of type ``media_type``. ``content`` is
        sent as it is, with the Content-Type the caller puts in ``headers``.
        ``replay_safe`` defaults to is_replay_safe with ``idempotency_header``.
        Pass True for a POST that changes nothing on the server. With
        ``with_auth`` False the request goes without the client's auth.
        """
        if body is not None and content is not None:
            raise TypeError("_send takes body or content, not both.")
        request_headers = {
            "Accept": self.media_type,
            **self._default_headers(),
            **(headers or {}),
        }
        if body is not None:
            request_headers["Content-Type"] = self.media_type
            content = json.dumps(body, ensure_ascii=False).encode()

        async def attempt() -> httpx.Response:
            client = self._http()
            return await client.request(
                method,
                url,
                # httpx 0.28 drops the query of ``url`` when given an empty
                # mapping, and a search's next link carries its query in ``url``.
                params=params or None,
                headers=request_headers,
                content=content,
                auth=self._request_auth if with_auth else None,
            )

        if replay_safe is None:
            replay_safe = is_replay_safe(
                method, request_headers, self.idempotency_header
            )
        return await self._send_with_retries(
            operation, attempt, replay_safe=replay_safe
        )

    async def _send_with_retries(
        self, operation: str, attempt: Attempt, *, replay_safe: bool
    ) -> httpx.Response:
        """Send through ``attempt`` with the config's retry policy.

        Returns the final response if ``_raise_for_status`` accepts it, and
        raises its error otherwise. A request that got no response raises the
        ProviderUnavailableError of transport_error.
        """
        retrier = Retrier.from_config(self.info.id, self.config)
        response = await retrier.send(
            operation,
            attempt,
            replay_safe=replay_safe,
            raise_for_response=partial(self._raise_for_status, operation),
            error_for_transport=partial(transport_error, self.info.id, operation),
        )
        self._raise_for_status(operation, response)
        return response

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._build_client()
            self._request_auth = self._build_auth(self._client)
        return self._client
