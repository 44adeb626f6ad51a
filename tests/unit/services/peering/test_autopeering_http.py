"""`HttpPeeringClient` on an httpx MockTransport: what goes on the wire (JSON, the secret from the
URL as Basic auth and out of the URL), redirects not followed, size and time bounds."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ilpnode.services.peering.autopeering import PeerAnswer, PeerUnreachable
from ilpnode.services.peering.autopeering.http_client import HttpPeeringClient


def client(handler: httpx.MockTransport, *, max_answer_bytes: int = 65536) -> HttpPeeringClient:
    return HttpPeeringClient(
        httpx.AsyncClient(transport=handler), max_answer_bytes=max_answer_bytes
    )


async def test_posts_json_and_moves_the_secret_out_of_the_url() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    result = await client(httpx.MockTransport(answer)).post_json(
        "http://ilpnode:s3cret-value@bob.example:3005/", {"a": 1}
    )

    assert result == PeerAnswer(200, b'{"ok":true}')
    [request] = seen
    assert str(request.url) == "http://bob.example:3005/"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"a": 1}
    expected = base64.b64encode(b"ilpnode:s3cret-value").decode()
    assert request.headers["authorization"] == f"Basic {expected}"


async def test_without_user_info_there_is_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "http://elsewhere.example/"})

    result = await client(httpx.MockTransport(answer)).post_json("http://bob.example/", {})

    assert result == PeerAnswer(302, b"")
    assert len(seen) == 1  # the redirect is not followed
    assert "authorization" not in seen[0].headers


async def test_a_large_answer_is_cut_off() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, content=b"x" * 2000))

    result = await client(transport, max_answer_bytes=1000).post_json("http://bob.example/", {})

    assert result == PeerAnswer(200, None)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "[Errno 111] Connection refused"),
        (httpx.ReadTimeout("timed out"), "no answer within 10 s"),
        (httpx.RemoteProtocolError(""), "RemoteProtocolError"),
    ],
)
async def test_network_trouble_is_a_value(failure: Exception, reason: str) -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        raise failure

    result = await client(httpx.MockTransport(answer)).post_json("http://bob.example/", {})

    assert result == PeerUnreachable(reason)


async def test_an_unusable_url_is_a_value() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(200))

    result = await client(transport).post_json("http://[::1/", {})

    assert isinstance(result, PeerUnreachable)
    assert result.reason.startswith("invalid URL")
