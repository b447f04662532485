"""SAML 2.0 bearer assertions for the OAuth 2.0 token endpoint (RFC 7522).

lxml builds the assertion and signxml signs it (enveloped, RSA-SHA256,
exclusive canonicalization, with the certificate in KeyInfo). The token
request sends it base64url-encoded as the ``assertion`` of the grant
``urn:ietf:params:oauth:grant-type:saml2-bearer``.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)

from carecert.adapters.errors import ConfigurationError

__all__ = [
    "BEARER_CONFIRMATION",
    "SAML2_BEARER_GRANT_TYPE",
    "SAML_NS",
    "Saml2BearerGrant",
    "SamlAssertionSigner",
    "encode_assertion",
]

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:saml2-bearer"
BEARER_CONFIRMATION = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NAME_ID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
AUTHN_CONTEXT_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"

MAX_ASSERTION_LIFETIME = 300
"""Seconds a bearer assertion may be valid for."""


class SamlAssertionSigner:
    """Builder and signer of SAML 2.0 assertions from one issuer.

    ``private_key_pem`` is the issuer's RSA key and ``certificate_pem`` the
    certificate for it that the authorization server trusts.
    """

    def __init__(
        self,
        *,
        provider_id: str,
        issuer: str,
        private_key_pem: bytes,
        certificate_pem: bytes,
        password: bytes | None = None,
        lifetime: int = MAX_ASSERTION_LIFETIME,
        name_id_format: str = NAME_ID_UNSPECIFIED,
        authn_context: str = AUTHN_CONTEXT_UNSPECIFIED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < lifetime <= MAX_ASSERTION_LIFETIME:
            raise ConfigurationError(
                f"{provider_id}: SAML assertion lifetime {lifetime!r} is invalid. "
                f"Give 1 to {MAX_ASSERTION_LIFETIME} seconds."
            )
        self.provider_id = provider_id
        self.issuer = issuer
        self.lifetime = lifetime
        self.name_id_format = name_id_format
        self.authn_context = authn_context
        self._private_key = _load_rsa_key(provider_id, private_key_pem, password)
        self._certificate_pem = _matching_certificate(
            provider_id, certificate_pem, self._private_key
        )
        self._clock = clock

    def build(self, subject: str, audience: str, recipient: str) -> etree._Element:
        """Build the unsigned assertion about ``subject`` for ``audience``."""
        issued = datetime.fromtimestamp(int(self._clock()), UTC)
        expires = datetime.fromtimestamp(issued.timestamp() + self.lifetime, UTC)
        nsmap = {"saml": SAML_NS, "ds": DS_NS}
        assertion = etree.Element(
            _saml("Assertion"),
            nsmap=nsmap,
            ID=f"_{uuid.uuid4().hex}",
            Version="2.0",
            IssueInstant=_instant(issued),
        )
        etree.SubElement(assertion, _saml("Issuer")).text = self.issuer
        # signxml replaces this placeholder with the signature, because the SAML
        # schema requires the signature right after Issuer.
        etree.SubElement(assertion, f"{{{DS_NS}}}Signature", Id="placeholder")

        subject_element = etree.SubElement(assertion, _saml("Subject"))
        name_id = etree.SubElement(
            subject_element, _saml("NameID"), Format=self.name_id_format
        )
        name_id.text = subject
        confirmation = etree.SubElement(
            subject_element, _saml("SubjectConfirmation"), Method=BEARER_CONFIRMATION
        )
        etree.SubElement(
            confirmation,
            _saml("SubjectConfirmationData"),
            NotOnOrAfter=_instant(expires),
            Recipient=recipient,
        )

        conditions = etree.SubElement(
            assertion,
            _saml("Conditions"),
            NotBefore=_instant(issued),
            NotOnOrAfter=_instant(expires),
        )
        restriction = etree.SubElement(conditions, _saml("AudienceRestriction"))
        etree.SubElement(restriction, _saml("Audience")).text = audience

        statement = etree.SubElement(
            assertion, _saml("AuthnStatement"), AuthnInstant=_instant(issued)
        )
        context = etree.SubElement(statement, _saml("AuthnContext"))
        etree.SubElement(
            context, _saml("AuthnContextClassRef")
        ).text = self.authn_context
        return assertion

    def sign(self, subject: str, audience: str, recipient: str) -> bytes:
        """Build and sign an assertion, and return it serialized as XML."""
        assertion = self.build(subject, audience, recipient)
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed = signer.sign(
            assertion,
            key=self._private_key,
            cert=self._certificate_pem,
            reference_uri=f"#{assertion.get('ID')}",
            id_attribute="ID",
        )
        return bytes(etree.tostring(signed))

    def __repr__(self) -> str:
        return (
            f"<SamlAssertionSigner provider={self.provider_id!r} "
            f"issuer={self.issuer!r}>"
        )


class Saml2BearerGrant:
    """The SAML 2.0 bearer assertion grant, with a new assertion per request.

    ``audience`` defaults to the token URL, and the SubjectConfirmation's
    ``Recipient`` is always the token URL, as RFC 7522 section 3 requires.
    """

    grant_type = SAML2_BEARER_GRANT_TYPE

    def __init__(
        self,
        signer: SamlAssertionSigner,
        subject: str,
        *,
        audience: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.signer = signer
        self.subject = subject
        self.audience = audience
        self.scope = scope

    def parameters(self, token_url: str) -> Mapping[str, str]:
        audience = self.audience or token_url
        xml = self.signer.sign(self.subject, audience, recipient=token_url)
        fields = {"assertion": encode_assertion(xml)}
        if self.scope:
            fields["scope"] = self.scope
        return fields

    def __repr__(self) -> str:
        return f"<Saml2BearerGrant signer={self.signer!r}>"


def encode_assertion(xml: bytes) -> str:
    """Encode an assertion as base64url without padding (RFC 7522 section 2.1)."""
    return base64.urlsafe_b64encode(xml).rstrip(b"=").decode("ascii")


def _saml(tag: str) -> str:
    return f"{{{SAML_NS}}}{tag}"


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _load_rsa_key(
    provider_id: str, pem: bytes, password: bytes | None
) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{provider_id}: the SAML signing key is not a PEM private key, or its "
            "password is wrong. Give the RSA key of the SAML signing certificate."
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(
            f"{provider_id}: the SAML signing key is {type(key).__name__}, but "
            "RSA-SHA256 signatures need an RSA key."
        )
    return key


def _matching_certificate(provider_id: str, pem: bytes, key: rsa.RSAPrivateKey) -> str:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise ConfigurationError(
            f"{provider_id}: the SAML signing certificate is not a PEM X.509 "
            "certificate."
        ) from exc
    if certificate.public_key() != key.public_key():
        raise ConfigurationError(
            f"{provider_id}: the SAML signing certificate does not match the "
            "signing key. Give the certificate issued for that key."
        )
    return pem.decode("ascii")
