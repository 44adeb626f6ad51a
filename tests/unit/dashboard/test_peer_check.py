"""Check connection (dashboard/peer_check.py) against fake peers: every answer in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest

from ilpnode.dashboard import PeerChecker
from ilpnode.ilp import (
    IldcpResponse,
    Reject,
    decode_prepare,
    encode_fulfill,
    encode_ildcp_response,
    encode_reject,
)
from ilpnode.services.peering import Asset, HttpOutgoing, Peer

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USD = Asset(
    id=uuid4(),
    code="USD",
    scale=2,
    ledger=1,
    withdrawal_threshold=None,
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)
BOB = Peer(
    id=uuid4(),
    asset_id=USD.id,
    static_ilp_address="test.bob",
    routes=("test.bob",),
    http_outgoing=HttpOutgoing(auth_token="secret-out", endpoint="http://bob.test/ilp"),
    max_packet_amount=None,
    name="Bob",
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)

Handler = Callable[[httpx.Request], httpx.Response]


async def check(handler: Handler) -> tuple[bool, str]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        checker = PeerChecker(client=client, own_address="test.alice")
        result = await checker.check(BOB, USD, now=NOW)
        assert checker.last(BOB.id) is result
        return result.ok, " ".join(result.lines)


def ildcp_answer(address: str = "test.alice", code: str = "USD", scale: int = 2) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer secret-out"
        prepare = decode_prepare(request.content)
        assert (prepare.destination, prepare.amount) == ("peer.config", 0)
        assert prepare.expires_at > NOW
        body = encode_ildcp_response(
            IldcpResponse(client_address=address, asset_code=code, asset_scale=scale)
        )
        return httpx.Response(200, content=encode_fulfill(body))

    return handler


async def test_an_ildcp_answer() -> None:
    ok, text = await check(ildcp_answer())
    assert ok
    assert text == (
        "Peer Bob at http://bob.test/ilp accepted our token. "
        "It knows this node as test.alice, asset USD scale 2."
    )


async def test_disagreements_are_pointed_out() -> None:
    ok, text = await check(ildcp_answer(address="test.someone", code="EUR"))
    assert ok
    assert "the two sides disagree on the asset" in text
    assert "has test.someone configured for it" in text


async def test_a_reject_means_the_link_works_without_ildcp() -> None:
    reject = encode_reject(Reject(code="F02", triggered_by="test.bob", message="no route"))
    ok, text = await check(lambda _: httpx.Response(200, content=reject))
    assert ok
    assert "It does not answer IL-DCP (F02 from test.bob: no route)" in text


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (lambda _: httpx.Response(401), "refused our outgoing token (HTTP 401)"),
        (lambda _: httpx.Response(502, text="bad gateway"), "answered HTTP 502 instead"),
        (lambda _: httpx.Response(200, content=b"hello"), "answered something that is not ILP"),
    ],
)
async def test_failures_in_words(handler: Handler, words: str) -> None:
    ok, text = await check(handler)
    assert not ok
    assert words in text


async def test_unreachable_and_silent_peers() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    ok, text = await check(refuse)
    assert not ok
    assert "Cannot reach peer Bob at http://bob.test/ilp" in text
    ok, text = await check(silent)
    assert not ok
    assert "did not answer at http://bob.test/ilp within 5 seconds" in text
