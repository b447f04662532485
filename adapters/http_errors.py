"""Turn transport failures into carecert errors, in one place for every adapter."""

from __future__ import annotations

import ssl

import httpx

from carecert.adapters.errors import ProviderUnavailableError

__all__ = ["tls_cause", "transport_error"]

DEFAULT_SETTINGS_HINT = "Check the network, the base URL and the TLS settings"


def tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """Return the ssl error behind ``exc``, if a TLS failure caused it.

    httpx chains its error to httpcore's, which chains to the ssl module's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def transport_error(
    provider: str,
    operation: str,
    exc: httpx.HTTPError | ssl.SSLError,
    *,
    settings_hint: str = DEFAULT_SETTINGS_HINT,
) -> ProviderUnavailableError:
    """Build the error for a request that got no HTTP response.

    ``exc`` may be a bare ssl.SSLError, because httpx 0.28 lets one through
    when the server rejects the client certificate after a TLS 1.3 handshake.
    ``settings_hint`` names the config keys worth checking for this caller.
    """
    tls_error = tls_cause(exc)
    if isinstance(exc, httpx.TimeoutException):
        problem = f"the request timed out ({type(exc).__name__})"
        advice = "Retry later, or raise the timeout config key (seconds)."
    elif isinstance(tls_error, ssl.SSLCertVerificationError):
        problem = (
            f"the server certificate failed verification ({tls_error.verify_message})"
        )
        advice = "Set ca_bundle to the CA that signs the server's certificate."
    elif tls_error is not None:
        problem = f"the TLS handshake failed ({type(tls_error).__name__})"
        advice = (
            "Check that the server supports TLS 1.2 or later, and that any "
            "client_cert and client_key are the ones the provider registered."
        )
    else:
        problem = f"the request failed before a response ({type(exc).__name__})"
        advice = f"{settings_hint}, then retry."
    return ProviderUnavailableError(provider, operation, f"{problem}. {advice}")
