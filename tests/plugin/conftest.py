"""Fixtures for end-to-end tests of the carecert pytest plugin.

Each test gets a fresh copy of the repository's suites/ and cassettes/ under
``pytester.path``, with the repository's pytest settings, and runs pytest on it
in a subprocess. A subprocess keeps the plugin's per-config state, the asyncio
event loops and the network guard's socket patches out of this process.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

SUBPROCESS_TIMEOUT_S = 120
"""Seconds a child pytest run may take before pytester kills it."""


class SuiteTree:
    """A pytester directory with copies of the repository's suites and cassettes."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def run(self, *args: str) -> pytest.RunResult:
        """Run pytest with ``args`` in a subprocess, in the ``path`` directory."""
        return self.pytester.runpytest_subprocess(*args, timeout=SUBPROCESS_TIMEOUT_S)

    def cassette_path(self, name: str, provider: str = "nhs") -> Path:
        return self.path / "cassettes" / provider / f"{name}.json"

    def read_cassette(self, name: str, provider: str = "nhs") -> dict[str, Any]:
        return orjson.loads(self.cassette_path(name, provider).read_bytes())

    def write_cassette(
        self, name: str, document: dict[str, Any], provider: str = "nhs"
    ) -> Path:
        """Write ``document`` as the harness does: sorted keys, 2-space indent."""
        path = self.cassette_path(name, provider)
        options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        path.write_bytes(orjson.dumps(document, option=options) + b"\n")
        return path

    @staticmethod
    def output(result: pytest.RunResult) -> str:
        """Return a run's stdout and stderr as one text."""
        return result.stdout.str() + "\n" + result.stderr.str()


def _ini_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "".join(f"\n    {item}" for item in value)
    return str(value)


def _write_pytest_ini(directory: Path) -> None:
    """Write pytest.ini with the repository's pytest settings, except testpaths.

    The ini file also makes ``directory`` the rootdir, so the plugin finds
    ``cassettes/`` there as it does in the repository.
    """
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    options = pyproject["tool"]["pytest"]["ini_options"]
    lines = ["[pytest]"]
    for key, value in options.items():
        if key != "testpaths":
            lines.append(f"{key} = {_ini_value(value)}")
    (directory / "pytest.ini").write_text("\n".join(lines) + "\n")


def _copy_folder(name: str, destination: Path) -> None:
    shutil.copytree(
        REPO_ROOT / name,
        destination / name,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )


@pytest.fixture
def suite_tree(pytester: pytest.Pytester) -> SuiteTree:
    """A fresh copy of suites/ and cassettes/ with the repository's pytest settings."""
    _write_pytest_ini(pytester.path)
    _copy_folder("suites", pytester.path)
    _copy_folder("cassettes", pytester.path)
    return SuiteTree(pytester)
