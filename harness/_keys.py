"""Typed keys for the state carecert keeps on pytest's config and items."""

from __future__ import annotations

import pytest

from carecert.harness.state import CarecertState, TestEvidence

STATE_KEY = pytest.StashKey[CarecertState]()
EVIDENCE_KEY = pytest.StashKey[TestEvidence]()
