"""SAML 2.0 bearer assertion grant (RFC 7522) against a verifying token endpoint."""

from __future__ import annotations

import base64
import datetime as dt
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carecert.adapters.auth import (
    SAML2_BEARER_GRANT_TYPE,
    OAuth2TokenSource,
    Saml2BearerGrant,
    SamlAssertionSigner,
    TokenEndpointAuth,
    encode_assertion,
)
from carecert.adapters.auth.saml import BEARER_CONFIRMATION, SAML_NS
from carecert.adapters.errors import AuthenticationError, ConfigurationError
from carecert.adapters.nhs.simulator import run_server

ISSUER = "https://idp.hospital.example.test"
SUBJECT = "clinician-0042"
CLIENT_ID = "saml-client"
CLIENT_SECRET = "saml-client-secret-8a1"
BASE_URL = "http://testserver"
TOKEN_PATH = "/oauth2/token"


@dataclass(frozen=True)
class SigningIdentity:
    key_pem: bytes
    cert_pem: bytes


def make_identity(common_name: str) -> SigningIdentity:
    """Build an RSA key and a self-signed certificate, as IdPs publish them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


@pytest.fixture(scope="module")
def trusted() -> SigningIdentity:
    return make_identity("trusted-idp")


@pytest.fixture(scope="module")
def untrusted() -> SigningIdentity:
    return make_identity("other-idp")


def saml(tag: str) -> str:
    return f"{{{SAML_NS}}}{tag}"


def parse_instant(value: str | None) -> float:
    if value is None:
        raise ValueError("missing instant")
    return (
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        .replace(tzinfo=dt.UTC)
        .timestamp()
    )


@dataclass
class SamlTokenEndpoint:
    """A token endpoint that accepts SAML 2.0 bearer assertions from one IdP."""

    trusted_cert_pem: bytes
    accepted_subjects: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route(TOKEN_PATH, self.token, methods=["POST"])])

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.forms.append(form)
        token_url = str(request.url.replace(query=""))
        problem = self.check(form, token_url)
        if problem is not None:
            self.rejections.append(problem)
            return JSONResponse(
                {"error": "invalid_grant", "error_description": problem},
                status_code=400,
            )
        return JSONResponse(
            {"access_token": f"saml-token-{len(self.forms)}", "expires_in": 300}
        )

    def check(self, form: dict[str, str], token_url: str) -> str | None:
        if form.get("grant_type") != SAML2_BEARER_GRANT_TYPE:
            return "wrong grant_type"
        encoded = form.get("assertion", "")
        xml = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        try:
            result = XMLVerifier().verify(
                xml,
                x509_cert=self.trusted_cert_pem.decode(),
                expect_config=SignatureConfiguration(
                    location="./",
                    signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
                ),
            )
        except (InvalidSignature, InvalidInput, etree.XMLSyntaxError) as exc:
            return f"signature: {type(exc).__name__}"
        # Only what the signature covers is trusted from here on.
        assertion = result.signed_xml
        return self.check_claims(assertion, token_url)

    def check_claims(self, assertion: etree._Element, token_url: str) -> str | None:
        now = time.time()
        if assertion.tag != saml("Assertion"):
            return "signed element is not an Assertion"
        if assertion.findtext(saml("Issuer")) != ISSUER:
            return "issuer"

        audiences = assertion.findall(
            f"{saml('Conditions')}/{saml('AudienceRestriction')}/{saml('Audience')}"
        )
        if [a.text for a in audiences] != [token_url]:
            return "audience"

        conditions = assertion.find(saml("Conditions"))
        assert conditions is not None
        if not parse_instant(conditions.get("NotBefore")) <= now:
            return "time window: not yet valid"
        if not now < parse_instant(conditions.get("NotOnOrAfter")):
            return "time window: expired"

        confirmation = assertion.find(
            f"{saml('Subject')}/{saml('SubjectConfirmation')}"
        )
        if confirmation is None or confirmation.get("Method") != BEARER_CONFIRMATION:
            return "subject confirmation is not bearer"
        data = confirmation.find(saml("SubjectConfirmationData"))
        if data is None or data.get("Recipient") != token_url:
            return "recipient"
        if not now < parse_instant(data.get("NotOnOrAfter")):
            return "time window: confirmation expired"

        if assertion.find(saml("AuthnStatement")) is None:
            return "no AuthnStatement"
        self.accepted_subjects.append(
            assertion.findtext(f"{saml('Subject')}/{saml('NameID')}") or ""
        )
        return None


def make_signer(
    identity: SigningIdentity, clock: float | None = None
) -> SamlAssertionSigner:
    return SamlAssertionSigner(
        provider_id="hospital",
        issuer=ISSUER,
        private_key_pem=identity.key_pem,
        certificate_pem=identity.cert_pem,
        **({"clock": lambda: clock} if clock is not None else {}),  # type: ignore[arg-type]
    )


def make_source(
    base_url: str, identity: SigningIdentity, **grant_options: str
) -> OAuth2TokenSource:
    return OAuth2TokenSource(
        provider_id="hospital",
        token_url=f"{base_url}{TOKEN_PATH}",
        client_auth=TokenEndpointAuth.client_secret_basic(
            "hospital", CLIENT_ID, CLIENT_SECRET
        ),
        grant=Saml2BearerGrant(make_signer(identity), SUBJECT, **grant_options),
        check="Check the SAML signing certificate registered with the server.",
    )


async def post_assertion(app: Starlette, xml: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        return await client.post(
            TOKEN_PATH,
            data={
                "grant_type": SAML2_BEARER_GRANT_TYPE,
                "assertion": encode_assertion(xml),
            },
        )


# Accepted assertions


@pytest.mark.asyncio
async def test_signed_assertion_accepted_in_process(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    transport = httpx.ASGITransport(app=endpoint.app())

    async with httpx.AsyncClient(transport=transport) as client:
        token = await make_source(BASE_URL, trusted).access_token(client)

    assert token == "saml-token-1"
    assert endpoint.rejections == []
    assert endpoint.accepted_subjects == [SUBJECT]
    form = endpoint.forms[0]
    assert form["grant_type"] == SAML2_BEARER_GRANT_TYPE
    assert "client_secret" not in form


@pytest.mark.asyncio
async def test_signed_assertion_accepted_over_socket(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)

    with run_server(endpoint.app()) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            token = await make_source(base_url, trusted).access_token(client)

    assert token == "saml-token-1"
    assert endpoint.rejections == []
    assert endpoint.accepted_subjects == [SUBJECT]


def test_assertion_structure(trusted: SigningIdentity) -> None:
    grant = Saml2BearerGrant(make_signer(trusted), SUBJECT, scope="patient.read")
    fields = grant.parameters("https://as.example.test/token")

    encoded = fields["assertion"]
    assert fields["scope"] == "patient.read"
    assert not set("+/=\n") & set(encoded)
    root = etree.fromstring(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    children = [etree.QName(child).localname for child in root]
    assert children == [
        "Issuer",
        "Signature",
        "Subject",
        "Conditions",
        "AuthnStatement",
    ]
    assert root.get("Version") == "2.0"
    assert root.get("ID", "").startswith("_")
    assert root.findtext(f"{saml('Subject')}/{saml('NameID')}") == SUBJECT
    conditions = root.find(saml("Conditions"))
    assert conditions is not None
    lifetime = parse_instant(conditions.get("NotOnOrAfter")) - parse_instant(
        conditions.get("NotBefore")
    )
    assert 0 < lifetime <= 300


# Rejected assertions


@pytest.mark.asyncio
async def test_tampered_name_id_rejected(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    token_url = f"{BASE_URL}{TOKEN_PATH}"
    signed = make_signer(trusted).sign(SUBJECT, token_url, token_url)
    root = etree.fromstring(signed)
    name_id = root.find(f"{saml('Subject')}/{saml('NameID')}")
    assert name_id is not None
    name_id.text = "administrator"

    untouched = await post_assertion(endpoint.app(), signed)
    tampered = await post_assertion(endpoint.app(), etree.tostring(root))

    assert untouched.status_code == 200
    assert tampered.status_code == 400
    assert endpoint.rejections == ["signature: InvalidDigest"]
    assert endpoint.accepted_subjects == [SUBJECT]


@pytest.mark.asyncio
async def test_wrong_certificate_rejected(
    trusted: SigningIdentity, untrusted: SigningIdentity
) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    transport = httpx.ASGITransport(app=endpoint.app())

    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(AuthenticationError) as raised:
            await make_source(BASE_URL, untrusted).access_token(client)

    assert len(endpoint.rejections) == 1
    assert endpoint.rejections[0].startswith("signature: ")
    assert endpoint.accepted_subjects == []
    message = str(raised.value)
    assert message.startswith("hospital token request: ")
    assert "invalid_grant" in message
    assert "SAML signing certificate" in message


@pytest.mark.asyncio
async def test_wrong_audience_rejected(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    transport = httpx.ASGITransport(app=endpoint.app())
    source = make_source(BASE_URL, trusted, audience="https://other.example.test")

    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(AuthenticationError):
            await source.access_token(client)

    assert endpoint.rejections == ["audience"]


@pytest.mark.asyncio
async def test_wrong_recipient_rejected(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    token_url = f"{BASE_URL}{TOKEN_PATH}"
    signed = make_signer(trusted).sign(SUBJECT, token_url, "https://elsewhere.test/")

    response = await post_assertion(endpoint.app(), signed)

    assert response.status_code == 400
    assert endpoint.rejections == ["recipient"]


@pytest.mark.asyncio
async def test_expired_assertion_rejected(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    token_url = f"{BASE_URL}{TOKEN_PATH}"
    issued_long_ago = time.time() - 3600
    signed = make_signer(trusted, clock=issued_long_ago).sign(
        SUBJECT, token_url, token_url
    )

    response = await post_assertion(endpoint.app(), signed)

    assert response.status_code == 400
    assert endpoint.rejections == ["time window: expired"]


@pytest.mark.asyncio
async def test_future_assertion_rejected(trusted: SigningIdentity) -> None:
    endpoint = SamlTokenEndpoint(trusted.cert_pem)
    token_url = f"{BASE_URL}{TOKEN_PATH}"
    signed = make_signer(trusted, clock=time.time() + 3600).sign(
        SUBJECT, token_url, token_url
    )

    response = await post_assertion(endpoint.app(), signed)

    assert response.status_code == 400
    assert endpoint.rejections == ["time window: not yet valid"]


# Signer configuration


def test_certificate_key_mismatch_rejected(
    trusted: SigningIdentity, untrusted: SigningIdentity
) -> None:
    with pytest.raises(ConfigurationError, match="does not match the signing key"):
        SamlAssertionSigner(
            provider_id="hospital",
            issuer=ISSUER,
            private_key_pem=trusted.key_pem,
            certificate_pem=untrusted.cert_pem,
        )


def test_ec_key_rejected(trusted: SigningIdentity) -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(ConfigurationError, match="need an RSA key"):
        SamlAssertionSigner(
            provider_id="hospital",
            issuer=ISSUER,
            private_key_pem=ec_pem,
            certificate_pem=trusted.cert_pem,
        )


@pytest.mark.parametrize("lifetime", [0, 301])
def test_lifetime_bounds(trusted: SigningIdentity, lifetime: int) -> None:
    with pytest.raises(ConfigurationError, match="lifetime"):
        SamlAssertionSigner(
            provider_id="hospital",
            issuer=ISSUER,
            private_key_pem=trusted.key_pem,
            certificate_pem=trusted.cert_pem,
            lifetime=lifetime,
        )


def test_garbage_key_not_echoed(trusted: SigningIdentity) -> None:
    garbage = b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"

    with pytest.raises(ConfigurationError, match="not a PEM private key") as raised:
        SamlAssertionSigner(
            provider_id="hospital",
            issuer=ISSUER,
            private_key_pem=garbage,
            certificate_pem=trusted.cert_pem,
        )

    assert "c2VjcmV0" not in str(raised.value)
