"""Admin API request bodies: read at most `MAX_BODY_BYTES`, parse as JSON at most
`MAX_JSON_DEPTH` deep, or answer the client's mistake as a 4xx.

Both the signed and the unsigned Admin API go through here before GraphQL sees a byte: an
oversized body is 413 (on its declared length, before it is read), a body that is not JSON, or
nests too deeply, is 400. Without the depth limit a body of a thousand `[` made the JSON parser
(and the RFC 8785 canonicalizer after it) raise RecursionError, a 500 with a traceback; with a
secret set, anyone could send one, since the body must be parsed before its HMAC can be checked.

`JsonBodies` is the ASGI wrapper for the unsigned API; `SignedRequests` (signature.py) uses the
same reading and parsing before it verifies.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "BodyTooLarge",
    "ClientGone",
    "InvalidBody",
    "JsonBodies",
    "error_response",
    "parse_json_body",
    "read_body",
    "read_json_request",
    "replaying",
]

# An Admin API request is a GraphQL document plus variables, a few KB; 1 MiB is generous and
# still small enough to buffer (the body must be read whole before the HMAC can be checked).
MAX_BODY_BYTES: Final = 1024 * 1024
# Rafiki's inputs nest four or five levels (input -> http -> outgoing -> endpoint); 64 leaves
# room for any client and stays far below Python's recursion limit.
MAX_JSON_DEPTH: Final = 64


class InvalidBody(ValueError):
    """The body is not JSON that can be signed: not UTF-8 JSON, nested deeper than
    `MAX_JSON_DEPTH`, not an object or array at the top (koa-bodyparser's strict mode, which
    Rafiki uses), or not canonicalizable by RFC 8785 (NaN, infinities, integers beyond
    ±(2**53 - 1), lone surrogates)."""


class BodyTooLarge(Exception):
    """The body is (or declares itself) larger than `MAX_BODY_BYTES`."""


class ClientGone(Exception):
    """The client disconnected before its body arrived whole."""


def parse_json_body(raw: bytes) -> object:
    """Parse a request body as the verifier sees it; an empty body is `{}` (as in Rafiki).

    Raises:
        InvalidBody: see `InvalidBody`.
    """
    if not raw:
        return {}
    try:
        value: object = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidBody(f"body is not UTF-8 JSON: {error}") from None
    except RecursionError:
        raise InvalidBody(_TOO_DEEP) from None
    if not isinstance(value, dict | list):
        raise InvalidBody("body must be a JSON object or array")
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise InvalidBody(_TOO_DEEP)
    return value


_TOO_DEEP: Final = f"body nests deeper than {MAX_JSON_DEPTH} levels"


def _deeper_than(value: object, limit: int) -> bool:
    """Whether arrays and objects in `value` nest more than `limit` levels (no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _reject_constant(name: str) -> object:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


async def read_body(receive: Receive, content_length: str | None) -> bytes:
    """The whole body, refused on its declared length before any of it is read.

    Raises:
        BodyTooLarge: over `MAX_BODY_BYTES`, declared or read.
        ClientGone: the client disconnected first.
    """
    declared = content_length.strip() if content_length is not None else ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` whose first message is the whole buffered body; later calls (a wait for
    `http.disconnect`) go to the server."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def error_response(
    scope: Scope, receive: Receive, send: Send, status: int, error: str, reason: str
) -> None:
    """`{"error": error, "reason": reason}` with `status`."""
    response = JSONResponse({"error": error, "reason": reason}, status_code=status)
    await response(scope, receive, send)


class JsonBodies:
    """ASGI wrapper for the unsigned Admin API: a request with a body reaches `app` only if the
    body is at most `MAX_BODY_BYTES` (else 413) and JSON that nests at most `MAX_JSON_DEPTH`
    levels (else 400), with the errors `SignedRequests` gives. A GET without a body (the
    GraphQL explorer page) passes as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self._app(scope, receive, send)
            return
        content_length = None
        for name, value in scope["headers"]:
            if name.lower() == b"content-length":
                content_length = value.decode("latin-1")
        read = await read_json_request(scope, receive, send, content_length)
        if read is not None:
            await self._app(scope, replaying(read[0], receive), send)


async def read_json_request(
    scope: Scope, receive: Receive, send: Send, content_length: str | None
) -> tuple[bytes, object] | None:
    """The body and its parsed JSON; or None once a body over `MAX_BODY_BYTES` (413) or one
    that is not JSON within `MAX_JSON_DEPTH` (400) has been answered, or the client went away."""
    try:
        raw = await read_body(receive, content_length)
        return raw, parse_json_body(raw)
    except ClientGone:
        return None
    except BodyTooLarge:
        reason = f"body larger than {MAX_BODY_BYTES} bytes"
        await error_response(scope, receive, send, 413, "payload_too_large", reason)
        return None
    except InvalidBody as error:
        await error_response(scope, receive, send, 400, "bad_request", str(error))
        return None
