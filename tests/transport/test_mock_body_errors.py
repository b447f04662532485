"""MockHealthcareProvider: a body that is not JSON is described with a next step."""

from __future__ import annotations

import httpx
import pytest

from carecert.adapters.errors import InvalidResponseError
from carecert.adapters.mock import FaultKind, MockHealthcareProvider

from .conftest import RecordedSleep


@pytest.mark.asyncio
@pytest.mark.parametrize("operation", ["get_patient", "list_specialties", "book"])
async def test_injected_invalid_json_explained(
    operation: str, recorded_sleep: RecordedSleep
) -> None:
    async with MockHealthcareProvider(
        error_rate=1.0,
        fault_kinds=[FaultKind.INVALID_JSON],
        sleep=recorded_sleep,
    ) as mock:
        with pytest.raises(InvalidResponseError) as raised:
            if operation == "get_patient":
                await mock.get_patient("MOCK_001")
            elif operation == "list_specialties":
                await mock.list_specialties()
            else:
                await mock.book_appointment("MOCK_001", "cardiology")

    message = str(raised.value)
    assert "the response body is not valid JSON (" in message
    assert "HTTP 20" in message
    assert "Content-Type application/json" in message
    assert "bytes: b'" in message
    assert "fault_kinds includes invalid_json" in message
    assert "leave invalid_json out of fault_kinds" in message


@pytest.mark.asyncio
async def test_broken_body_not_cached(recorded_sleep: RecordedSleep) -> None:
    mock = MockHealthcareProvider(
        error_rate=1.0,
        fault_kinds=[FaultKind.INVALID_JSON],
        sleep=recorded_sleep,
    )
    async with mock:
        with pytest.raises(InvalidResponseError):
            await mock.list_specialties()
        mock.injector.rate = 0.0
        specialties = await mock.list_specialties()

    assert specialties


@pytest.mark.asyncio
async def test_foreign_server_body_explained() -> None:
    html = b"<html><body>Service moved</body></html>" * 4

    def serve_html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=html, headers={"content-type": "text/html"})

    base_url = "http://127.0.0.1:9"
    mock = MockHealthcareProvider(config={"base_url": base_url})
    mock._client = httpx.AsyncClient(
        transport=httpx.MockTransport(serve_html), base_url=base_url
    )
    async with mock:
        with pytest.raises(InvalidResponseError) as raised:
            await mock.list_specialties()

    message = str(raised.value)
    assert "HTTP 200, Content-Type text/html" in message
    assert f"first 64 of {len(html)} bytes: b'<html><body>Service moved" in message
    assert f"Check that base_url {base_url} is a carecert mock server" in message
