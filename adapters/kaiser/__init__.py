"""Kaiser Permanente adapter: health record sections and appointment booking."""

from carecert.adapters.kaiser.interface import KaiserInterface

__all__ = ["KaiserInterface"]
