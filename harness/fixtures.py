"""Fixtures the carecert plugin provides to suites and user tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.provider import HealthcareProvider
from carecert.harness._keys import EVIDENCE_KEY, STATE_KEY
from carecert.harness.cassette import CarecertCassette, use_cassette
from carecert.harness.conformance import SpecValidator, make_on_play
from carecert.harness.network import block_network
from carecert.harness.providers import HarnessKeys, ProviderHarness, harness_for
from carecert.harness.state import CarecertState, TestEvidence

__all__ = [
    "carecert_network_guard",
    "carecert_state",
    "evidence",
    "harness_keys",
    "provider_cassette",
    "provider_factory",
    "provider_harness",
    "provider_registry",
]

ProviderFactory = Callable[..., HealthcareProvider]
CassetteFactory = Callable[[str, str], AbstractContextManager[CarecertCassette | None]]

# Fixtures that mean a test talks to a provider, so the network guard applies.
_PROVIDER_FIXTURES = frozenset({"provider_factory", "provider_cassette"})


@pytest.fixture(scope="session")
def carecert_state(pytestconfig: pytest.Config) -> CarecertState:
    """The session's selection, registry, catalogue and collected results."""
    return pytestconfig.stash[STATE_KEY]


@pytest.fixture(scope="session")
def provider_registry(carecert_state: CarecertState) -> Any:
    """The provider registry: built-ins, entry points and conftest registrations."""
    return carecert_state.registry


@pytest.fixture(autouse=True)
def carecert_network_guard(
    request: pytest.FixtureRequest, carecert_state: CarecertState
) -> Iterator[None]:
    """Block every non-loopback connection in replay for tests that use providers."""
    uses_provider = bool(_PROVIDER_FIXTURES & set(request.fixturenames))
    is_control = request.node.get_closest_marker("control") is not None
    if not carecert_state.replaying or not (uses_provider or is_control):
        yield
        return
    with block_network():
        yield


@pytest.fixture
def evidence(
    request: pytest.FixtureRequest, carecert_state: CarecertState
) -> TestEvidence:
    """Collects the files and notes that the evidence report shows for this test."""
    gathered = TestEvidence(rootdir=carecert_state.rootdir)
    request.node.stash[EVIDENCE_KEY] = gathered
    return gathered


@pytest.fixture(scope="session")
def harness_keys(tmp_path_factory: pytest.TempPathFactory) -> HarnessKeys:
    """A fresh RSA key pair and API key for this session, kept in a temp folder."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    directory = tmp_path_factory.mktemp("carecert-keys")
    private_path = directory / "client-assertion-key.pem"
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return HarnessKeys(
        private_key_path=private_path,
        public_key_pem=public_pem,
        key_id="carecert-session-key",
        api_key=f"synthetic-{uuid.uuid4().hex}",
    )


@pytest.fixture
def provider_harness(carecert_state: CarecertState) -> Callable[[str], ProviderHarness]:
    """Return a function that gives a provider's harness, or skips as not applicable."""

    def get(provider_id: str) -> ProviderHarness:
        registration = carecert_state.registry.get_registration(provider_id)
        harness = harness_for(registration.provider_class, registration.config)
        if harness is None:
            pytest.skip(
                f"not applicable: {provider_id} "
                f"({registration.provider_class.__name__}) defines no "
                "carecert_harness(), so it has no recorded traffic or simulator"
            )
        return harness

    return get


@pytest_asyncio.fixture
async def provider_factory(
    carecert_state: CarecertState,
    provider_harness: Callable[[str], ProviderHarness],
    harness_keys: HarnessKeys,
    tmp_path: Path,
) -> AsyncIterator[ProviderFactory]:
    """Return a function that builds a provider adapter for this test.

    Keyword arguments override config keys. In replay the adapter uses its
    default transport, which the cassette intercepts; when recording or with
    ``--mock-api`` it talks to the in-process simulator. Adapters are closed
    when the test ends.
    """
    created: list[HealthcareProvider] = []

    def build(provider_id: str, **overrides: Any) -> HealthcareProvider:
        registration = carecert_state.registry.get_registration(provider_id)
        harness = provider_harness(provider_id)
        config = {**registration.config, **harness.config(harness_keys)}
        config["audit_store"] = str(tmp_path / f"{provider_id}-audit.sqlite3")
        if not carecert_state.replaying:
            app = harness.simulator(harness_keys)
            config["transport"] = httpx.ASGITransport(app=app)
        config.update(overrides)
        provider = registration.provider_class(config)
        created.append(provider)
        return provider

    yield build
    for provider in created:
        await provider.aclose()


@pytest.fixture
def provider_cassette(
    carecert_state: CarecertState,
    provider_harness: Callable[[str], ProviderHarness],
    evidence: TestEvidence,
) -> CassetteFactory:
    """Return a context manager factory: ``with provider_cassette("nhs", "name"):``.

    Inside the block, traffic is replayed from ``cassettes/<provider>/<name>.json``
    (or recorded into it), and every replayed exchange is validated against
    the provider's OpenAPI description. With ``--mock-api`` no cassette is
    used and the block yields None.
    """

    @contextmanager
    def use(provider_id: str, name: str) -> Iterator[CarecertCassette | None]:
        info = provider_harness(provider_id).info
        spec = info.openapi_path()
        if carecert_state.mock_api:
            yield None
            return
        path = carecert_state.cassette_dir / provider_id / f"{name}.json"
        on_play = make_on_play(_validator(spec)) if spec is not None else None
        with use_cassette(
            path, record_mode=carecert_state.record_mode, on_play=on_play
        ) as cassette:
            yield cassette
        if path.exists():
            evidence.add_file(path, "cassette", f"{provider_id} traffic replayed")
        if spec is not None:
            evidence.add_file(spec, "spec", f"{provider_id} OpenAPI description")

    return use


@cache
def _validator(spec: Path) -> SpecValidator:
    return SpecValidator(spec)
