"""The connector port's HTTP/1.1 server: `IlpHttpApp` (`ilp_http_app.py`) over asyncio, no ASGI.

Theory of operation
===================

Each TCP connection is one `_Connection` (an `asyncio.Protocol`) with an `httptools` request
parser (the parser uvicorn uses). Bytes are fed to the parser as they arrive; a complete request
(method, headers, body) is queued, and the connection answers its requests one at a time, in
order (`IlpHttpApp.precheck`, then `answer`), in a task of its own: started with its first
request, waiting between requests, ended when the connection closes. So a pipelining client
gets its answers in order, and a slow packet never blocks other connections.

Limits, each answered with a status and then the connection closed (after the answers to any
requests before it): headers over `MAX_HEADER_BYTES` (431), a body over `MAX_BODY_BYTES` (413),
bytes that are not HTTP/1.x (400). A request to switch protocols (`Upgrade:`) is answered as a
plain HTTP/1.1 request, and the connection then closed.
A request must arrive whole within `request_timeout_seconds` of its first byte, and an idle
keep-alive connection is closed after `keep_alive_seconds`, so a slow or silent client cannot
hold a connection forever (each connection keeps its deadline as a number; the server's
loop closes those past it when it wakes, once a second or a quarter of the shortest timeout if
that is sooner: no timer is made or cancelled per request, and an idle node is not woken
more often than that). `Expect: 100-continue` gets its interim answer. A client that goes
away does not cancel its packet: the packet runs to its end (reservations are posted or voided
as usual) and the answer is dropped.

Connections are capped, so that idle sockets cannot take every file descriptor of the process
(and with them the admin server, the database and the next hops): at most `max_connections` at
a time, and at most `max_connections_per_client` from one source address. A connection over
either cap is closed as soon as it is accepted, before a byte is read; the ones already open are
untouched. (Each one also has its request deadline: a connection that says nothing is closed
after `request_timeout_seconds`.)

Shutdown (`should_exit`, set by the node's signal handler, as for uvicorn's servers): stop
accepting, close idle connections, let busy ones finish their current request (answered with
`Connection: close`) for up to `grace_seconds`, then close whatever is left.

Why not uvicorn here: on the connector benchmark, the ASGI layer (message dicts, receive/send
coroutines, its per-request cycle objects) was about a third of the event loop's time per packet.
The admin server stays on uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from dataclasses import dataclass
from typing import Any, Final, cast

import httptools

from ilpnode.connector.ilp_http_app import (
    BODY_TOO_LARGE,
    MAX_BODY_BYTES,
    Answer,
    IlpHttpApp,
)
from ilpnode.exit_request import ExitRequest

__all__ = ["MAX_HEADER_BYTES", "IlpServer"]

logger = logging.getLogger("ilpnode.connector")

MAX_HEADER_BYTES: Final = 16 * 1024  # request line and headers; real peers send a few hundred
PIPELINE_DEPTH_MAX: Final = 16  # queued requests per connection before reading pauses
_SWEEP_SECONDS_MAX: Final = 1.0  # the longest the server sleeps between deadline checks
_BAD_REQUEST: Final = Answer(400, b"invalid HTTP request\n")
_HEADERS_TOO_LARGE: Final = Answer(431, b"request headers too large\n")
_INTERNAL: Final = Answer(500, b"internal error\n")
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_NOTHING: Final = Answer(0, b"")  # "close after the queue, with no answer of our own"


@dataclass(slots=True, init=False)
class _Request:
    method: bytes
    headers: dict[bytes, bytes]
    body: bytes
    keep_alive: bool

    def __init__(
        self, method: bytes, headers: dict[bytes, bytes], body: bytes, keep_alive: bool
    ) -> None:
        # Spelled out (one per request): compiled, a dataclass's own __init__ stays Python code.
        self.method = method
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive


class _Refuse(Exception):
    """Raised from a parser callback (after keeping its answer in `_Connection._refusal`):
    stop parsing; the answer is sent, then the connection closed."""


class IlpServer:
    """Serves an `IlpHttpApp` on listening sockets until `should_exit` is set."""

    def __init__(
        self,
        app: IlpHttpApp[Any],
        *,
        keep_alive_seconds: float,
        grace_seconds: float,
        request_timeout_seconds: float = 10.0,
        max_connections: int = 4096,
        max_connections_per_client: int = 512,
    ) -> None:
        self.app = app
        self.max_connections = max_connections
        self.max_connections_per_client = max_connections_per_client
        self.per_client: dict[str, int] = {}  # source address -> open connections
        self.turned_away = 0
        """Connections closed at accept because a cap was reached."""
        self.keep_alive_seconds = keep_alive_seconds
        self.request_timeout_seconds = request_timeout_seconds
        self.grace_seconds = grace_seconds
        self._exit = ExitRequest()
        self.force_exit = False
        self.started = False
        self.stopping = False
        self.connections: set[_Connection] = set()

    @property
    def should_exit(self) -> bool:
        """Set (by the node's signal handler) to stop serving: `serve` wakes at once."""
        return self._exit.requested

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._exit.set(value)

    async def serve(self, sockets: list[socket.socket]) -> None:  # uvicorn's signature
        """Accept on `sockets` until `should_exit`, then shut down as the module says."""
        loop = asyncio.get_running_loop()
        servers = []
        for sock in sockets:  # a loop, not a comprehension: mypyc cannot compile an await in one
            servers.append(await loop.create_server(lambda: _Connection(self), sock=sock))
        self.started = True
        # The shutdown follows the loop rather than a `finally` (compiled code awaits in no
        # handler: see `peer_client`); a cancellation of this task is re-raised after it.
        ended: BaseException | None = None
        sweep_seconds = min(
            _SWEEP_SECONDS_MAX, self.request_timeout_seconds / 4, self.keep_alive_seconds / 4
        )
        try:
            while not self._exit.requested:
                await self._exit.sleep(sweep_seconds)
                now = loop.time()
                for connection in list(self.connections):
                    connection.check_deadline(now)
        except BaseException as error:
            ended = error
        await self._shut_down(servers, loop)
        if ended is not None:
            try:
                raise ended
            finally:
                ended = None  # its traceback holds this frame: no reference cycle

    async def _shut_down(
        self, servers: list[asyncio.Server], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.stopping = True
        for server in servers:
            server.close()
        for connection in list(self.connections):
            connection.close_when_idle()
        deadline = loop.time() + self.grace_seconds
        while self.connections and not self.force_exit and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.abort()


class _Connection(asyncio.Protocol):
    def __init__(self, server: IlpServer) -> None:
        self._server = server
        self._app = server.app
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._queue: deque[_Request] = deque()
        self._busy = False
        self._closed = False
        self._deadline: float | None = None  # loop time; checked by `IlpServer.serve`
        self._reading = True
        self._task: asyncio.Task[None] | None = None  # the worker, once there was a request
        self._idle: asyncio.Future[None] | None = None  # what the worker waits on between them
        self._last: Answer | None = None  # once set: answer what is queued, then this, then close
        self._refusal: Answer | None = None  # set by a parser callback that refuses the request
        self._client = ""  # the source address, counted against its cap
        self._reset_message()

    def _reset_message(self) -> None:
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._in_message = False

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        server = self._server
        peername = transport.get_extra_info("peername")
        client = str(peername[0]) if isinstance(peername, tuple) and peername else ""
        count = server.per_client.get(client, 0)
        if (
            len(server.connections) >= server.max_connections
            or count >= server.max_connections_per_client
        ):
            server.turned_away += 1
            self._closed = True
            self._transport.abort()  # no answer: nothing was read, nothing is owed
            return
        self._client = client
        server.per_client[client] = count + 1
        server.connections.add(self)
        self._arm(server.request_timeout_seconds)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            # Our callbacks keep their refusal on the connection: the exception httptools
            # chains to its error is whatever was current, not necessarily ours.
            self._refuse(self._refusal or _BAD_REQUEST)
        except httptools.HttpParserUpgrade:
            # A request asking to switch protocols (h2c, websocket): it is answered as the
            # HTTP/1.1 request it also is (e.g. 405 for a GET); no switch, and nothing after it.
            self._finish_after_queue(None)
        except httptools.HttpParserError:
            self._refuse(_BAD_REQUEST)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._disarm()
        self._wake_worker()
        server = self._server
        if self in server.connections:
            server.connections.discard(self)
            left = server.per_client[self._client] - 1
            if left:
                server.per_client[self._client] = left
            else:
                del server.per_client[self._client]

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._reset_message()
        self._in_message = True
        self._arm(self._server.request_timeout_seconds)

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        length = self._headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            self._refuse_in_callback(BODY_TOO_LARGE)
        if self._headers.get(b"expect", b"").lower() == b"100-continue" and self._transport:
            self._transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > MAX_BODY_BYTES:
            self._refuse_in_callback(BODY_TOO_LARGE)
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        request = _Request(
            self._parser.get_method(),
            self._headers,
            b"".join(self._body),
            self._parser.should_keep_alive(),
        )
        self._queue.append(request)
        if len(self._queue) >= PIPELINE_DEPTH_MAX and self._transport is not None:
            self._transport.pause_reading()
            self._reading = False
        if not self._busy:
            self._next()

    # -- answering --------------------------------------------------------------------------

    def _next(self) -> None:
        if not self._queue:
            self._busy = False
            server = self._server
            # Half a request already in: it has its own deadline; else the keep-alive one.
            self._arm(
                server.request_timeout_seconds if self._in_message else server.keep_alive_seconds
            )
            return
        self._busy = True
        self._disarm()
        if not self._reading and self._last is None and self._transport is not None:
            self._transport.resume_reading()
            self._reading = True
        if self._task is None:
            # Kept: the loop holds tasks only weakly, and this one must run to its end.
            self._task = self._loop.create_task(self._work())
        else:
            self._wake_worker()  # at the end of an answer it is not waiting: it goes on itself

    async def _work(self) -> None:
        # One task per connection answers its requests in turn and waits between them: a task
        # per request was a Task object, its registration and its weak references, each time.
        while True:
            if self._busy and self._queue:
                if not await self._answer(self._queue.popleft()):
                    return  # the connection is closed after this answer
            elif self._closed:
                return
            else:
                idle = self._idle = self._loop.create_future()
                await idle  # `_next` has a request, or the connection closed

    def _wake_worker(self) -> None:
        # Waiting between requests: a request is queued, or the connection closed (it ends).
        idle = self._idle
        if idle is not None:
            self._idle = None
            idle.set_result(None)

    async def _answer(self, request: _Request) -> bool:
        """Answer `request`; True if the connection goes on to the next one (`_next`)."""
        try:
            checked = self._app.precheck(request.method, request.headers)
            answer = (
                checked
                if isinstance(checked, Answer)
                else await self._app.answer(checked, request.body)
            )
        except Exception:
            logger.exception("unexpected error answering an ILP-over-HTTP request")
            answer = _INTERNAL
        # The answer to HEAD has the same head and no body (RFC 9110 §9.3.2, RFC 9112 §6.3):
        # a body would be read as the start of the next answer on this connection.
        head_only = request.method == b"HEAD"
        last = self._last
        if last is not None and not self._queue:  # the end of a refused connection
            if last.status:
                self._write(answer, keep_alive=True, head_only=head_only)
                self._write(last, keep_alive=False)
            else:
                self._write(answer, keep_alive=False, head_only=head_only)
            self._close()
            return False
        keep_alive = request.keep_alive and not self._server.stopping
        self._write(answer, keep_alive=keep_alive, head_only=head_only)
        if not keep_alive:
            self._close()
            return False
        self._next()
        return True

    def _write(self, answer: Answer, *, keep_alive: bool, head_only: bool = False) -> None:
        transport = self._transport
        if self._closed or transport is None:
            return  # the client went away; the packet ran to its end anyway
        transport.write(answer.encode(keep_alive=keep_alive, head_only=head_only))

    def _refuse(self, answer: Answer) -> None:
        """Answer `answer` and close; requests already whole are answered first, in order."""
        self._app.refusals[answer.status] += 1
        self._finish_after_queue(answer)

    def _finish_after_queue(self, last: Answer | None) -> None:
        if self._transport is not None and self._reading:
            self._transport.pause_reading()  # nothing after this is read
            self._reading = False
        self._last = last or _NOTHING
        if not self._busy and not self._queue:
            if last is not None:
                self._write(last, keep_alive=False)
            self._close()

    # -- closing and timers -----------------------------------------------------------------

    def close_when_idle(self) -> None:
        if not self._busy and not self._queue:
            self._close()

    def _close(self) -> None:
        self._disarm()
        if self._transport is not None and not self._closed:
            self._closed = True
            self._transport.close()
        self._wake_worker()

    def abort(self) -> None:
        self._disarm()
        self._closed = True
        if self._transport is not None:
            self._transport.abort()
        self._wake_worker()

    def _arm(self, seconds: float) -> None:
        self._deadline = self._loop.time() + seconds

    def _disarm(self) -> None:
        self._deadline = None

    def check_deadline(self, now: float) -> None:
        """Close the connection if its deadline (request or keep-alive) passed by `now`."""
        deadline = self._deadline
        if deadline is not None and now >= deadline:
            self._deadline = None
            if not self._busy:
                self._close()

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse_in_callback(_HEADERS_TOO_LARGE)

    def _refuse_in_callback(self, answer: Answer) -> None:
        self._refusal = answer
        raise _Refuse()
