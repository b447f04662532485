"""Locate the published specifications and examples that tests read.

The files stay outside the repository and tests read them in place. The
folder is ``$CARECERT_REAL_DIR`` when that is set, else ``shared/real`` beside
the repository root, so a clone at ``/ci/build/main`` reads
``/ci/build/shared/real``. Tests skip, naming the path they looked at, when a
file is absent.

Test modules import this as ``from ..realdata import ...``. With
``--import-mode=importlib`` pytest registers ``tests`` as a namespace package
rooted at this folder, so the relative import needs no ``__init__.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ENV_VAR",
    "PDS_EXAMPLES",
    "PDS_PATIENT_RESPONSES",
    "PDS_SPEC",
    "PDS_STUBS",
    "missing_reason",
    "real_dir",
    "real_file_params",
    "real_path",
    "require_real",
]

ENV_VAR = "CARECERT_REAL_DIR"
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

# Places inside the real folder, as laid out by NHS Digital's
# personal-demographics-service-api repository.
PDS_SPEC = "nhs-pds/specification/personal-demographics.yaml"
PDS_EXAMPLES = "nhs-pds/specification/components/examples"
PDS_STUBS = "nhs-pds/karate-tests/src/test/java/mocks/stubs"
PDS_PATIENT_RESPONSES = f"{PDS_STUBS}/patientResponses"


def real_dir() -> Path:
    """Return the folder of published inputs, which may not exist."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser().resolve()
    return REPOSITORY_ROOT.parent / "shared" / "real"


def real_path(relative: str | Path) -> Path:
    """Return ``relative`` inside the real folder. The path may not exist."""
    return real_dir() / relative


def missing_reason(path: Path) -> str:
    """Return the skip reason for a published input that is not at ``path``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        source = f"{ENV_VAR} is set to {configured}"
    else:
        source = f"{ENV_VAR} is not set, so the default beside the repository is used"
    return (
        f"published input not found at {path} ({source}). Set {ENV_VAR} to the "
        "folder that contains nhs-pds/ and the other published inputs."
    )


def require_real(relative: str | Path) -> Path:
    """Return the path of a published input, or skip the test if it is absent."""
    path = real_path(relative)
    if not path.exists():
        pytest.skip(missing_reason(path))
    return path


def real_file_params(
    folder: str, *, names: Sequence[str] | None = None, pattern: str = "*.json"
) -> list[Any]:
    """Return one pytest.param per file of ``folder``, with the file name as id.

    ``names`` lists the files to use, and a missing one becomes a skipped
    case. Without ``names``, every file matching ``pattern`` is used. A
    missing folder becomes one skipped case. An existing folder with no
    matching file raises FileNotFoundError, because that means the upstream
    layout changed and the tests would otherwise check nothing.
    """
    directory = real_path(folder)
    if names is not None:
        return [_file_param(directory / name) for name in names]
    if not directory.is_dir():
        skip = pytest.mark.skip(reason=missing_reason(directory))
        return [pytest.param(directory, id="missing", marks=skip)]
    found = sorted(directory.glob(pattern))
    if not found:
        raise FileNotFoundError(
            f"{directory} contains no files matching {pattern}. Check that "
            f"{ENV_VAR} points at an unmodified copy of the published inputs."
        )
    return [_file_param(path) for path in found]


def _file_param(path: Path) -> Any:
    if path.is_file():
        return pytest.param(path, id=path.name)
    skip = pytest.mark.skip(reason=missing_reason(path))
    return pytest.param(path, id=path.name, marks=skip)
