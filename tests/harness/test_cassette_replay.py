"""Record and replay through CarecertCassette with httpx, in process and over TCP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from carecert.harness.cassette import use_cassette
from carecert.harness.errors import (
    CassetteFormatError,
    CassetteSecretError,
    ConformanceFailure,
    UnrecordedRequestError,
)
from carecert.harness.secrets import PLACEHOLDER

from .conftest import BASE_URL, REQUEST_ID, RunningServer, make_jwt


def _asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def _get_patient(
    client: httpx.AsyncClient, patient_id: str = "9000000009"
) -> httpx.Response:
    return await client.get(
        f"/Patient/{patient_id}",
        headers={
            "Authorization": "Bearer live-access-token",
            "X-Request-ID": REQUEST_ID,
            "Cookie": "session=client-cookie",
            "X-Api-Key": "live-api-key",
        },
    )


async def _post_token(client: httpx.AsyncClient) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ),
        "client_assertion": make_jwt(),
    }
    return await client.post("https://fhir.example.nhs.uk/oauth2/token", data=form)


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(path.read_bytes())
    return document


@pytest.mark.asyncio
async def test_asgi_record_then_replay(tmp_path: Path, simulator_app: Any) -> None:
    """A recording made through ASGITransport replays without the app."""
    path = tmp_path / "patient.json"

    with use_cassette(path, record_mode="once") as cassette:
        async with _asgi_client(simulator_app) as client:
            recorded = await _get_patient(client)
    assert recorded.status_code == 200
    assert len(cassette) == 1
    assert path.is_file()

    async def no_app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("replay must not reach the application")

    with use_cassette(path) as cassette:
        async with _asgi_client(no_app) as client:
            replayed = await _get_patient(client)
    assert replayed.status_code == 200
    assert replayed.json() == recorded.json()
    assert replayed.headers["content-type"] == "application/fhir+json; charset=utf-8"
    assert cassette.play_count == 1


@pytest.mark.asyncio
async def test_recording_is_scrubbed_on_disk(
    tmp_path: Path, simulator_app: Any
) -> None:
    """Credentials in headers, form fields and JSON bodies never reach the file."""
    path = tmp_path / "scrubbed.json"

    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)
            token = await _post_token(client)
    assert token.json()["access_token"] == "sim-access-token-value"

    text = path.read_text()
    for secret in (
        "live-access-token",
        "client-cookie",
        "live-api-key",
        "sim-session-value",
        "sim-access-token-value",
        "sim-refresh-token-value",
        make_jwt(),
    ):
        assert secret not in text, secret
    document = _read(path)
    first, second = document["interactions"]
    assert first["request"]["headers"]["authorization"] == [f"Bearer {PLACEHOLDER}"]
    assert first["request"]["headers"]["x-api-key"] == [PLACEHOLDER]
    assert first["response"]["headers"]["set-cookie"] == [
        f"session={PLACEHOLDER}; Path=/; HttpOnly"
    ]
    assert "client_assertion=scrubbed.scrubbed.scrubbed" in second["request"]["body"]
    token_body = orjson.loads(second["response"]["body"]["string"])
    assert token_body["access_token"] == PLACEHOLDER
    assert token_body["expires_in"] == "599"


def test_cassette_file_is_deterministic(tmp_path: Path, simulator_app: Any) -> None:
    """Recording the same traffic twice writes identical, sorted files."""
    import asyncio

    outputs = []
    for name in ("first.json", "second.json"):
        path = tmp_path / name

        async def record(target: Path = path) -> None:
            with use_cassette(target, record_mode="once"):
                async with _asgi_client(simulator_app) as client:
                    await _get_patient(client)

        asyncio.run(record())
        outputs.append(path.read_bytes())

    assert outputs[0] == outputs[1]
    assert outputs[0].endswith(b"}\n")
    assert outputs[0].startswith(b'{\n  "interactions": [')


@pytest.mark.asyncio
async def test_replay_scrubbed_token_exchange(
    tmp_path: Path, simulator_app: Any
) -> None:
    """A scrubbed token response still replays, with the placeholder as the token."""
    path = tmp_path / "token.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _post_token(client)

    with use_cassette(path):
        async with _asgi_client(simulator_app) as client:
            replayed = await _post_token(client)
    assert replayed.status_code == 200
    assert replayed.json()["access_token"] == PLACEHOLDER


@pytest.mark.asyncio
async def test_binary_body_round_trips(tmp_path: Path, simulator_app: Any) -> None:
    """A body that is not UTF-8 is stored as base64 and replayed byte for byte."""
    path = tmp_path / "binary.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            recorded = await client.get("https://fhir.example.nhs.uk/logo.png")

    stored = _read(path)["interactions"][0]["response"]["body"]
    assert set(stored) == {"base64"}
    with use_cassette(path):
        async with _asgi_client(simulator_app) as client:
            replayed = await client.get("https://fhir.example.nhs.uk/logo.png")
    assert replayed.content == recorded.content == bytes(range(256))


@pytest.mark.asyncio
async def test_unrecorded_request_names_method_url(
    tmp_path: Path, simulator_app: Any
) -> None:
    """Replay of a request the cassette lacks raises UnrecordedRequestError."""
    path = tmp_path / "one.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)

    with pytest.raises(UnrecordedRequestError) as caught:
        with use_cassette(path):
            async with _asgi_client(simulator_app) as client:
                await _get_patient(client, "9000000017")
    error = caught.value
    assert error.method == "GET"
    assert error.url == f"{BASE_URL}/Patient/9000000017"
    assert error.path == str(path)
    assert error.reason == "no_match"
    # 'once' never records into an existing cassette, so it is not advised.
    assert "--record-mode=new_episodes" in str(error)
    assert "--record-mode=once" not in str(error)
    assert str(path) in str(error)


@pytest.mark.asyncio
async def test_missing_cassette_in_replay(tmp_path: Path, simulator_app: Any) -> None:
    """Replay without a cassette file reports that the cassette does not exist."""
    path = tmp_path / "absent.json"
    with pytest.raises(UnrecordedRequestError) as caught:
        with use_cassette(path):
            async with _asgi_client(simulator_app) as client:
                await _get_patient(client)
    assert caught.value.reason == "cassette_not_found"
    assert not path.exists()


@pytest.mark.asyncio
async def test_replayed_response_plays_once(tmp_path: Path, simulator_app: Any) -> None:
    """A second identical request needs a second recording."""
    path = tmp_path / "once.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)

    with pytest.raises(UnrecordedRequestError) as caught:
        with use_cassette(path):
            async with _asgi_client(simulator_app) as client:
                await _get_patient(client)
                await _get_patient(client)
    assert caught.value.reason == "already_played"


@pytest.mark.asyncio
async def test_new_episodes_appends(tmp_path: Path, simulator_app: Any) -> None:
    """new_episodes replays what exists and records the rest."""
    path = tmp_path / "episodes.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)

    with use_cassette(path, record_mode="new_episodes") as cassette:
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)
            missing = await _get_patient(client, "9000000017")
    assert cassette.play_count == 1
    assert missing.status_code == 404
    assert len(_read(path)["interactions"]) == 2


@pytest.mark.asyncio
async def test_on_play_gets_index_and_messages(
    tmp_path: Path, simulator_app: Any
) -> None:
    """on_play gets the cassette, the index, the live request and the response."""
    path = tmp_path / "two.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)
            await _get_patient(client, "9000000017")

    calls: list[tuple[str, int, str, str | None, int]] = []

    def on_play(
        cassette: Any, index: int, request: Any, response: dict[str, Any]
    ) -> None:
        calls.append(
            (
                cassette.path,
                index,
                request.uri,
                request.headers.get("Authorization"),
                response["status"]["code"],
            )
        )

    with use_cassette(path, on_play=on_play):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client, "9000000017")
            await _get_patient(client)

    assert calls == [
        (
            str(path),
            1,
            f"{BASE_URL}/Patient/9000000017",
            "Bearer live-access-token",
            404,
        ),
        (
            str(path),
            0,
            f"{BASE_URL}/Patient/9000000009",
            "Bearer live-access-token",
            200,
        ),
    ]


def _failure() -> ConformanceFailure:
    return ConformanceFailure(
        cassette="c.json",
        exchange_index=0,
        method="GET",
        url=f"{BASE_URL}/Patient/9000000009",
        part="response",
        location="$.gender",
        expected="enum: ['male', 'female', 'other', 'unknown']",
        received="woman",
        message="Response does not conform.",
    )


@pytest.mark.asyncio
async def test_on_play_failure_reaches_test(tmp_path: Path, simulator_app: Any) -> None:
    """A ConformanceFailure raised in on_play propagates out of the HTTP call."""
    path = tmp_path / "fail.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)

    def on_play(*args: Any) -> None:
        raise _failure()

    with pytest.raises(ConformanceFailure) as caught:
        with use_cassette(path, on_play=on_play):
            async with _asgi_client(simulator_app) as client:
                await _get_patient(client)
    assert caught.value.location == "$.gender"


@pytest.mark.asyncio
async def test_swallowed_failure_raised_at_exit(
    tmp_path: Path, simulator_app: Any
) -> None:
    """A failure caught by the code under test is raised again at block exit."""
    path = tmp_path / "swallowed.json"
    with use_cassette(path, record_mode="once"):
        async with _asgi_client(simulator_app) as client:
            await _get_patient(client)

    def on_play(*args: Any) -> None:
        raise _failure()

    with pytest.raises(ConformanceFailure):
        with use_cassette(path, on_play=on_play):
            async with _asgi_client(simulator_app) as client:
                try:
                    await _get_patient(client)
                except Exception:
                    pass


def test_corrupt_cassette_is_not_empty(tmp_path: Path) -> None:
    """A cassette with broken JSON raises instead of being re-recorded over."""
    path = tmp_path / "corrupt.json"
    path.write_text(
        '{\n  "interactions": [\n    {"request": }\n  ],\n  "version": 1\n}\n'
    )

    with pytest.raises(CassetteFormatError) as caught:
        with use_cassette(path, record_mode="once"):
            pass
    assert caught.value.line == 3
    assert caught.value.column is not None
    assert path.read_text().startswith('{\n  "interactions"')


def test_secret_in_cassette_fails_replay(tmp_path: Path) -> None:
    """A cassette that still contains a bearer token cannot be replayed."""
    path = tmp_path / "leaky.json"
    document = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": f"{BASE_URL}/Patient/9000000009",
                    "headers": {"Authorization": ["Bearer real-looking-token"]},
                    "body": None,
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": ""},
                },
            }
        ],
    }
    path.write_bytes(orjson.dumps(document))

    with pytest.raises(CassetteSecretError) as caught:
        with use_cassette(path):
            pass
    assert caught.value.location == "interactions[0].request.headers.Authorization"
    assert "real-looking-token" not in str(caught.value)


def test_invalid_record_mode_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'sometimes'.*none, once, new_episodes, all"):
        with use_cassette(tmp_path / "x.json", record_mode="sometimes"):
            pass


@pytest.mark.asyncio
async def test_uvicorn_record_then_replay_stopped(
    tmp_path: Path, live_server: RunningServer
) -> None:
    """Record from a real server on 127.0.0.1, stop it, and replay from the file."""
    path = tmp_path / "tcp.json"
    url = f"{live_server.base_url}/FHIR/R4/Patient/9000000009"
    headers = {"Authorization": "Bearer live-access-token", "X-Request-ID": REQUEST_ID}

    with use_cassette(path, record_mode="once"):
        async with httpx.AsyncClient() as client:
            recorded = await client.get(url, headers=headers)
    assert recorded.status_code == 200
    assert "live-access-token" not in path.read_text()

    live_server.stop()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url, headers=headers)

    with use_cassette(path):
        async with httpx.AsyncClient() as client:
            replayed = await client.get(url, headers=headers)
    assert replayed.status_code == 200
    assert replayed.json() == recorded.json()
