"""The auto-peering server's ASGI app: `POST /` with Rafiki's peering request (rafiki-peering §7).

Thin: it checks what HTTP carries (secret, content type, size), decodes the request with
`messages.decode_peering_request` and hands it to `AutoPeeringService.accept`; the answer is
Rafiki's JSON, 200 with our details or `{"error": {code, message, type, field}}`.

Checks, in order, each refusing with nothing changed:

1. AUTO_PEERING_SECRET, when set: `Authorization: Bearer <secret>`, or Basic with the secret as
   the password (what an HTTP client, Rafiki's axios included, sends for a peer URL
   `http://ilpnode:<secret>@host:3005/`); else 401 `Unauthorized`. Compared in constant time.
2. `Content-Type: application/json` (parameters ignored); else 415. A browser cannot send that
   cross-site without a CORS preflight, which this server never grants, so a web page cannot
   make a visitor's browser peer with a node on their network.
3. At most `MAX_MESSAGE_BYTES` of body (by Content-Length, then while reading); else 413.
4. The fields (`decode_peering_request`); else 400 naming the field.
5. The service's own refusals: unknown asset (404), own address, token in use (400), a peer
   with that address and asset made by hand, which a request may not re-peer (409
   `PeerNotAutoPeered`).

The app exists before the node has started; until the service is there it answers 503.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ilpnode.services.peering.autopeering import (
    MAX_MESSAGE_BYTES,
    AutoPeeringError,
    AutoPeeringFailure,
    AutoPeeringService,
    decode_peering_request,
    encode_error,
    encode_peering_details,
)

__all__ = ["create_auto_peering_app"]

logger = logging.getLogger("ilpnode.autopeering")

_JSON_TYPES = frozenset({"application/json"})


def _refusal(
    error: AutoPeeringError, detail: str, *, status: int | None = None, field: str | None = None
) -> JSONResponse:
    status = status or error.status
    body = encode_error(AutoPeeringFailure(error, detail, field))
    body["error"]["code"] = status
    headers = {"www-authenticate": 'Basic realm="auto-peering"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _presented_secret(request: Request) -> str | None:
    """The secret in `Authorization` (Bearer token, or Basic password), or None."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def _secret_matches(request: Request, secret: str) -> bool:
    presented = _presented_secret(request)
    return presented is not None and hmac.compare_digest(presented.encode(), secret.encode())


async def _read_body(request: Request) -> bytes | None:
    """The body, or None if it is longer than `MAX_MESSAGE_BYTES`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > MAX_MESSAGE_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            return None
    return bytes(body)


def create_auto_peering_app(
    *, service: Callable[[], AutoPeeringService | None], secret: str | None
) -> Starlette:
    """The auto-peering app. `service()` is the node's service, None until it has started;
    `secret` is AUTO_PEERING_SECRET (None: requests need none)."""

    async def peer_request(request: Request) -> JSONResponse:
        client = request.client.host if request.client else "?"
        if secret is not None and not _secret_matches(request, secret):
            logger.info("auto-peering request from %s refused: no or wrong secret", client)
            return _refusal(
                AutoPeeringError.Unauthorized,
                "present it as a Bearer token, or as the password in the peer URL "
                "(http://ilpnode:SECRET@host:port/)",
            )
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in _JSON_TYPES:
            logger.info("auto-peering request from %s refused: not JSON", client)
            return _refusal(
                AutoPeeringError.InvalidPeeringRequest,
                "the request must be JSON (Content-Type: application/json)",
                status=415,
            )
        body = await _read_body(request)
        if body is None:
            logger.info("auto-peering request from %s refused: too large", client)
            return _refusal(
                AutoPeeringError.InvalidPeeringRequest,
                f"the request is larger than {MAX_MESSAGE_BYTES} bytes",
                status=413,
            )
        peering = decode_peering_request(body)
        if isinstance(peering, AutoPeeringFailure):
            logger.info("auto-peering request from %s refused: %s", client, peering.message)
            return JSONResponse(encode_error(peering), status_code=peering.error.status)
        accepting = service()
        if accepting is None:
            body_503: dict[str, Any] = {
                "error": {"code": 503, "message": "the node is starting", "type": "Unavailable"}
            }
            return JSONResponse(body_503, status_code=503)
        result = await accepting.accept(peering)
        if isinstance(result, AutoPeeringFailure):
            logger.info("auto-peering request from %s refused: %s", client, result.message)
            return JSONResponse(encode_error(result), status_code=result.error.status)
        return JSONResponse(encode_peering_details(result.details))

    return Starlette(routes=[Route("/", peer_request, methods=["POST"])])
