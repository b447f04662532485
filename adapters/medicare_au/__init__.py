"""Medicare Australia adapter: My Health Record reads and bulk-bill claims."""

from carecert.adapters.medicare_au.interface import MedicareAustraliaProvider

__all__ = ["MedicareAustraliaProvider"]
