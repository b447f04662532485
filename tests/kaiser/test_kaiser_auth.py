"""The simulator's token endpoint verifies SAML 2.0 bearer assertions for real."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette

from carecert.adapters.auth import (
    SAML2_BEARER_GRANT_TYPE,
    SamlAssertionSigner,
    encode_assertion,
)
from carecert.adapters.auth.saml import SAML_NS
from carecert.adapters.kaiser.auth import SCOPES, read_saml_identity

from .conftest import CLIENT_ID

TOKEN_URL = "https://idp.kaiserpermanente.org/oauth2/token"


def signer(
    identity: Path, *, issuer: str = CLIENT_ID, clock: float | None = None
) -> SamlAssertionSigner:
    certificate, key = read_saml_identity("kaiser", {"saml_certificate": identity})
    return SamlAssertionSigner(
        provider_id="kaiser",
        issuer=issuer,
        private_key_pem=key,
        certificate_pem=certificate,
        clock=(lambda: clock) if clock is not None else time.time,
    )


async def post(app: Starlette, xml: bytes, **fields: str) -> httpx.Response:
    form = {
        "grant_type": SAML2_BEARER_GRANT_TYPE,
        "assertion": encode_assertion(xml),
        "client_id": CLIENT_ID,
        "scope": " ".join(SCOPES),
        **fields,
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.post(TOKEN_URL, data=form)


def error_of(response: httpx.Response) -> str:
    return str(response.json().get("error_description"))


@pytest.mark.asyncio
async def test_signed_assertion_gets_token(
    kaiser_simulator: Starlette, saml_identity: Path
) -> None:
    xml = signer(saml_identity).sign(CLIENT_ID, TOKEN_URL, TOKEN_URL)

    response = await post(kaiser_simulator, xml)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == set(SCOPES)


@pytest.mark.asyncio
async def test_replayed_assertion_rejected(
    kaiser_simulator: Starlette, saml_identity: Path
) -> None:
    xml = signer(saml_identity).sign(CLIENT_ID, TOKEN_URL, TOKEN_URL)

    first = await post(kaiser_simulator, xml)
    again = await post(kaiser_simulator, xml)

    assert first.status_code == 200
    assert again.status_code == 400
    assert "was used before" in error_of(again)


@pytest.mark.asyncio
async def test_tampered_subject_rejected(
    kaiser_simulator: Starlette, saml_identity: Path
) -> None:
    root = etree.fromstring(signer(saml_identity).sign(CLIENT_ID, TOKEN_URL, TOKEN_URL))
    name_id = root.find(f"{{{SAML_NS}}}Subject/{{{SAML_NS}}}NameID")
    assert name_id is not None
    name_id.text = "administrator"

    response = await post(kaiser_simulator, etree.tostring(root))

    assert response.status_code == 400
    assert error_of(response) == "the signature is invalid (InvalidDigest)"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda identity, other: signer(other).sign(CLIENT_ID, TOKEN_URL, TOKEN_URL),
            "the signature is invalid",
        ),
        (
            lambda identity, other: signer(identity, issuer="someone-else").sign(
                CLIENT_ID, TOKEN_URL, TOKEN_URL
            ),
            "the issuer is not the registered one",
        ),
        (
            lambda identity, other: signer(identity).sign(
                CLIENT_ID, "https://other.example.test/token", TOKEN_URL
            ),
            "the audience is not the token endpoint URL",
        ),
        (
            lambda identity, other: signer(identity).sign(
                CLIENT_ID, TOKEN_URL, "https://other.example.test/token"
            ),
            "the recipient is not the token endpoint URL",
        ),
        (
            lambda identity, other: signer(identity, clock=time.time() - 3600).sign(
                CLIENT_ID, TOKEN_URL, TOKEN_URL
            ),
            "outside its validity window",
        ),
    ],
)
@pytest.mark.asyncio
async def test_invalid_assertion_rejected(
    kaiser_simulator: Starlette,
    saml_identity: Path,
    other_saml_identity: Path,
    make: object,
    problem: str,
) -> None:
    xml = make(saml_identity, other_saml_identity)  # type: ignore[operator]

    response = await post(kaiser_simulator, xml)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert problem in error_of(response)


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"client_id": "other-client"}, 401, "invalid_client"),
        ({"scope": "patient/*.read"}, 400, "invalid_scope"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
@pytest.mark.asyncio
async def test_bad_form_rejected(
    kaiser_simulator: Starlette,
    saml_identity: Path,
    fields: dict[str, str],
    status: int,
    error: str,
) -> None:
    xml = signer(saml_identity).sign(CLIENT_ID, TOKEN_URL, TOKEN_URL)

    response = await post(kaiser_simulator, xml, **fields)

    assert response.status_code == status
    assert response.json()["error"] == error
