"""German statutory health insurance (GKV) wire formats.

``xdt`` encodes and parses xDT lines (KVDT billing files), ``kvdt`` builds
KVDT case records, and ``kbv`` builds and parses KBV e-prescription Bundles
(FHIR R4). There is no GKV HTTP adapter or simulator yet.
"""
