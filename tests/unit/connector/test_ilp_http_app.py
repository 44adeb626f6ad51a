"""The connector port's HTTP surface: bad requests get a clear status, never reach the handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ilpnode.connector.ilp_http_app import MAX_BODY_BYTES, IlpHttpApp
from ilpnode.ilp import (
    Fulfill,
    Prepare,
    decode_fulfill,
    encode_fulfill,
    encode_prepare,
)

TOKEN = "secret-token-of-peer-a"
PREPARE = Prepare(
    amount=10,
    expires_at=datetime.now(UTC) + timedelta(seconds=30),
    execution_condition=bytes(32),
    destination="test.b.alice",
)
FULFILL = Fulfill(fulfillment=bytes(range(32)), data=b"ok")


class RecordingHandler:
    def __init__(self) -> None:
        self.calls: list[tuple[object, Prepare, bytes]] = []

    async def __call__(self, peer: object, prepare: Prepare, raw: bytes) -> bytes:
        self.calls.append((peer, prepare, raw))
        return encode_fulfill(FULFILL)


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def client(handler: RecordingHandler) -> httpx.AsyncClient:
    app = IlpHttpApp(authenticate={TOKEN: "peer-a"}.get, handle=handler)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://connector")


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/octet-stream"}


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "application/ilp+octet-stream"]
)
async def test_authenticated_prepare_reaches_handler_and_reply_is_the_body(
    client: httpx.AsyncClient, handler: RecordingHandler, content_type: str
) -> None:
    raw = encode_prepare(PREPARE)
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": content_type}

    response = await client.post("/", content=raw, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert decode_fulfill(response.content) == FULFILL
    assert handler.calls == [("peer-a", PREPARE, raw)]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Bearer token required"),
        ({"authorization": "Bearer wrong"}, "unknown token"),
        ({"authorization": "Basic " + TOKEN}, "unknown token"),
        ({"authorization": "Bearer "}, "unknown token"),
    ],
)
async def test_missing_or_wrong_token_is_401(
    client: httpx.AsyncClient, handler: RecordingHandler, headers: dict[str, str], reason: str
) -> None:
    response = await client.post("/", content=encode_prepare(PREPARE), headers=headers)

    assert response.status_code == 401
    assert reason in response.text
    assert handler.calls == []


async def test_other_methods_are_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=auth())

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_foreign_content_type_is_415(
    client: httpx.AsyncClient, handler: RecordingHandler
) -> None:
    headers = {**auth(), "content-type": "application/json"}

    response = await client.post("/", content=b"{}", headers=headers)

    assert response.status_code == 415
    assert handler.calls == []


@pytest.mark.parametrize("body", [b"", b"garbage", b"\x0c\x05\x00", b"\x0d" + bytes(40)])
async def test_body_that_is_not_a_prepare_is_400_with_reason(
    client: httpx.AsyncClient, handler: RecordingHandler, body: bytes
) -> None:
    response = await client.post("/", content=body, headers=auth())

    assert response.status_code == 400
    assert response.text.startswith("invalid ILP Prepare: ")
    assert handler.calls == []


async def test_oversized_body_is_413(client: httpx.AsyncClient, handler: RecordingHandler) -> None:
    response = await client.post("/", content=bytes(MAX_BODY_BYTES + 1), headers=auth())

    assert response.status_code == 413
    assert handler.calls == []


async def test_refusals_are_counted_by_status(client: httpx.AsyncClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    await client.post("/", content=b"x", headers=auth("wrong"))
    await client.post("/", content=b"x", headers=auth("wrong"))
    await client.post("/", content=b"\x0c\x00", headers=auth())
    assert dict(app.refusals) == {401: 2, 400: 1}


@pytest.mark.parametrize("suffix", [b"\xa0", b"\x85", b"\x0b", b"\x0c"])
async def test_a_token_followed_by_a_non_http_space_is_refused(
    client: httpx.AsyncClient, handler: RecordingHandler, suffix: bytes
) -> None:
    """Only space and tab are HTTP whitespace; latin-1's 0xA0 and 0x85 are part of the token."""
    headers = [
        (b"authorization", b"Bearer " + TOKEN.encode() + suffix),
        (b"content-type", b"application/octet-stream"),
    ]
    response = await client.post("/", content=encode_prepare(PREPARE), headers=headers)
    assert response.status_code == 401
    assert handler.calls == []


async def test_spaces_and_tabs_around_the_token_are_trimmed(
    client: httpx.AsyncClient, handler: RecordingHandler
) -> None:
    headers = {"authorization": f"Bearer \t{TOKEN} \t", "content-type": "application/octet-stream"}
    response = await client.post("/", content=encode_prepare(PREPARE), headers=headers)
    assert response.status_code == 200
    assert len(handler.calls) == 1
