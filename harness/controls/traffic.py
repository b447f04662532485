"""Read recorded traffic for checks that look at whole cassettes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vcr.request import Request

from carecert.harness.cassette import JsonPersister, JsonSerializer

__all__ = ["read_interactions"]


def read_interactions(path: Path) -> list[tuple[Request, dict[str, Any]]]:
    """Load a cassette as (request, response) pairs.

    The persister checks the format and scans for secrets first.
    """
    requests, responses, *_metadata = JsonPersister.load_cassette(
        path, serializer=JsonSerializer()
    )
    return list(zip(requests, responses, strict=True))
