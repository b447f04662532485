"""Verify RFC 7522 SAML 2.0 bearer assertions, as Kaiser's token endpoint does.

The simulator uses this module. signxml checks the enveloped RSA-SHA256
signature against the one trusted certificate, and only the signed element
is read afterwards, so that nothing outside the signature is trusted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature

from carecert.adapters.auth.saml import BEARER_CONFIRMATION, SAML_NS

__all__ = ["AssertionRejected", "SamlBearerVerifier"]


class AssertionRejected(ValueError):
    """The assertion failed a check; the message names which one."""


@dataclass
class SamlBearerVerifier:
    """Checks of one token endpoint: trusted certificate, issuer and one-time IDs.

    ``used_ids`` maps each accepted assertion ID to the time it expires, so
    that a replayed assertion is rejected while it is still valid.
    """

    trusted_certificate_pem: bytes
    issuer: str
    clock: Callable[[], float]
    used_ids: dict[str, float] = field(default_factory=dict)

    def verify(self, encoded: str, token_url: str) -> str:
        """Return the NameID of a valid assertion, or raise AssertionRejected."""
        try:
            xml = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise AssertionRejected("the assertion is not base64url") from None
        try:
            result = XMLVerifier().verify(
                xml,
                x509_cert=self.trusted_certificate_pem.decode("ascii"),
                expect_config=SignatureConfiguration(
                    location="./",
                    signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
                ),
            )
        except (InvalidSignature, InvalidInput, etree.XMLSyntaxError) as exc:
            raise AssertionRejected(
                f"the signature is invalid ({type(exc).__name__})"
            ) from None
        signed = result.signed_xml
        if signed is None or signed.tag != _saml("Assertion"):
            raise AssertionRejected("the signed element is not a SAML Assertion")
        return self._check_claims(signed, token_url)

    def _check_claims(self, assertion: etree._Element, token_url: str) -> str:
        now = self.clock()
        if assertion.findtext(_saml("Issuer")) != self.issuer:
            raise AssertionRejected("the issuer is not the registered one")

        audiences = assertion.findall(
            f"{_saml('Conditions')}/{_saml('AudienceRestriction')}/{_saml('Audience')}"
        )
        if token_url not in [audience.text for audience in audiences]:
            raise AssertionRejected("the audience is not the token endpoint URL")

        conditions = assertion.find(_saml("Conditions"))
        if conditions is None:
            raise AssertionRejected("Conditions is missing")
        not_before = _instant(conditions.get("NotBefore"))
        not_after = _instant(conditions.get("NotOnOrAfter"))
        if not not_before <= now < not_after:
            raise AssertionRejected("the assertion is outside its validity window")

        confirmation = assertion.find(
            f"{_saml('Subject')}/{_saml('SubjectConfirmation')}"
        )
        if confirmation is None or confirmation.get("Method") != BEARER_CONFIRMATION:
            raise AssertionRejected("the subject confirmation is not bearer")
        data = confirmation.find(_saml("SubjectConfirmationData"))
        if data is None or data.get("Recipient") != token_url:
            raise AssertionRejected("the recipient is not the token endpoint URL")
        if not now < _instant(data.get("NotOnOrAfter")):
            raise AssertionRejected("the subject confirmation has expired")
        if assertion.find(_saml("AuthnStatement")) is None:
            raise AssertionRejected("AuthnStatement is missing")

        subject = assertion.findtext(f"{_saml('Subject')}/{_saml('NameID')}")
        if not subject:
            raise AssertionRejected("NameID is missing")

        # Each assertion is accepted once, so a captured one cannot be replayed.
        assertion_id = assertion.get("ID") or ""
        self.used_ids = {key: end for key, end in self.used_ids.items() if end > now}
        if not assertion_id or assertion_id in self.used_ids:
            raise AssertionRejected("the assertion ID is missing or was used before")
        self.used_ids[assertion_id] = not_after
        return subject


def _saml(tag: str) -> str:
    return f"{{{SAML_NS}}}{tag}"


def _instant(value: str | None) -> float:
    if value is None:
        raise AssertionRejected("a validity instant is missing")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise AssertionRejected("a validity instant is not UTC xsd:dateTime") from None
    return moment.replace(tzinfo=UTC).timestamp()
