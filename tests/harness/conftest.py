"""Harness test fixtures: a small FHIR simulator, in process or on 127.0.0.1."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SPECS = Path(__file__).parent / "specs"
PATIENT_SPEC = SPECS / "patient.yaml"
BASE_URL = "https://fhir.example.nhs.uk/FHIR/R4"
REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"


def make_jwt(subject: str = "carecert-test") -> str:
    """Return an unsigned-looking JWT; the test values are not real credentials."""

    def encode(document: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(document)).rstrip(b"=").decode()

    header = encode({"alg": "RS512", "typ": "JWT"})
    payload = encode({"sub": subject, "iss": subject})
    return f"{header}.{payload}.c2lnbmF0dXJlLW5vdC1yZWFs"


PATIENT = {
    "resourceType": "Patient",
    "id": "9000000009",
    "gender": "female",
    "birthDate": "2010-10-22",
    "identifier": [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}
    ],
    "name": [{"family": "Smith", "given": ["Jane"]}],
}


async def get_patient(request: Request) -> Response:
    patient_id = request.path_params["id"]
    headers = {
        "X-Request-ID": request.headers.get("X-Request-ID", ""),
        "Set-Cookie": "session=sim-session-value; Path=/; HttpOnly",
    }
    if patient_id != PATIENT["id"]:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "not-found"}],
        }
        return Response(orjson.dumps(outcome), 404, headers, "application/fhir+json")
    body = orjson.dumps({**PATIENT, "id": patient_id})
    return Response(body, 200, headers, "application/fhir+json; charset=utf-8")


async def token(request: Request) -> Response:
    # Parsed by hand: Starlette's form parser needs python-multipart.
    form = dict(parse_qsl((await request.body()).decode("utf-8")))
    if "client_assertion" not in form:
        return Response(
            b'{"error":"invalid_request"}', 400, media_type="application/json"
        )
    document = {
        "access_token": "sim-access-token-value",
        "refresh_token": "sim-refresh-token-value",
        "expires_in": "599",
        "token_type": "Bearer",
    }
    return Response(orjson.dumps(document), 200, media_type="application/json")


async def logo(request: Request) -> Response:
    return Response(bytes(range(256)), 200, media_type="image/png")


def build_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/FHIR/R4/Patient/{id}", get_patient),
            Route("/oauth2/token", token, methods=["POST"]),
            Route("/logo.png", logo),
        ]
    )


@pytest.fixture
def simulator_app() -> Starlette:
    return build_app()


class RunningServer:
    """A uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            build_app(), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"uvicorn did not start on 127.0.0.1:{self.port} within 10 s"
                )
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server() -> Iterator[RunningServer]:
    server = RunningServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
