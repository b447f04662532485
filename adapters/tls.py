"""TLS policy for every provider connection.

One function builds the ssl.SSLContext that all adapter clients use, so the
floor (TLS 1.2), certificate-chain and hostname checks cannot be skipped by one
adapter.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderInfo

__all__ = ["TLS_VERSIONS", "build_ssl_context"]

TLS_VERSIONS = {
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def build_ssl_context(info: ProviderInfo, config: Mapping[str, Any]) -> ssl.SSLContext:
    """Build the client TLS context for ``info`` from its config.

    Config keys: ``ca_bundle`` (PEM file of trusted roots; the system store by
    default), ``tls_min_version`` (``TLSv1.2`` or ``TLSv1.3``; never lower than
    the provider declares), ``client_cert`` and ``client_key`` (PEM files for
    mutual TLS).
    """
    wanted = str(config.get("tls_min_version") or info.tls_min_version)
    if wanted not in TLS_VERSIONS:
        raise ConfigurationError(
            f"{info.id}: tls_min_version {wanted!r} is not allowed. "
            f"Use one of {', '.join(TLS_VERSIONS)}; versions below TLS 1.2 are refused."
        )
    floor = max(TLS_VERSIONS[wanted], TLS_VERSIONS[info.tls_min_version])

    cafile = config.get("ca_bundle")
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    context.minimum_version = floor
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED

    client_cert = config.get("client_cert")
    if client_cert:
        client_key = config.get("client_key")
        try:
            context.load_cert_chain(
                str(client_cert), str(client_key) if client_key else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"{info.id}: cannot load client certificate {client_cert!s}: {exc}. "
                "Check that client_cert and client_key point to matching PEM files."
            ) from exc
    return context
