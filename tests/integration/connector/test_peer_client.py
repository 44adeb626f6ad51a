"""The peer client against real HTTP servers on loopback: each failure is the right Reject."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest
from aiohttp import web

from ilpnode.accounting import PeerAccount
from ilpnode.connector.errors import IlpError
from ilpnode.connector.peer_client import MAX_REPLY_BYTES, PeerClient
from ilpnode.ilp import Fulfill, IlpErrorCode, Reject, encode_fulfill, encode_reject
from ilpnode.peer_table import ForwardingPeer
from tests.support import free_port

FULFILL = Fulfill(fulfillment=bytes(32), data=b"hi")
Respond = Callable[[web.Request], Awaitable[web.StreamResponse]]


def peer(endpoint: str) -> ForwardingPeer:
    peer_id, asset_id = uuid4(), uuid4()
    return ForwardingPeer(
        id=peer_id,
        name="bob",
        static_ilp_address="test.bob",
        asset_id=asset_id,
        asset_code="USD",
        asset_scale=2,
        max_packet_amount=None,
        endpoint=endpoint,
        outgoing_token="token-to-bob",
        account=PeerAccount.for_peer(peer_id=peer_id, asset_id=asset_id, ledger=1),
    )


class Server:
    def __init__(self) -> None:
        self.respond: Respond = self._fulfill
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/ilp"

    async def _fulfill(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(body=encode_fulfill(FULFILL), content_type="application/octet-stream")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((dict(request.headers), await request.read()))
        return await self.respond(request)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_post("/ilp", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", state.port)
    await site.start()
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[PeerClient]:
    peer_client = PeerClient()
    try:
        yield peer_client
    finally:
        await peer_client.close()


async def test_sends_the_token_and_content_type_and_returns_the_reply(
    server: Server, client: PeerClient
) -> None:
    assert await client.send(peer(server.url), b"\x0cprepare", timeout_seconds=5) == FULFILL
    [(headers, body)] = server.requests
    assert headers["Authorization"] == "Bearer token-to-bob"
    assert headers["Content-Type"] == "application/octet-stream"
    assert body == b"\x0cprepare"


async def test_keep_alive_reuses_one_connection(server: Server, client: PeerClient) -> None:
    ports: set[int] = set()

    async def note(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        ports.add(request.transport.get_extra_info("peername")[1])
        return await server._fulfill(request)

    server.respond = note
    for _ in range(5):
        await client.send(peer(server.url), b"x", timeout_seconds=5)
    assert len(ports) == 1


async def test_a_peer_reject_is_returned_as_is(server: Server, client: PeerClient) -> None:
    theirs = Reject(code="F99", triggered_by="test.bob", message="no")

    async def reject(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=encode_reject(theirs))

    server.respond = reject
    assert await client.send(peer(server.url), b"x", timeout_seconds=5) == theirs


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, IlpErrorCode.T01_PEER_UNREACHABLE),
        (503, IlpErrorCode.T01_PEER_UNREACHABLE),
        (401, IlpErrorCode.T01_PEER_UNREACHABLE),
        (429, IlpErrorCode.T02_PEER_BUSY),
        (404, IlpErrorCode.F02_UNREACHABLE),
    ],
)
async def test_http_errors_become_ilp_errors(
    server: Server,
    client: PeerClient,
    status: int,
    code: IlpErrorCode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text="nope")

    server.respond = fail
    with pytest.raises(IlpError) as raised:
        await client.send(peer(server.url), b"x", timeout_seconds=5)
    assert raised.value.code is code
    assert str(status) not in raised.value.message  # plain words for the sender...
    assert f"failed: HTTP {status}" in caplog.text  # ...the detail for the operator


@pytest.mark.parametrize("body", [b"garbage", b"\x0c\x00", b"", b"\x0d" + b"\xff" * 10])
async def test_unparseable_replies_are_t01(server: Server, client: PeerClient, body: bytes) -> None:
    async def garbage(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body)

    server.respond = garbage
    with pytest.raises(IlpError) as raised:
        await client.send(peer(server.url), b"x", timeout_seconds=5)
    assert raised.value.code is IlpErrorCode.T01_PEER_UNREACHABLE
    assert raised.value.message == "invalid reply from the next hop"


async def test_an_oversized_chunked_reply_is_refused(server: Server, client: PeerClient) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(MAX_REPLY_BYTES // 4096 + 2):
            await response.write(b"\x00" * 4096)
        await response.write_eof()
        return response

    server.respond = huge
    with pytest.raises(IlpError) as raised:
        await client.send(peer(server.url), b"x", timeout_seconds=5)
    assert raised.value.code is IlpErrorCode.T01_PEER_UNREACHABLE


async def test_no_answer_in_time_is_r00_and_the_connection_is_dropped(
    server: Server, client: PeerClient
) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(1)
        return await server._fulfill(request)

    server.respond = slow
    started = asyncio.get_running_loop().time()
    with pytest.raises(IlpError) as raised:
        await client.send(peer(server.url), b"x", timeout_seconds=0.2)
    assert raised.value.code is IlpErrorCode.R00_TRANSFER_TIMED_OUT
    assert raised.value.message == "packet expired."
    assert asyncio.get_running_loop().time() - started < 0.6
    server.respond = server._fulfill
    assert await client.send(peer(server.url), b"x", timeout_seconds=5) == FULFILL


async def test_nothing_listening_is_t01(client: PeerClient) -> None:
    with pytest.raises(IlpError) as raised:
        await client.send(peer(f"http://127.0.0.1:{free_port()}/ilp"), b"x", timeout_seconds=5)
    assert raised.value.code is IlpErrorCode.T01_PEER_UNREACHABLE
    assert raised.value.message == "peer unreachable"


async def test_a_stale_keep_alive_connection_is_retried_once(client: PeerClient) -> None:
    """A server that answers one request per connection and drops the connection when a second
    one arrives on it (as a peer does that closed an idle connection just as we reused it)."""
    answered = 0
    dropped = 0

    async def read_request(reader: asyncio.StreamReader) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(
            int(v.split(b":")[1]) for v in lines if v.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)

    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered, dropped
        writers.append(writer)
        await read_request(reader)
        body = encode_fulfill(FULFILL)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        answered += 1
        try:
            await read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        else:
            dropped += 1
        writer.close()

    port = free_port()
    tcp = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        target = peer(f"http://127.0.0.1:{port}/ilp")
        assert await client.send(target, b"x", timeout_seconds=5) == FULFILL
        assert await client.send(target, b"x", timeout_seconds=5) == FULFILL
        assert (answered, dropped) == (2, 1)
    finally:
        await client.close()
        for writer in writers:
            writer.close()
        tcp.close()
        await tcp.wait_closed()


async def test_requests_beyond_the_pool_limit_wait_for_a_free_connection(server: Server) -> None:
    from ilpnode.connector.http_client import Endpoint, HttpClient, RequestTimedOut

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.2)
        return await server._fulfill(request)

    server.respond = slow
    http = HttpClient(max_connections=1)
    endpoint = Endpoint.parse(server.url)
    try:
        both = await asyncio.gather(
            http.post(endpoint, b"", b"a", timeout_seconds=5),
            http.post(endpoint, b"", b"b", timeout_seconds=5),
        )
        assert [status for status, _ in both] == [200, 200]
        first = asyncio.create_task(http.post(endpoint, b"", b"c", timeout_seconds=5))
        await asyncio.sleep(0.05)
        with pytest.raises(RequestTimedOut):
            await http.post(endpoint, b"", b"d", timeout_seconds=0.05)  # no free slot in time
        assert (await first)[0] == 200
        assert (await http.post(endpoint, b"", b"e", timeout_seconds=5))[0] == 200  # slot back
    finally:
        await http.close()


async def test_a_failing_peer_is_a_warning_at_most_every_ten_seconds(
    caplog: pytest.LogCaptureFixture, client: PeerClient
) -> None:
    dead = peer(f"http://127.0.0.1:{free_port()}/ilp")
    caplog.set_level("DEBUG", logger="ilpnode.connector")
    for _ in range(3):
        with pytest.raises(IlpError):
            await client.send(dead, b"x", timeout_seconds=5)
    levels = [r.levelname for r in caplog.records if r.name == "ilpnode.connector"]
    assert levels == ["WARNING", "DEBUG", "DEBUG"]
    assert "cannot connect to 127.0.0.1" in caplog.records[0].getMessage()


async def test_a_declared_length_over_the_limit_is_t01_at_once(
    server: Server, client: PeerClient
) -> None:
    """A next hop that declares 1 TiB (and sends nothing more) is refused on the declaration,
    not after the packet's expiry."""

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-length": str(1 << 40)})
        await response.prepare(request)
        await asyncio.sleep(10)
        return response

    server.respond = huge
    started = asyncio.get_running_loop().time()
    with pytest.raises(IlpError) as raised:
        await client.send(peer(server.url), b"x", timeout_seconds=5)
    assert raised.value.code is IlpErrorCode.T01_PEER_UNREACHABLE
    assert asyncio.get_running_loop().time() - started < 2


def _assert_no_current_exception() -> None:
    assert sys.exc_info() == (None, None, None)
    with pytest.raises(LookupError) as fresh:
        raise LookupError("fresh")
    assert fresh.value.__context__ is None  # raised with nothing current to chain onto


@pytest.mark.parametrize("failure", ["500", "401", "garbage", "1-TiB", "wrong-port", "slow"])
async def test_a_failed_send_leaves_no_current_exception(
    server: Server, client: PeerClient, failure: str
) -> None:
    """Compiled with mypyc, raising from a handler left the handled exception current: every
    later exception chained onto it (tests/unit/test_compiled_handlers.py)."""

    async def respond(request: web.Request) -> web.StreamResponse:
        if failure == "slow":
            await asyncio.sleep(1)
        if failure in ("500", "401"):
            return web.Response(status=int(failure), text="nope")
        if failure == "1-TiB":
            return web.Response(body=b"", headers={"content-length": str(1 << 40)})
        return web.Response(body=b"garbage")

    server.respond = respond
    url = f"http://127.0.0.1:{free_port()}/ilp" if failure == "wrong-port" else server.url
    for _ in range(3):
        with pytest.raises(IlpError) as raised:
            await client.send(peer(url), b"x", timeout_seconds=0.3)
        assert raised.value.__context__ is None
        _assert_no_current_exception()
