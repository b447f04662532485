"""Servicio Andaluz de Salud (SAS) adapter: patient read, bookings, e-prescriptions."""

from carecert.adapters.sas.interface import SASInterface

__all__ = ["SASInterface"]
