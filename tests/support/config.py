"""Types and accessors shared by the adapters' config and simulator fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette

Config = Callable[..., dict[str, Any]]
"""An ``<adapter>_config`` fixture: keyword overrides in, adapter config out."""


def simulator_state(app: Starlette) -> Any:
    """Return the simulator object behind an in-process simulator app."""
    return app.state.simulator
