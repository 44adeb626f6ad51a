"""The Open Payments port's ASGI app: SPSP (RFC 0009) for the wallet addresses this node hosts.

`GET <wallet address path>` answers, by the `Accept` header (protocols §4.5, Rafiki's
`spsp/routes.ts` and wallet address route):

- `application/spsp4+json` among the accepted types (as Rafiki tests it): 200
  `{destination_account, shared_secret, receipts_enabled}` with `Content-Type:
  application/spsp4+json` and `Cache-Control: no-cache`, a new STREAM connection each time
  (`SpspServer.credentials`). `Receipt-Nonce` and `Receipt-Secret` (base64) come together or
  not at all: one alone, or one that is not 16/32 bytes, is 400.
- otherwise, `application/json`, `application/*`, `*/*` or no Accept header: 200 with the
  wallet address's public description (`SpspServer.description`).
- anything else (`text/html` alone, …): 406.

An unknown or inactive wallet address is 404. Errors are JSON carrying both RFC 0009's shape
(`{"id": "InvalidReceiverError", "message": …}`) and Rafiki's (`{"error": {"code": "404",
"description": …}}`), so a client of either reads its own. Every answer has
`Access-Control-Allow-Origin: *` (Web Monetization fetches SPSP from web pages) and
`Vary: Accept`; `OPTIONS` answers a CORS preflight. Other methods are 405. The request's host is
ignored: paths map to wallet addresses under OPEN_PAYMENTS_URL (`urls.OpenPaymentsUrls`).
Nothing a request carries changes any state.

The app exists before the node has started; until the SPSP server is there it answers 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ilpnode.services.payments import SPSP_CONTENT_TYPE, SpspFailure, SpspServer

__all__ = ["create_open_payments_app"]

logger = logging.getLogger("ilpnode.spsp")

_CORS: Final = {
    "access-control-allow-origin": "*",
    # Web Monetization's header (RFC 0009), and the receipt headers a verifier sends.
    "access-control-allow-headers": "web-monetization-id, receipt-nonce, receipt-secret",
}
_PREFLIGHT: Final = {
    **_CORS,
    "access-control-allow-methods": "GET, HEAD, OPTIONS",
    "access-control-max-age": "86400",
}
_ALLOWED_METHODS: Final = "GET, HEAD, OPTIONS"
_JSON_RANGES: Final = frozenset({"application/json", "application/*", "*/*"})


def _error(status: int, error_id: str, message: str, **extra: str) -> JSONResponse:
    body = {
        "id": error_id,
        "message": message,
        "error": {"code": str(status), "description": message},
    }
    return JSONResponse(body, status_code=status, headers={**_CORS, "vary": "Accept", **extra})


def _failure(failure: SpspFailure) -> JSONResponse:
    return _error(failure.status, failure.error_id, failure.message)


def _wants_json(accept: str | None) -> bool:
    """True when `accept` admits JSON: absent, or a media range `application/json`,
    `application/*` or `*/*` without `q=0`."""
    if accept is None:
        return True
    for item in accept.split(","):
        media_range, *parameters = (part.strip().lower() for part in item.split(";"))
        refused = any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in parameters
        )
        if media_range in _JSON_RANGES and not refused:
            return True
    return False


def create_open_payments_app(*, server: Callable[[], SpspServer | None]) -> ASGIApp:
    """The app served on OPEN_PAYMENTS_PORT. `server()` is the node's SPSP server, None until it
    has started."""

    async def respond(request: Request) -> Response:
        method = request.method
        if method == "OPTIONS":
            return Response(status_code=204, headers=_PREFLIGHT)
        if method not in ("GET", "HEAD"):
            return _error(
                405, "MethodNotAllowedError", f"{method} is not allowed", allow=_ALLOWED_METHODS
            )
        spsp = server()
        if spsp is None:
            return _error(503, "UnavailableError", "the node is starting")
        path = request.url.path
        accept = request.headers.get("accept")
        if accept is not None and SPSP_CONTENT_TYPE in accept.lower():
            credentials = spsp.credentials(
                path,
                receipt_nonce=request.headers.get("receipt-nonce"),
                receipt_secret=request.headers.get("receipt-secret"),
            )
            if isinstance(credentials, SpspFailure):
                logger.debug("SPSP request for %.200r refused: %s", path, credentials.name)
                return _failure(credentials)
            return JSONResponse(
                credentials.json(),
                media_type=SPSP_CONTENT_TYPE,
                headers={**_CORS, "vary": "Accept", "cache-control": "no-cache"},
            )
        if not _wants_json(accept):
            return _error(
                406,
                "NotAcceptableError",
                f"Request does not support {SPSP_CONTENT_TYPE} or application/json",
            )
        description = spsp.description(path)
        if isinstance(description, SpspFailure):
            return _failure(description)
        return JSONResponse(description, headers={**_CORS, "vary": "Accept"})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off; websockets are not served
            return
        response = await respond(Request(scope, receive))
        await response(scope, receive, send)

    return app
