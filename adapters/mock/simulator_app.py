"""Assembly of a provider simulator's Starlette app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from carecert.adapters.mock.faults import FaultInjector, FaultMiddleware

__all__ = ["build_simulator_app"]


def build_simulator_app(
    routes: Sequence[BaseRoute], state: Any, faults: FaultInjector | None = None
) -> Starlette:
    """Build a Starlette app that serves ``routes`` with ``state``.

    Route handlers find ``state`` at ``request.app.state.simulator``, and tests
    read the traffic it records there. ``faults`` wraps every route in
    FaultMiddleware with that injector.
    """
    app = Starlette(routes=list(routes))
    app.state.simulator = state
    if faults is not None:
        app.add_middleware(FaultMiddleware, injector=faults)
    return app
