"""Fixtures the carecert plugin provides to suites and user tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carecert.adapters.compliance.catalogue import Control, Region
from carecert.adapters.provider import HealthcareProvider
from carecert.harness._keys import EVIDENCE_KEY, STATE_KEY
from carecert.harness.cassette import CarecertCassette, use_cassette
from carecert.harness.conformance import SpecValidator, make_on_play
from carecert.harness.controls.rules import ControlRules, rules_for
from carecert.harness.network import block_network
from carecert.harness.providers import HarnessKeys, ProviderHarness, harness_for
from carecert.harness.state import CarecertState, TestEvidence

__all__ = [
    "carecert_control",
    "carecert_control_id",
    "carecert_network_guard",
    "carecert_region",
    "carecert_rules",
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

NO_HARNESS_REASON = (
    "not applicable: {provider_id} ({class_name}) defines no carecert_harness(), "
    "so it has no recorded traffic or simulator"
)
"""Skip reason for a provider without a harness. Its prefix sets the outcome."""

# Fixtures that mean a test talks to a provider, so the network guard applies.
_PROVIDER_FIXTURES = frozenset({"provider_factory", "provider_cassette"})


@pytest.fixture(scope="session")
def carecert_state(pytestconfig: pytest.Config) -> CarecertState:
    """The session's selection, registry, catalogue and collected results."""
    return pytestconfig.stash[STATE_KEY]


@pytest.fixture(autouse=True)
def carecert_control_id(request: pytest.FixtureRequest) -> str | None:
    """Id of the catalogue control that this test proves, or None for other tests.

    Tests marked ``control(check=...)`` get the id as a parameter, which
    overrides this fixture. It is autouse so that the plugin can always
    parametrize it.
    """
    marker = request.node.get_closest_marker("control")
    if marker is not None and marker.args and isinstance(marker.args[0], str):
        return marker.args[0]
    return None


@pytest.fixture
def carecert_control(
    carecert_control_id: str | None, carecert_state: CarecertState
) -> Control:
    """The catalogue control that this test proves."""
    if carecert_control_id is None:
        pytest.fail(
            "carecert_control needs a test marked @pytest.mark.control('UK-RES-01') "
            "or @pytest.mark.control(check='tls-floor')."
        )
    return carecert_state.catalogue.control(carecert_control_id)


@pytest.fixture
def carecert_region(carecert_control: Control, carecert_state: CarecertState) -> Region:
    """The catalogue region of the control that this test proves."""
    return carecert_state.catalogue.region(carecert_control.region)


@pytest.fixture
def carecert_rules(
    carecert_control: Control, carecert_state: CarecertState, provider_id: str
) -> ControlRules:
    """The parameters this control applies to ``provider_id``: the stricter of the
    control's region and the provider's own regions."""
    registration = carecert_state.registry.get_registration(provider_id)
    return rules_for(
        carecert_state.catalogue, carecert_control, registration.info.regions
    )


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
                NO_HARNESS_REASON.format(
                    provider_id=provider_id,
                    class_name=registration.provider_class.__name__,
                )
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

    Keyword arguments override config keys; a mapping is merged into a mapping
    config value one level deep. In replay the adapter uses its
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
        for key, value in overrides.items():
            current = config.get(key)
            if isinstance(value, Mapping) and isinstance(current, Mapping):
                # A nested setting, such as one endpoint of several, is
                # overridden without restating its siblings.
                config[key] = {**current, **value}
            else:
                config[key] = value
        provider = registration.create(config)
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
