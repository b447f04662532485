"""Mutual TLS: the client certificate and key the user supplies.

build_ssl_context loads ``client_cert`` and ``client_key`` from the provider
config. This module adds the check that both are set, for providers that
authenticate the client by its certificate alone.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from carecert.adapters.errors import ConfigurationError
from carecert.adapters.provider import ProviderInfo
from carecert.adapters.tls import build_ssl_context

__all__ = ["build_mutual_tls_context"]


def build_mutual_tls_context(
    info: ProviderInfo, config: Mapping[str, Any]
) -> ssl.SSLContext:
    """Build the client TLS context, requiring a client certificate and key.

    ``client_key`` may be left out only when ``client_cert`` is one PEM file
    that contains the key too, so the key is required unless
    ``client_cert_includes_key`` is true.
    """
    if not config.get("client_cert"):
        raise ConfigurationError(
            f"{info.id}: config key 'client_cert' is missing. {info.name} "
            "authenticates the client with a TLS certificate: set client_cert and "
            "client_key to the PEM files the provider registered."
        )
    if not config.get("client_key") and not config.get("client_cert_includes_key"):
        raise ConfigurationError(
            f"{info.id}: config key 'client_key' is missing. Set it to the PEM "
            "private key of client_cert, or set client_cert_includes_key to true "
            "if client_cert contains the key."
        )
    return build_ssl_context(info, config)
