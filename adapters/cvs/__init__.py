"""CVS Health adapter: prescription status and vaccination bookings."""

from carecert.adapters.cvs.interface import CVSInterface

__all__ = ["CVSInterface"]
