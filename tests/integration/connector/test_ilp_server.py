"""The connector port's own HTTP/1.1 server, over real sockets: framing, limits, timeouts,
pipelining, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ilpnode.connector.ilp_http_app import MAX_BODY_BYTES, IlpHttpApp
from ilpnode.connector.ilp_server import MAX_HEADER_BYTES, IlpServer
from ilpnode.ilp import Fulfill, Prepare, encode_fulfill, encode_prepare

TOKEN = "token-of-peer-a"
BODY = encode_prepare(
    Prepare(
        amount=1,
        expires_at=datetime.now(UTC) + timedelta(seconds=30),
        execution_condition=bytes(32),
        destination="test.b.x",
    )
)
REPLY = encode_fulfill(Fulfill(fulfillment=bytes(32)))


@dataclass
class Handler:
    delay: float = 0.0
    calls: int = 0
    finished: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, _peer: object, _prepare: Prepare, _raw: bytes) -> bytes:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        self.finished += 1
        return REPLY


@dataclass
class Running:
    server: IlpServer
    handler: Handler
    port: int
    task: asyncio.Task[None]

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)


@contextlib.asynccontextmanager
async def serving(**options: float) -> AsyncIterator[Running]:
    """An `IlpServer` with `options` on a loopback port, until the block ends."""
    handler = Handler()
    app = IlpHttpApp(authenticate={TOKEN: "peer-a"}.get, handle=handler)
    server = IlpServer(app, **options)  # type: ignore[arg-type]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Running(server, handler, sock.getsockname()[1], task)
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    async with serving(keep_alive_seconds=0.5, grace_seconds=2, request_timeout_seconds=0.5) as r:
        yield r


def request(body: bytes = BODY, *, token: str = TOKEN, extra: bytes = b"") -> bytes:
    return (
        b"POST /ilp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n%s\r\n%s"
        % (token.encode(), len(body), extra, body)
    )


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers, body


async def closed(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 5) == b""


async def test_keep_alive_and_pipelining_answer_in_order(running: Running) -> None:
    reader, writer = await running.connect()
    writer.write(request() + request(token="wrong") + request())
    answers = [await read_answer(reader) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 401, 200]
    assert answers[0][2] == REPLY
    assert answers[0][1][b"content-type"] == b"application/octet-stream"
    writer.write(request())  # the same connection is still usable
    assert (await read_answer(reader))[0] == 200
    assert running.handler.calls == 3
    writer.close()


async def test_chunked_body_and_expect_continue(running: Running) -> None:
    reader, writer = await running.connect()
    half = len(BODY) // 2
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    )
    assert (
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
    )
    writer.write(
        b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, BODY[:half], len(BODY) - half, BODY[half:])
    )
    status, _, body = await read_answer(reader)
    assert (status, body) == (200, REPLY)
    writer.close()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"\x16\x03\x01 not http at all\r\n\r\n", 400),
        (request(extra=b"X-Big: " + b"a" * MAX_HEADER_BYTES + b"\r\n"), 431),
        (request(b"x" * (MAX_BODY_BYTES + 1)), 413),
    ],
)
async def test_bad_requests_get_a_status(running: Running, data: bytes, status: int) -> None:
    reader, writer = await running.connect()
    writer.write(data)
    answer = await read_answer(reader)
    assert answer[0] == status
    if status != 405:
        assert answer[1][b"connection"] == b"close"
        assert await closed(reader)
    assert running.handler.calls == 0
    writer.close()


async def test_idle_and_slow_connections_are_closed(running: Running) -> None:
    idle_reader, idle_writer = await running.connect()
    slow_reader, slow_writer = await running.connect()
    slow_writer.write(request()[:30])  # never finishes its request
    assert await closed(idle_reader)
    assert await closed(slow_reader)
    idle_writer.close()
    slow_writer.close()


@pytest.mark.parametrize("pipelined", [1, 2])
async def test_a_client_that_leaves_does_not_cancel_its_packets(
    running: Running, pipelined: int
) -> None:
    """Neither the packet under way nor one queued behind it on the connection."""
    running.handler.delay = 0.2 / pipelined
    _, writer = await running.connect()
    writer.write(request() * pipelined)
    await asyncio.sleep(0.05)
    writer.close()
    await asyncio.sleep(0.5)
    assert (running.handler.calls, running.handler.finished) == (pipelined, pipelined)


async def test_a_request_after_connection_close_is_refused_and_never_handled(
    running: Running,
) -> None:
    reader, writer = await running.connect()
    writer.write(request(extra=b"Connection: close\r\n") + request())
    first = await read_answer(reader)
    assert (first[0], first[2]) == (200, REPLY)
    second = await read_answer(reader)
    assert (second[0], second[1][b"connection"]) == (400, b"close")
    assert await closed(reader)
    await asyncio.sleep(0.1)
    assert running.handler.calls == 1
    writer.close()


async def test_a_connection_answers_after_waiting_and_leaves_no_task_behind(
    running: Running,
) -> None:
    """Each connection answers its requests in one task, which waits between them and ends with
    the connection."""
    before = len(asyncio.all_tasks())
    reader, writer = await running.connect()
    for _ in range(3):
        writer.write(request())
        assert (await read_answer(reader))[0] == 200
        await asyncio.sleep(0.1)  # idle, within the keep-alive of 0.5 s
    assert running.handler.calls == 3
    writer.close()
    while running.server.connections:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) == before


async def test_shutdown_finishes_the_request_in_flight(running: Running) -> None:
    running.handler.delay = 0.3
    busy_reader, busy_writer = await running.connect()
    idle_reader, idle_writer = await running.connect()
    busy_writer.write(request())
    await asyncio.sleep(0.05)
    running.server.should_exit = True
    status, headers, body = await read_answer(busy_reader)
    assert (status, body, headers[b"connection"]) == (200, REPLY, b"close")
    assert await closed(idle_reader)
    await asyncio.wait_for(running.task, 5)
    with pytest.raises(ConnectionRefusedError):
        await running.connect()
    busy_writer.close()
    idle_writer.close()


async def test_garbage_after_a_request_still_gets_that_request_answered(running: Running) -> None:
    running.handler.delay = 0.1
    reader, writer = await running.connect()
    writer.write(request() + b"\x16\x03\x01 not http\r\n\r\n")
    first = await read_answer(reader)
    assert (first[0], first[2]) == (200, REPLY)
    second = await read_answer(reader)
    assert (second[0], second[1][b"connection"]) == (400, b"close")
    assert await closed(reader)
    writer.close()


async def test_an_upgrade_request_is_answered_as_http_1_1(running: Running) -> None:
    reader, writer = await running.connect()
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
    )
    status, headers, _ = await read_answer(reader)
    assert (status, headers[b"connection"]) == (405, b"close")
    assert await closed(reader)
    writer.close()


async def test_head_gets_the_head_of_the_answer_and_no_body(running: Running) -> None:
    """RFC 9112 §6.3: an answer to HEAD ends at its head, whatever Content-Length says; a body
    would be read as the start of the next answer on the connection."""
    reader, writer = await running.connect()
    writer.write(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + request())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 405 ")
    assert int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0]) > 0
    status, _, body = await read_answer(reader)  # the next answer starts right after the head
    assert (status, body) == (200, REPLY)
    writer.close()


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open_idle(port: int, count: int, source: str) -> list[Connection]:
    opened = [
        await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        for _ in range(count)
    ]
    await asyncio.sleep(0.2)  # the server has accepted them (or closed them)
    return opened


async def _was_closed(connection: Connection) -> bool:
    try:
        return await asyncio.wait_for(connection[0].read(1), 0.5) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
async def capped() -> AsyncIterator[Running]:
    async with serving(
        keep_alive_seconds=30,
        grace_seconds=1,
        request_timeout_seconds=30,
        max_connections=8,
        max_connections_per_client=5,
    ) as running:
        yield running


async def test_idle_connections_are_capped_per_client_and_in_all(capped: Running) -> None:
    """Idle sockets from one address cannot take the port: beyond its cap, that address's new
    connections are closed at accept; others still get in, up to the total cap; the first ones
    still work."""
    hostile = await _open_idle(capped.port, 7, "127.0.0.2")
    assert [await _was_closed(connection) for connection in hostile] == [False] * 5 + [True] * 2
    assert capped.server.per_client == {"127.0.0.2": 5}
    # Another address is served while the first holds its five.
    reader, writer = await capped.connect()
    writer.write(request())
    assert (await read_answer(reader))[0] == 200
    others = await _open_idle(capped.port, 3, "127.0.0.3")  # 5 + 1 + 2 = the total cap of 8
    assert [await _was_closed(connection) for connection in others] == [False, False, True]
    assert capped.server.turned_away == 3
    # Closed connections give their places back.
    for _, hostile_writer in hostile:
        hostile_writer.close()
    await asyncio.sleep(0.2)
    assert "127.0.0.2" not in capped.server.per_client
    [(late_reader, late_writer)] = await _open_idle(capped.port, 1, "127.0.0.2")
    late_writer.write(request())
    assert (await read_answer(late_reader))[0] == 200
    for _, other_writer in [*others, (late_reader, late_writer)]:
        other_writer.close()
    writer.close()


async def test_setting_should_exit_wakes_the_server_at_once() -> None:
    # Deadlines are checked once a second here (a quarter of 60 s is more than the cap).
    async with serving(keep_alive_seconds=60, grace_seconds=2, request_timeout_seconds=60) as r:
        await asyncio.sleep(0.05)
        r.server.should_exit = True
        await asyncio.wait_for(asyncio.shield(r.task), 0.8)
