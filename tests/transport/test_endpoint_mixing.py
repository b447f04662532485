"""Adapters whose API base is local must not send anything to a remote host."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from carecert.adapters import KaiserInterface
from carecert.adapters.auth import (
    ClientCredentialsGrant,
    OAuth2TokenSource,
    TokenEndpointAuth,
)
from carecert.adapters.cvs.endpoints import resolve_endpoints as cvs_endpoints
from carecert.adapters.endpoints import is_loopback_url
from carecert.adapters.errors import ConfigurationError, ProviderUnavailableError
from carecert.adapters.gkv.endpoints import resolve_endpoints as gkv_endpoints
from carecert.adapters.kaiser.endpoints import resolve_endpoints as kaiser_endpoints
from carecert.adapters.medicare_au.endpoints import (
    resolve_endpoints as medicare_endpoints,
)
from carecert.adapters.nhs.endpoints import resolve_endpoints as nhs_endpoints
from carecert.adapters.sas.endpoints import resolve_endpoints as sas_endpoints

LOCAL = "http://127.0.0.1:9"


def _gkv(config: Mapping[str, Any]) -> Any:
    credentials = config.get("api_credentials", {})
    return gkv_endpoints("gkv", config, credentials)


# (adapter, resolver, config with a local API base, key left remote, remote URL)
MIXED_CASES: list[tuple[str, Callable[..., Any], dict[str, Any], str, str]] = [
    (
        "kaiser",
        lambda c: kaiser_endpoints("kaiser", c),
        {"api_base": LOCAL},
        "token_url",
        "https://idp.kaiserpermanente.org/oauth2/token",
    ),
    (
        "nhs token",
        lambda c: nhs_endpoints("nhs", c),
        {
            "base_url": LOCAL,
            "token_url": "https://int.api.service.nhs.uk/oauth2/token",
        },
        "token_url",
        "https://int.api.service.nhs.uk/oauth2/token",
    ),
    (
        "nhs spine",
        lambda c: nhs_endpoints("nhs", c),
        {"base_url": LOCAL, "spine_endpoint": "https://spine.example.nhs.uk/gpc"},
        "spine_endpoint",
        "https://spine.example.nhs.uk/gpc",
    ),
    (
        "sas default citas",
        lambda c: sas_endpoints("sas", c),
        {"api_base": LOCAL},
        "api_endpoints.citas",
        "https://citapreviacas.juntadeandalucia.es",
    ),
    (
        "cvs token",
        lambda c: cvs_endpoints("cvs", c),
        {"api_base": LOCAL, "token_url": "https://api.cvs.com/oauth2/token"},
        "token_url",
        "https://api.cvs.com/oauth2/token",
    ),
    (
        "gkv default erp",
        _gkv,
        {"api_credentials": {"konnektor_url": LOCAL}, "kv_base": LOCAL},
        "erp_base",
        "https://erp.zentral.erp.splitdns.ti-dienste.de",
    ),
    (
        "medicare default claiming",
        lambda c: medicare_endpoints("medicare", c),
        {"mhr_base": LOCAL},
        "claiming_base",
        "https://healthclaiming.api.humanservices.gov.au/claiming/fhir/r4",
    ),
    (
        "medicare remote proda",
        lambda c: medicare_endpoints("medicare", c),
        {
            "mhr_base": LOCAL,
            "claiming_base": LOCAL,
            "proda": {"token_url": "https://proda.example.org/token"},
        },
        "proda.token_url",
        "https://proda.example.org/token",
    ),
]


@pytest.mark.parametrize(
    ("resolve", "config", "remote_key", "remote_url"),
    [case[1:] for case in MIXED_CASES],
    ids=[case[0] for case in MIXED_CASES],
)
def test_mixed_endpoints_rejected(
    resolve: Callable[..., Any],
    config: dict[str, Any],
    remote_key: str,
    remote_url: str,
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(config)

    message = str(raised.value)
    assert "127.0.0.1" in message
    assert remote_url in message
    assert f"Set {remote_key} to your local endpoint" in message


# (adapter, resolver, config with every endpoint local)
LOCAL_CASES: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    (
        "kaiser",
        lambda c: kaiser_endpoints("kaiser", c),
        {"api_base": LOCAL, "token_url": LOCAL + "/oauth2/token"},
    ),
    ("nhs", lambda c: nhs_endpoints("nhs", c), {"base_url": LOCAL}),
    (
        "sas",
        lambda c: sas_endpoints("sas", c),
        {"api_base": LOCAL, "api_endpoints": {"citas": LOCAL, "recetas": LOCAL}},
    ),
    ("cvs", lambda c: cvs_endpoints("cvs", c), {"api_base": LOCAL}),
    (
        "gkv",
        _gkv,
        {
            "api_credentials": {"konnektor_url": LOCAL},
            "erp_base": LOCAL,
            "kv_base": LOCAL,
        },
    ),
    (
        "medicare",
        lambda c: medicare_endpoints("medicare", c),
        {"mhr_base": LOCAL, "claiming_base": LOCAL},
    ),
]


@pytest.mark.parametrize(
    ("resolve", "config"),
    [case[1:] for case in LOCAL_CASES],
    ids=[case[0] for case in LOCAL_CASES],
)
def test_all_local_endpoints_accepted(
    resolve: Callable[..., Any], config: dict[str, Any]
) -> None:
    resolve(config)


@pytest.mark.parametrize(
    ("resolve", "config"),
    [
        (lambda c: kaiser_endpoints("kaiser", c), {}),
        (lambda c: nhs_endpoints("nhs", c), {}),
        (lambda c: sas_endpoints("sas", c), {}),
        (lambda c: cvs_endpoints("cvs", c), {}),
        (_gkv, {}),
        (lambda c: medicare_endpoints("medicare", c), {}),
    ],
    ids=["kaiser", "nhs", "sas", "cvs", "gkv", "medicare"],
)
def test_default_remote_endpoints_accepted(
    resolve: Callable[..., Any], config: dict[str, Any]
) -> None:
    resolve(config)


def test_kaiser_local_base_default_idp_rejected() -> None:
    config = {
        "client_id": "kc",
        "saml_certificate": "...",
        "api_base": LOCAL,
        "facility_id": "NCAL",
    }

    with pytest.raises(ConfigurationError) as raised:
        KaiserInterface(config)

    message = str(raised.value)
    assert "api_base points at 127.0.0.1" in message
    assert "token_url at https://idp.kaiserpermanente.org/oauth2/token" in message


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:9", True),
        ("http://127.8.0.2/fhir", True),
        ("http://[::1]:8080", True),
        ("http://LOCALHOST:1", True),
        ("https://api.kaiserpermanente.org", False),
        ("https://10.0.0.1", False),
        ("https://localhost.example.org", False),
    ],
)
def test_loopback_url_detection(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_ipv6_loopback_base_rejected_beside_remote_token() -> None:
    with pytest.raises(ConfigurationError, match=r"api_base points at ::1"):
        kaiser_endpoints("kaiser", {"api_base": "http://[::1]:9"})


@pytest.mark.asyncio
async def test_token_transport_error_names_url() -> None:
    token_url = "http://127.0.0.1:9/oauth2/token"

    def reject_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    source = OAuth2TokenSource(
        provider_id="acme",
        token_url=token_url,
        client_auth=TokenEndpointAuth.client_secret_basic("acme", "id", "secret"),
        grant=ClientCredentialsGrant(["patient.read"]),
    )
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(reject_connection)
    ) as client:
        with pytest.raises(ProviderUnavailableError) as raised:
            await source.access_token(client)

    message = str(raised.value)
    assert message.startswith("acme token request: ")
    assert f"POST {token_url} failed" in message
    assert "ConnectError" in message
    assert "secret" not in message
