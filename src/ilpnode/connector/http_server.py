"""ILP-over-HTTP server (RFC 0035, synchronous mode): the connector port's raw ASGI app.

A peer POSTs an OER Prepare with `Authorization: Bearer <token>`; the Fulfill or Reject comes back
as the body of the 200 response. Anything that is not a well-formed, authenticated ILP request is
refused with an HTTP status and a plain-text reason, and touches no balance:

- 405 for a method other than POST, 401 for a missing or unknown token,
- 415 for a content type real peers do not send, 413 for a body over `MAX_BODY_BYTES`,
- 400 for a body that is not an ILP Prepare (the codec's error message says why).

The app is raw ASGI rather than a Starlette route because it is the packet hot path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ilpnode.ilp import IlpCodecError, Prepare, decode_prepare

__all__ = ["MAX_BODY_BYTES", "Authenticate", "HandlePrepare", "IlpHttpApp"]

# The largest valid Prepare is ~32.8 KB (32767 bytes of data plus a 1023-byte address and
# headers); anything much larger is not an ILP packet, so stop reading early.
MAX_BODY_BYTES = 64 * 1024
ACCEPTED_CONTENT_TYPES = frozenset({"application/octet-stream", "application/ilp+octet-stream", ""})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Maps a bearer token to the peer it belongs to (opaque here), or None if unknown.
Authenticate = Callable[[str], object | None]
# Forwards the Prepare for that peer; returns the encoded Fulfill or Reject.
HandlePrepare = Callable[[object, Prepare, bytes], Awaitable[bytes]]


class IlpHttpApp:
    def __init__(self, *, authenticate: Authenticate, handle: HandlePrepare) -> None:
        self._authenticate = authenticate
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _plain(send, 405, "ILP-over-HTTP takes POST", extra=[(b"allow", b"POST")])
            return
        headers = dict(scope["headers"])
        peer = self._peer_for(headers.get(b"authorization", b""))
        if peer is None:
            reason = "Bearer token required" if b"authorization" not in headers else "unknown token"
            await _plain(send, 401, reason, extra=[(b"www-authenticate", b"Bearer")])
            return
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if content_type.decode("latin-1") not in ACCEPTED_CONTENT_TYPES:
            await _plain(send, 415, "content type must be application/octet-stream")
            return
        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await _plain(send, 413, f"body larger than {MAX_BODY_BYTES} bytes")
            return
        try:
            prepare = decode_prepare(body)
        except IlpCodecError as error:
            await _plain(send, 400, f"invalid ILP Prepare: {error}")
            return
        reply = await self._handle(peer, prepare, body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")],
            }
        )
        await send({"type": "http.response.body", "body": reply})

    def _peer_for(self, authorization: bytes) -> object | None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._authenticate(token.strip())


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


async def _plain(
    send: Send, status: int, text: str, *, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = (text + "\n").encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
