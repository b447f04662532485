"""Encryption-in-transit checks: the TLS floor, certificates and pins.

Each check takes what happened when an adapter called a local test server,
the error it raised (None if the call went ahead) and what the server saw.
"""

from __future__ import annotations

from carecert.adapters.errors import ProviderUnavailableError
from carecert.adapters.tls import PIN_MISMATCH
from carecert.harness.controls.findings import Finding
from carecert.harness.tls_servers import describe_tls_failure

__all__ = [
    "check_certificate_rejection",
    "check_pin_rejection",
    "check_tls_floor_rejection",
]


def check_tls_floor_rejection(
    subject: str, offered: str, error: BaseException | None, floor: str = "TLSv1.2"
) -> list[Finding]:
    """Check that a client rejected a server offering only ``offered``.

    ``offered`` is a version below ``floor``, e.g. "TLSv1"; ``floor`` is the
    minimum the catalogue and the provider set, e.g. "TLSv1.2".
    """
    required = f"the {offered} handshake rejected, because {floor} is the minimum"
    if error is None:
        return [Finding(subject, f"a completed request over {offered}", required)]
    reason = describe_tls_failure(error)
    if not reason.startswith("TLS protocol version rejected"):
        return [Finding(subject, f"a failure for another reason: {reason}", required)]
    return []


def check_certificate_rejection(
    subject: str, case: str, error: BaseException | None, completed: list[str]
) -> list[Finding]:
    """Check that a client rejected an unverifiable certificate (``case``).

    ``completed`` lists the TLS versions of handshakes the server completed.
    """
    required = f"certificate verification failed for the {case}, and no handshake"
    findings: list[Finding] = []
    if error is None:
        findings.append(Finding(subject, "a completed request", required))
    else:
        reason = describe_tls_failure(error)
        if not reason.startswith("certificate verification failed"):
            findings.append(
                Finding(subject, f"a failure for another reason: {reason}", required)
            )
    if completed:
        findings.append(
            Finding(
                subject, f"completed handshake(s): {', '.join(completed)}", required
            )
        )
    return findings


def check_pin_rejection(
    subject: str, error: BaseException | None, received: int
) -> list[Finding]:
    """Check that a client rejected a server key that matches none of its pins.

    ``received`` is the number of HTTP requests the server's log contains.
    """
    required = "ProviderUnavailableError for the pin mismatch before any request"
    findings: list[Finding] = []
    if error is None:
        findings.append(Finding(subject, "a completed request", required))
    elif not isinstance(error, ProviderUnavailableError) or PIN_MISMATCH not in str(
        error
    ):
        found = f"a failure for another reason: {type(error).__name__}: {error}"
        findings.append(Finding(subject, found, required))
    if received:
        findings.append(
            Finding(
                subject,
                f"{received} request(s) received by the server",
                "no request received, because the pin is compared before sending",
            )
        )
    return findings
