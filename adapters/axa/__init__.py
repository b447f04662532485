"""AXA Healthcare adapter: coverage checks and idempotent claims, by region."""

from carecert.adapters.axa.endpoints import REGIONS, info_for_region
from carecert.adapters.axa.interface import AXAProvider

__all__ = ["REGIONS", "AXAProvider", "info_for_region"]
