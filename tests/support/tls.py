"""Server certificates for the simulators that tests serve over TLS on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

from .credentials import write_issued_cert


@dataclass(frozen=True)
class ServerTLSFiles:
    """PEM files for a TLS server on 127.0.0.1 and the CA that clients trust."""

    certificate: Path
    key: Path
    ca: Path


def write_server_tls_files(ca: trustme.CA, directory: Path) -> ServerTLSFiles:
    """Issue a 127.0.0.1 server certificate from ``ca`` and write all three files."""
    certificate, key = write_issued_cert(
        ca.issue_cert("127.0.0.1"),
        directory / "server.pem",
        directory / "server-key.pem",
    )
    bundle = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ServerTLSFiles(certificate=certificate, key=key, ca=bundle)


def write_untrusted_ca(path: Path) -> Path:
    """Write the certificate of a new CA that signed no simulator's certificate."""
    trustme.CA().cert_pem.write_to_path(str(path))
    return path
