"""The mock provider, its server, and fault injection for any ASGI app."""

from carecert.adapters.mock.app import SPECIALTIES, MockState, create_mock_app
from carecert.adapters.mock.faults import (
    DEFAULT_FAULT_KINDS,
    FaultInjector,
    FaultKind,
    FaultMiddleware,
    FaultPhase,
    InjectedFault,
    SimulatedConnectError,
    SimulatedReset,
    SimulatedTimeout,
)
from carecert.adapters.mock.latency import LatencySpec, latency_sampler
from carecert.adapters.mock.provider import MockHealthcareProvider
from carecert.adapters.mock.templates import TEMPLATES, ResponseTemplate, get_template
from carecert.adapters.mock.transport import InProcessTransport

__all__ = [
    "DEFAULT_FAULT_KINDS",
    "SPECIALTIES",
    "TEMPLATES",
    "FaultInjector",
    "FaultKind",
    "FaultMiddleware",
    "FaultPhase",
    "InProcessTransport",
    "InjectedFault",
    "LatencySpec",
    "MockHealthcareProvider",
    "MockState",
    "ResponseTemplate",
    "SimulatedConnectError",
    "SimulatedReset",
    "SimulatedTimeout",
    "create_mock_app",
    "get_template",
    "latency_sampler",
]
