"""The signed Admin API, server side: `SignedRequests` lets only signed, new requests through.

Theory of operation. `SignedRequests` is the raw ASGI wrapper around the GraphQL app. For each
request it checks the headers (steps 1-4 of `ilpnode.admin.signature`) before reading the body,
so unauthenticated callers learn nothing about body parsing; buffers at most `MAX_BODY_BYTES`;
checks the HMAC (step 5); then asks the `ReplayGuard` whether the signature is new (step 6);
and hands the wrapped app a `receive` that replays the same bytes.

Only signatures that pass 1-5 are recorded for step 6. Rafiki stores every header it sees before
checking the HMAC, which lets anyone fill Redis or burn a client's signature in advance; here the
store grows only with authentic requests and each entry lapses once its t is past the TTL (at
which point step 4 refuses it anyway). The guard (`ilpnode.services.replay_guard`) is shared by
every process of the node: the database by default, Redis when `REDIS_URL` is set. Its
check-and-record is one atomic step in the store, so of concurrent requests with one signature,
on one process or several, exactly one passes. When the store cannot be reached the request is
refused with 503 (fail closed), never run unguarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

from starlette.types import ASGIApp, Receive, Scope, Send

from ilpnode.admin.json_body import error_response, read_json_request, replaying
from ilpnode.admin.signature import (
    REASONS,
    InvalidBody,
    SignatureFailure,
    SignaturePolicy,
    authenticate,
    check_headers,
)
from ilpnode.services.replay_guard import ReplayGuard, ReplayGuardUnavailable

__all__ = ["UNAVAILABLE_REASON", "SignedRequests", "verify"]

logger = logging.getLogger(__name__)

# The 503 body's reason when the replay guard's store is down (after what the guard says).
UNAVAILABLE_REASON = "cannot check the signature against replays, try again later"


async def verify(
    header: str | None,
    body: object,
    *,
    tenant_id: str | None,
    policy: SignaturePolicy,
    now_ms: int,
    replays: ReplayGuard,
) -> SignatureFailure | None:
    """Check a request's `signature` (and `tenant-id`) header against its parsed JSON body.

    Returns None if the request is authentic, fresh and new, and then records it in `replays`;
    otherwise the first failure in the order given in `ilpnode.admin.signature`, recording nothing
    (REPLAYED records nothing new either).

    Raises:
        InvalidBody: `body` cannot be canonicalized (only reached with a well-formed, fresh
            header; `SignedRequests` answers 400).
        ReplayGuardUnavailable: the request is authentic but `replays` cannot tell whether it is
            new (`SignedRequests` answers 503).
    """
    checked = authenticate(header, body, tenant_id=tenant_id, policy=policy, now_ms=now_ms)
    if isinstance(checked, SignatureFailure):
        return checked
    if not await replays.first_use(
        checked.digest, expires_at_ms=checked.expires_at_ms, now_ms=now_ms
    ):
        return SignatureFailure.REPLAYED
    return None


class SignedRequests:
    """ASGI wrapper that lets only signed requests reach `app` (wrap the GraphQL endpoint only;
    Rafiki leaves `/healthz` unsigned).

    Answers, without calling `app`: 401 for a `SignatureFailure`; 400 for a query string (it is
    not covered by the signature, so GraphQL must come as a JSON body, as Rafiki's clients send
    it) or a body that is not signable JSON; 413 for a body over `MAX_BODY_BYTES`; 503 when
    `replays` cannot reach its store (an authentic request that might be a replay is refused,
    not run). Each error body is JSON: `{"error": "unauthorized" | "bad_request" |
    "payload_too_large" | "unavailable", "reason": …}`. Lifespan events pass through; WebSocket
    connections are closed, as they cannot be signed. `clock` returns the current Unix time in
    milliseconds; `replays` remembers accepted signatures (shared by the node's processes).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        ttl_seconds: int,
        version: int,
        operator_tenant_id: UUID,
        clock: Callable[[], int],
        replays: ReplayGuard,
    ) -> None:
        self._app = app
        self._policy = SignaturePolicy(
            secret=secret,
            version=version,
            ttl_seconds=ttl_seconds,
            operator_tenant_id=operator_tenant_id,
        )
        self._clock = clock
        self._replays = replays

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = _headers(scope)
        signature, tenant_id = headers.get("signature"), headers.get("tenant-id")
        early = check_headers(
            signature, tenant_id=tenant_id, policy=self._policy, now_ms=self._clock()
        )
        if early is not None:
            await _refuse(scope, receive, send, early)
            return
        if scope.get("query_string"):
            reason = "query parameters are not covered by the signature; send a JSON body"
            await error_response(scope, receive, send, 400, "bad_request", reason)
            return
        read = await read_json_request(scope, receive, send, headers.get("content-length"))
        if read is None:
            return
        raw, body = read
        failure: SignatureFailure | None = None
        problem: tuple[int, str, str] | None = None
        try:
            failure = await verify(
                signature,
                body,
                tenant_id=tenant_id,
                policy=self._policy,
                now_ms=self._clock(),
                replays=self._replays,
            )
        except InvalidBody as error:  # no RFC 8785 form
            problem = (400, "bad_request", str(error))
        except ReplayGuardUnavailable as error:  # fail closed: maybe a replay, so not run
            logger.error("admin request refused: the replay guard is unavailable: %s", error)
            problem = (503, "unavailable", f"{error}: {UNAVAILABLE_REASON}")
        if problem is not None:
            await error_response(scope, receive, send, *problem)
            return
        if failure is not None:
            await _refuse(scope, receive, send, failure)
            return
        await self._app(scope, replaying(raw, receive), send)


def _headers(scope: Scope) -> dict[str, str]:
    """Header values by lower-case name; repeats are joined with ", " as HTTP allows, which makes
    a repeated `signature` MALFORMED and a repeated `tenant-id` UNKNOWN_TENANT."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


async def _refuse(scope: Scope, receive: Receive, send: Send, failure: SignatureFailure) -> None:
    client = scope.get("client") or ("-",)
    logger.info("admin request refused: %s (client=%s)", failure.value, client[0])
    await error_response(scope, receive, send, 401, "unauthorized", REASONS[failure])
