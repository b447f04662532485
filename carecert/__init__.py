"""carecert: compliance and conformance tests for healthcare provider integrations.

The package is split by role. `carecert.adapters` contains the provider clients,
the canonical model and the registry. `carecert.harness` is the pytest plugin
that records, replays and validates provider traffic. `carecert.suites`
contains the regional compliance suites.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("carecert")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = ["__version__"]
