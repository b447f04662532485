"""German statutory health insurance (GKV): wire formats and the HTTP adapter.

``xdt`` encodes and parses xDT lines (KVDT billing files), ``kvdt`` builds
KVDT case records, and ``kbv`` builds and parses KBV e-prescription Bundles
(FHIR R4). ``GKVInterface`` checks insurance status, submits KVDT data and
issues e-prescriptions, and ``simulator`` serves those endpoints for tests.
"""

from carecert.adapters.gkv.interface import GKVInterface

__all__ = ["GKVInterface"]
