"""Test helpers shared by the provider adapters' tests.

Test modules import these with relative imports such as
``from ..support.recording import RecordingTransport``. Those work because
pytest runs with ``--import-mode=importlib``, which names each test module
after its path below the rootdir, such as ``tests.sas.test_sas_tls``.
"""
