"""A small HTTP/1.1 client for ILP-over-HTTP: one POST, one answer, keep-alive pools.

Why not aiohttp or httpx: forwarding a packet is one short POST and one short answer, thousands
of times a second, and a general client spends most of its time on what this path never needs
(cookies, redirects, header objects, streaming bodies, per-request timeouts). Measured on the
connector benchmark, aiohttp took several times the CPU per packet this client takes
(docs/benchmarks.md). It is deliberately narrow:

- HTTP/1.1 over TCP or TLS, `POST` with a fixed set of headers and a `Content-Length` body;
  the answer parsed by `httptools` (the parser uvicorn uses), any framing it allows;
- one request at a time per connection (no pipelining); a pool of idle keep-alive connections
  per endpoint (scheme, host, port), each dropped after `idle_seconds` unused, at most
  `max_connections` per endpoint (beyond it, requests wait for a free connection);
- a connection the server closed while idle is noticed when reused: if it closes before any
  byte of the answer arrived, the request is sent once more on a new connection
  (`StaleConnection`); the caller decides nothing about that;
- every request has a deadline (the packet's expiry): waiting for a free connection,
  connecting and the answer all count against it; when it passes, `RequestTimedOut`, and the
  connection is closed, so a half-read answer can never be mistaken for the next request's.
  The same holds when the caller is cancelled.

Answers larger than `max_body_bytes` are refused (`ResponseTooLarge`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

from ilpnode.deadline_timer import DeadlineTimer

__all__ = [
    "ConnectError",
    "Endpoint",
    "HttpClient",
    "HttpError",
    "InvalidResponse",
    "RequestTimedOut",
    "ResponseTooLarge",
]

_MONOTONIC = time.monotonic


class HttpError(Exception):
    """The request failed at the HTTP or transport level; the message says how."""


class ConnectError(HttpError):
    """No connection could be made (refused, unreachable, DNS, TLS handshake)."""


class InvalidResponse(HttpError):
    """The peer's answer is not valid HTTP/1.1, or the connection broke while it arrived."""


class ResponseTooLarge(HttpError):
    """The answer's body is larger than allowed."""


class RequestTimedOut(HttpError):
    """No answer came before the request's deadline; the connection was closed."""


class StaleConnection(HttpError):
    """The connection closed before any byte of the answer (it was kept alive too long)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: parsed once from a peer's endpoint URL."""

    tls: bool
    host: str
    port: int
    target: bytes  # path and query, as sent in the request line
    host_header: bytes

    def __hash__(self) -> int:
        # Written out (compiled): the one dataclass generates is Python code, and this runs
        # for every request (the key of the endpoint's pool).
        return hash((self.tls, self.host, self.port, self.target, self.host_header))

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Raises ValueError for anything but an absolute http(s) URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        netloc = parts.netloc.rpartition("@")[2]
        return cls(tls, parts.hostname, port, target.encode("ascii"), netloc.encode("idna"))


class _Connection(asyncio.Protocol):
    """One TCP/TLS connection; `request` sends one request and waits for its answer."""

    def __init__(self, max_body_bytes: int, loop: asyncio.AbstractEventLoop) -> None:
        self._max = max_body_bytes
        # Kept: asyncio.get_running_loop() makes a getpid system call each time on Python 3.11.
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._received_any = False
        self._keep_alive = False
        self._refusal: HttpError | None = None
        self.closed = False
        self.idle_since = 0.0
        # One timer for the connection's requests, moved on from one deadline to the next.
        self._timer = DeadlineTimer(loop, self._time_out)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the connection is out of step
            self.close()
            return
        self._received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            # A refusal of our own callbacks is kept on the connection: what httptools chains
            # to its error is whatever exception was current, not necessarily ours.
            refusal = self._refusal
            self._fail(refusal or InvalidResponse(f"invalid HTTP answer: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._timer.cancel()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._received_any:
                waiter.set_exception(InvalidResponse("the connection closed during the answer"))
            else:
                waiter.set_exception(StaleConnection("the connection closed before an answer"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        # Refused on the declared length, at once: waiting for a body we would refuse anyway
        # would hold the packet until its expiry.
        if len(name) == 14 and name.lower() == b"content-length":
            declared = value.strip()
            if declared.isdigit() and int(declared) > self._max:
                self._refuse(ResponseTooLarge(f"answer declares {int(declared)} bytes"))

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max:
            self._refuse(ResponseTooLarge(f"answer larger than {self._max} bytes"))
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result((self._parser.get_status_code(), b"".join(self._chunks)))

    # ours

    def _refuse(self, error: HttpError) -> None:
        """From a parser callback: stop parsing, and fail the request with `error`."""
        self._refusal = error
        raise error

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.close()

    def close(self) -> None:
        self.closed = True
        self._timer.cancel()
        if self._transport is not None:
            self._transport.close()

    def _time_out(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(RequestTimedOut("no answer before the deadline"))

    async def request(self, data: bytes, deadline: float) -> tuple[int, bytes]:
        """Send `data` (a whole request) and wait for the answer until `deadline` (loop time):
        (status, body)."""
        transport = self._transport
        if self.closed or transport is None or transport.is_closing():
            raise StaleConnection("the connection is closed")
        self._chunks = []
        self._size = 0
        self._received_any = False
        self._keep_alive = False
        loop = self._loop
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        self._waiter = waiter
        transport.write(data)
        self._timer.set(deadline)  # cheaper than an asyncio.timeout() scope around the await
        try:
            return await waiter
        except BaseException:
            self.close()  # timed out, cancelled or failed mid-answer: never reuse
            raise
        finally:
            self._timer.clear()
            self._waiter = None
            if not self._keep_alive:
                self.close()


class _Pool:
    """Idle connections to one endpoint (newest last), and how many requests are in flight.

    The slot count is a plain counter with a queue of waiters (an asyncio.Semaphore cost a
    visible share of the packet path); a released slot goes straight to the oldest waiter.
    """

    def __init__(self, endpoint: Endpoint, *, max_connections: int) -> None:
        self.endpoint = endpoint
        self.idle: deque[_Connection] = deque()
        self.max = max_connections
        self.active = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    def try_acquire(self) -> bool:
        """Take a free slot at once, if there is one (nearly always: no coroutine then)."""
        if self.active < self.max:
            self.active += 1
            return True
        return False

    async def acquire(self, deadline: float) -> None:
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        slot: asyncio.Future[None] = loop.create_future()
        self.waiting.append(slot)
        try:
            async with asyncio.timeout_at(deadline):
                await slot
        except BaseException:
            if slot.done() and not slot.cancelled():
                self.release()  # it was handed to us just as we gave up: pass it on
            else:
                slot.cancel()
            raise

    def release(self) -> None:
        while self.waiting:
            slot = self.waiting.popleft()
            if not slot.done():
                slot.set_result(None)  # the slot moves to the waiter: `active` is unchanged
                return
        self.active -= 1


class HttpClient:
    """POSTs to endpoints over pooled keep-alive connections (see the module docstring)."""

    def __init__(
        self,
        *,
        max_connections: int = 256,
        idle_seconds: float = 4.0,
        max_body_bytes: int = 64 * 1024,
        connect_timeout_seconds: float = 10.0,
    ) -> None:
        self._max_connections = max_connections
        self._idle_seconds = idle_seconds
        self._max_body_bytes = max_body_bytes
        self._connect_timeout = connect_timeout_seconds
        self._pools: dict[Endpoint, _Pool] = {}
        self._tls: ssl.SSLContext | None = None
        self._closed = False
        # The loop of the first request, kept (its connections belong to it anyway):
        # asyncio.get_running_loop() makes a getpid system call each time on Python 3.11.
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(
        self, endpoint: Endpoint, head: bytes, body: bytes, *, timeout_seconds: float
    ) -> tuple[int, bytes]:
        """POST `body` with the header lines `head` (each ending in CRLF, without Host and
        Content-Length, which are added), for at most `timeout_seconds` in all (waiting for a
        free connection, connecting, sending, reading). Returns (status, body).

        Raises:
            ConnectError, InvalidResponse, ResponseTooLarge, RequestTimedOut (all HttpError).
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        pool = self._pools.get(endpoint)
        if pool is None:
            pool = self._pools[endpoint] = _Pool(endpoint, max_connections=self._max_connections)
        data = b"".join(
            (
                b"POST ",
                endpoint.target,
                b" HTTP/1.1\r\nHost: ",
                endpoint.host_header,
                b"\r\n",
                head,
                b"Content-Length: %d\r\n\r\n" % len(body),
                body,
            )
        )
        # Failures are raised after their handlers, never from inside one (compiled code: see
        # `peer_client`). The pool slot is released whatever happens.
        if not pool.try_acquire():
            try:
                await pool.acquire(deadline)
            except TimeoutError:
                no_slot = True
            else:
                no_slot = False
            if no_slot:
                raise RequestTimedOut("no free connection before the deadline")
        try:
            return await self._send(pool, data, deadline, loop)
        finally:
            pool.release()

    async def _send(
        self, pool: _Pool, data: bytes, deadline: float, loop: asyncio.AbstractEventLoop
    ) -> tuple[int, bytes]:
        connection = self._idle_connection(pool)
        if connection is not None:
            try:
                answer = await connection.request(data, deadline)
            except StaleConnection:
                pass  # closed by the peer while idle: once more on a new connection
            else:
                self._release(pool, connection)
                return answer
        connection = await self._connect(pool.endpoint, deadline, loop)
        try:
            answer = await connection.request(data, deadline)
        except StaleConnection as error:
            stale = str(error)
        else:
            self._release(pool, connection)
            return answer
        raise InvalidResponse(stale)

    def _idle_connection(self, pool: _Pool) -> _Connection | None:
        oldest_usable = _MONOTONIC() - self._idle_seconds
        idle = pool.idle
        while idle:
            connection = idle.pop()
            if not connection.closed and connection.idle_since > oldest_usable:
                return connection
            connection.close()
        return None

    def _release(self, pool: _Pool, connection: _Connection) -> None:
        if connection.closed or self._closed:
            connection.close()
            return
        connection.idle_since = _MONOTONIC()
        pool.idle.append(connection)

    async def _connect(
        self, endpoint: Endpoint, deadline: float, loop: asyncio.AbstractEventLoop
    ) -> _Connection:
        tls = self._tls_context() if endpoint.tls else None
        give_up = min(deadline, loop.time() + self._connect_timeout)
        failure: str | None = None  # words, not the exception: its traceback holds this frame
        timed_out = False
        try:
            async with asyncio.timeout_at(give_up):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self._max_body_bytes, loop),
                    endpoint.host,
                    endpoint.port,
                    ssl=tls,
                    server_hostname=endpoint.host if tls else None,
                )
        except TimeoutError:  # raised below (see `post`)
            timed_out = True
        except (OSError, ssl.SSLError) as error:
            failure = str(error)
        where = f"{endpoint.host}:{endpoint.port}"
        if failure is not None:
            raise ConnectError(f"cannot connect to {where}: {failure}")
        if not timed_out:
            return protocol
        if give_up == deadline:
            raise RequestTimedOut("no connection before the deadline")
        raise ConnectError(f"connecting to {where} timed out")

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def close(self) -> None:
        """Close every idle connection, and each busy one once its answer is in."""
        self._closed = True
        self._loop = None
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.pop().close()
        self._pools.clear()
