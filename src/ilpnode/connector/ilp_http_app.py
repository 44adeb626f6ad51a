"""ILP over HTTP (RFC 0035, synchronous mode), the receiving side: the rules the connector port
answers by, as an app (no server: `ilp_server.py` serves it).

A peer POSTs an OER Prepare with `Authorization: Bearer <token>`; the Fulfill or Reject comes back
as the body of the 200 response. Anything that is not a well-formed, authenticated ILP request is
refused with an HTTP status and a plain-text reason, and touches no balance:

- 405 for a method other than POST, 401 for a missing or unknown token,
- 415 for a content type real peers do not send, 413 for a body over `MAX_BODY_BYTES`,
- 400 for a body that is not an ILP Prepare (the codec's error message says why).

`IlpHttpApp` holds these rules without any transport: `precheck` (method and headers) and
`answer` (the body). `ilp_server.IlpServer` serves them on the connector port (the hot path);
`IlpHttpApp` is also an ASGI app, for in-process tests and any ASGI server. It is given the
authenticator and the handler directly (the node's come from `connector.port`); `handle_with`
replaces the handler, so readiness costs the packet path nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Final, Generic, TypeVar, final

from ilpnode.ilp import IlpCodecError, Prepare, decode_prepare

__all__ = ["MAX_BODY_BYTES", "Answer", "Authenticate", "HandlePrepare", "IlpHttpApp"]

# The largest valid Prepare is ~32.8 KB (32767 bytes of data plus a 1023-byte address and
# headers); anything much larger is not an ILP packet, so stop reading early.
MAX_BODY_BYTES: Final = 64 * 1024
ACCEPTED_CONTENT_TYPES: Final = frozenset(
    {b"application/octet-stream", b"application/ilp+octet-stream", b""}
)
OCTET_STREAM: Final = b"application/octet-stream"
TEXT: Final = b"text/plain; charset=utf-8"
_REASONS: Final = {
    200: b"OK",
    400: b"Bad Request",
    401: b"Unauthorized",
    405: b"Method Not Allowed",
    413: b"Content Too Large",
    415: b"Unsupported Media Type",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
}
_OK_HEAD: Final = b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Peer = TypeVar("Peer")  # whatever the authenticator returns (opaque here); the handler takes it
# Maps a bearer token to the peer it belongs to, or None if unknown.
Authenticate = Callable[[str], Peer | None]
# Forwards the Prepare for that peer; returns the encoded Fulfill or Reject.
HandlePrepare = Callable[[Peer, Prepare, bytes], Awaitable[bytes]]


@final
class Answer:
    """An HTTP answer: status, content type, body and any other header lines. Immutable."""

    # A plain class, not a frozen dataclass: compiled, its fields are then set as C struct
    # members, where the dataclass needed one `object.__setattr__` call per field and request.
    __slots__ = ("body", "content_type", "extra", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes = TEXT,
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.status: Final = status
        self.body: Final = body
        self.content_type: Final = content_type
        self.extra: Final = extra

    def encode(self, *, keep_alive: bool, head_only: bool = False) -> bytes:
        """The answer as HTTP/1.1 bytes: status line, headers (`connection: close` unless
        `keep_alive`), then the body unless `head_only` (the answer to a HEAD request)."""
        if self.status == 200 and keep_alive and not head_only and not self.extra:
            # A packet's answer, nearly every time: one format from a head made once.
            return _OK_HEAD % (self.content_type, len(self.body)) + self.body
        head = [
            b"HTTP/1.1 %d %s\r\n" % (self.status, _REASONS.get(self.status, b"")),
            b"content-type: %s\r\ncontent-length: %d\r\n" % (self.content_type, len(self.body)),
        ]
        head.extend(b"%s: %s\r\n" % pair for pair in self.extra)
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        if not head_only:
            head.append(self.body)
        return b"".join(head)

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.body!r}, {self.content_type!r}, {self.extra!r})"


def _text(status: int, reason: str, *extra: tuple[bytes, bytes]) -> Answer:
    return Answer(status, (reason + "\n").encode(), TEXT, extra)


METHOD_NOT_ALLOWED: Final = _text(405, "ILP-over-HTTP takes POST", (b"allow", b"POST"))
TOKEN_REQUIRED: Final = _text(401, "Bearer token required", (b"www-authenticate", b"Bearer"))
UNKNOWN_TOKEN: Final = _text(401, "unknown token", (b"www-authenticate", b"Bearer"))
WRONG_CONTENT_TYPE: Final = _text(415, "content type must be application/octet-stream")
BODY_TOO_LARGE: Final = _text(413, f"body larger than {MAX_BODY_BYTES} bytes")


class IlpHttpApp(Generic[Peer]):
    def __init__(self, *, authenticate: Authenticate[Peer], handle: HandlePrepare[Peer]) -> None:
        self._authenticate = authenticate
        self._handle = handle
        self.refusals: Counter[int] = Counter()
        """HTTP status -> requests refused with it since start (wrong tokens show up here)."""

    def handle_with(self, handle: HandlePrepare[Peer]) -> None:
        """Answer authenticated Prepares with `handle` from now on (the node's readiness)."""
        self._handle = handle

    def precheck(self, method: bytes, headers: Mapping[bytes, bytes]) -> Peer | Answer:
        """The authenticated peer, or the refusal (405, 401, 415). `headers` keys lowercase."""
        if method != b"POST":
            return self._refused(METHOD_NOT_ALLOWED)
        authorization = headers.get(b"authorization")
        if authorization is None:
            return self._refused(TOKEN_REQUIRED)
        peer = self._peer_for(authorization)
        if peer is None:
            return self._refused(UNKNOWN_TOKEN)
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            return self._refused(WRONG_CONTENT_TYPE)
        return peer

    async def answer(self, peer: Peer, body: bytes) -> Answer:
        """The answer to an authenticated peer's body: 200 with the reply, or 400."""
        try:
            prepare = decode_prepare(body)
        except IlpCodecError as error:  # answered after the handler (compiled code, see Balance)
            invalid = str(error)
        else:
            return Answer(200, await self._handle(peer, prepare, body), OCTET_STREAM)
        return self._refused(_text(400, f"invalid ILP Prepare: {invalid}"))

    def _refused(self, answer: Answer) -> Answer:
        self.refusals[answer.status] += 1
        return answer

    def _peer_for(self, authorization: bytes) -> Peer | None:
        # Only HTTP's own whitespace (space, tab) is trimmed: str.strip() would also take
        # latin-1's 0x85 and 0xA0, and a token followed by one of them would pass as the token.
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip(" \t")
        if scheme.lower() != "bearer" or not token:
            return None
        return self._authenticate(token)

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        checked = self.precheck(scope["method"].encode("ascii"), headers)
        if isinstance(checked, Answer):
            await _send(send, checked)
            return
        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await _send(send, self._refused(BODY_TOO_LARGE))
            return
        await _send(send, await self.answer(checked, body))


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, answer: Answer) -> None:
    headers = [(b"content-type", answer.content_type), *answer.extra]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
