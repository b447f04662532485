"""Hook specifications that carecert adds to pytest."""

from __future__ import annotations

import pytest

from carecert.adapters.registry import ProviderRegistry


@pytest.hookspec
def pytest_carecert_register_providers(registry: ProviderRegistry) -> None:
    """Register the project's own providers on carecert's registry.

    Implement it in a conftest.py or plugin. It runs once per session, after
    the built-in providers and those published through the
    ``carecert.providers`` entry point group are registered.
    """
