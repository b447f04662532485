"""Recording cassettes from the simulators, then replaying them."""

from __future__ import annotations

import json
import re

import orjson
import pytest

from carecert.harness.secrets import PLACEHOLDER, find_secrets

UK_SUITE_TESTS = 18
"""Tests the UK suite collects for nhs, the one built-in UK provider."""

EXPECTED_CASSETTES = ["audited_access.json", "user_restricted_read.json"]

# Writes the session's synthetic credentials where this test can read them,
# so it can check that none of them reached a cassette.
KEY_DUMP_CONFTEST = """
import json

import pytest


@pytest.fixture(scope="session", autouse=True)
def dump_harness_keys(harness_keys, pytestconfig):
    keys = {
        "api_key": harness_keys.api_key,
        "private_key_path": str(harness_keys.private_key_path),
    }
    (pytestconfig.rootpath / "harness_keys.json").write_text(json.dumps(keys))
"""

_BEARER = re.compile(r"Bearer (\S+?)[\"\s]")
_JSON_TOKEN = re.compile(
    r'\\?"(access_token|refresh_token|id_token)\\?"\s*:\s*\\?"([^"\\]*)'
)


def _private_key_lines(pem: str) -> list[str]:
    return [
        line
        for line in pem.splitlines()
        if line.strip() and not line.startswith("-----")
    ]


def test_record_once_then_replay(suite_tree):
    suite_tree.pytester.makeconftest(KEY_DUMP_CONFTEST)
    cassette_dir = suite_tree.path / "tmp"
    assert not cassette_dir.exists()

    recorded = suite_tree.run(
        "suites", "--region=UK", "--cassette-dir=tmp", "--record-mode=once"
    )
    output = suite_tree.output(recorded)

    assert recorded.ret == pytest.ExitCode.OK, output
    recorded.assert_outcomes(passed=UK_SUITE_TESTS)
    assert "record-mode=once" in output
    files = sorted(cassette_dir.glob("nhs/*.json"))
    assert [path.name for path in files] == EXPECTED_CASSETTES

    keys = json.loads((suite_tree.path / "harness_keys.json").read_text())
    with open(keys["private_key_path"], encoding="ascii") as handle:
        private_pem = handle.read()
    for path in files:
        text = path.read_text(encoding="utf-8")
        document = orjson.loads(text)
        assert document["interactions"], f"{path.name} recorded no exchanges"
        assert list(find_secrets(document)) == [], path.name
        assert keys["api_key"] not in text, f"{path.name} contains the API key"
        assert "PRIVATE KEY" not in text, path.name
        for line in _private_key_lines(private_pem):
            assert line not in text, f"{path.name} contains private key material"
        assert "eyJ" not in text, f"{path.name} contains a JWT"
        bearer_values = _BEARER.findall(text)
        assert bearer_values, f"{path.name} shows no bearer authorization"
        assert set(bearer_values) == {PLACEHOLDER}, path.name
        token_members = _JSON_TOKEN.findall(text)
        assert token_members, f"{path.name} holds no token response"
        for name, value in token_members:
            assert value == PLACEHOLDER, f"{path.name}: {name} not scrubbed"

    replayed = suite_tree.run("suites", "--region=UK", "--cassette-dir=tmp")
    output = suite_tree.output(replayed)

    assert replayed.ret == pytest.ExitCode.OK, output
    replayed.assert_outcomes(passed=UK_SUITE_TESTS)
    assert "record-mode=none" in output
    assert f"cassettes in {cassette_dir.relative_to(suite_tree.path)}" in output
