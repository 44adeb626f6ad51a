"""Signed Admin API requests, as Rafiki checks them: HMAC-SHA256 over RFC 8785 JSON.

Theory of operation. A client sends two headers with each request:

    signature: t=<unix ms>, v<N>=<hex HMAC-SHA256(secret, f"{t}." + JCS(body))>
    tenant-id: <the operator tenant's UUID>            (optional here; Rafiki requires it)

JCS is RFC 8785 canonical JSON of the *parsed* request body, so the client may format its JSON
however it likes. Rafiki (`packages/backend/src/shared/utils.ts`, `verifyApiSignatureDigest`) reads
the body through koa-bodyparser, which yields `{}` for an empty body; an empty body (a GET, say) is
therefore signed as `{}` here too.

`verify` checks, in this order, and returns the first failure:

1. the header is present (MISSING) and well formed (MALFORMED);
2. N is the configured version (WRONG_VERSION);
3. `tenant-id`, if sent, names the operator tenant (UNKNOWN_TENANT): ilpnode has one tenant;
4. t is at most the TTL old (EXPIRED) and at most `max_skew_ms` ahead of our clock
   (FROM_THE_FUTURE; Rafiki has no such check: a t set days ahead stays fresh there for days);
5. the HMAC matches, compared in constant time (BAD_SIGNATURE);
6. the signature was not accepted before (REPLAYED).

Only signatures that pass 1-5 are remembered for step 6. Rafiki stores every header it sees
before checking the HMAC, which lets anyone fill Redis or burn a client's signature in advance;
here memory grows only with authentic requests and each entry is dropped once its t is past the
TTL (at which point step 4 refuses it anyway). The memory is per process, which suffices because
one ilpnode process serves the Admin API; the check-and-record step has no `await` inside, so
concurrent requests on one event loop cannot both pass (it is not thread-safe, nor need it be).

`SignedRequests` is the raw ASGI wrapper around the GraphQL app: it checks the headers before
reading the body (unauthenticated callers learn nothing about body parsing), buffers at most
`MAX_BODY_BYTES`, verifies, and hands the wrapped app a `receive` that replays the same bytes.
`sign` and `signed_body` are the client side, for our CLI and tests.
"""

from __future__ import annotations

import enum
import hashlib
import heapq
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

import rfc8785
from starlette.types import ASGIApp, Receive, Scope, Send

from ilpnode.admin.json_body import (
    MAX_BODY_BYTES,
    InvalidBody,
    error_response,
    parse_json_body,
    read_json_request,
    replaying,
)

__all__ = [
    "MAX_BODY_BYTES",
    "REASONS",
    "InvalidBody",
    "ReplayGuard",
    "SignatureFailure",
    "SignaturePolicy",
    "SignedBody",
    "SignedRequests",
    "canonical_json",
    "parse_json_body",
    "sign",
    "signed_body",
    "verify",
]

logger = logging.getLogger(__name__)

# "t=<13 digits>, v<N>=<64 hex>" is about 90 characters; anything much longer is not a signature,
# and the cap keeps int() away from giant digit strings.
MAX_HEADER_CHARS = 256

_HEADER = re.compile(r"t=(?P<t>[0-9]+),[ \t]*v(?P<v>[0-9]+)=(?P<digest>[0-9a-f]{64})")


class SignatureFailure(enum.Enum):
    """Why `verify` refused a request (the value is what the 401 body's `reason` is keyed on)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    WRONG_VERSION = "wrong_version"
    UNKNOWN_TENANT = "unknown_tenant"
    EXPIRED = "expired"
    FROM_THE_FUTURE = "from_the_future"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"


# Words for the 401 body. None of them echoes the expected digest or the secret.
REASONS: Mapping[SignatureFailure, str] = {
    SignatureFailure.MISSING: "signature header missing",
    SignatureFailure.MALFORMED: "signature header is not 't=<unix ms>, v<N>=<64 lowercase hex>'",
    SignatureFailure.WRONG_VERSION: "signature version is not the one this node accepts",
    SignatureFailure.UNKNOWN_TENANT: "tenant-id is not this node's tenant",
    SignatureFailure.EXPIRED: "signature expired",
    SignatureFailure.FROM_THE_FUTURE: "signature timestamp is too far in the future",
    SignatureFailure.BAD_SIGNATURE: "signature does not match the request",
    SignatureFailure.REPLAYED: "signature already used",
}


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JCS) bytes of `value`, as npm `json-canonicalize` produces them.

    Raises:
        InvalidBody: `value` has no RFC 8785 form. Integers beyond ±(2**53 - 1) are refused
            rather than rounded as JavaScript would: the wrapped app would read the exact
            integer while the signature covered the rounded one. Send them as strings.
    """
    try:
        # rfc8785 checks types at run time (CanonicalizationError), so any object may go in.
        return rfc8785.dumps(value)  # type: ignore[arg-type]
    except rfc8785.CanonicalizationError as error:
        raise InvalidBody(f"body cannot be canonicalized (RFC 8785): {error}") from None
    except RecursionError:  # not reached through parse_json_body, which bounds the depth
        raise InvalidBody("body nests too deeply to canonicalize (RFC 8785)") from None


def _digest(secret: str, timestamp: str, canonical: bytes) -> str:
    payload = timestamp.encode("ascii") + b"." + canonical
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def sign(body: object | bytes, *, secret: str, version: int = 1, now_ms: int) -> str:
    """The `signature` header value for `body` at `now_ms`.

    `body` is either the JSON value that will be sent, or the exact bytes that will be sent
    (parsed as the verifier parses them). Prefer `signed_body`, which returns the bytes to send.

    Raises:
        InvalidBody: the body cannot be signed (see `InvalidBody`).
    """
    value = parse_json_body(body) if isinstance(body, bytes) else body
    return f"t={now_ms}, v{version}={_digest(secret, str(now_ms), canonical_json(value))}"


class SignedBody(NamedTuple):
    """A `signature` header and the request body it was computed over."""

    header: str
    body: bytes


def signed_body(body: object, *, secret: str, version: int = 1, now_ms: int) -> SignedBody:
    """Sign `body` and return the bytes to send with it: its RFC 8785 form, which is valid JSON
    and canonicalizes to itself, so the server checks exactly what was signed.

    Raises:
        InvalidBody: the body cannot be signed (see `InvalidBody`).
    """
    canonical = canonical_json(body)
    digest = _digest(secret, str(now_ms), canonical)
    return SignedBody(header=f"t={now_ms}, v{version}={digest}", body=canonical)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignaturePolicy:
    """What a valid signature must satisfy. `repr` hides the secret (it ends up in tracebacks)."""

    secret: str
    version: int
    ttl_seconds: int
    operator_tenant_id: UUID

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("the Admin API secret must not be empty")
        if self.version < 1 or self.ttl_seconds < 1:
            raise ValueError("signature version and TTL must be at least 1")

    def __repr__(self) -> str:
        return f"SignaturePolicy(version={self.version}, ttl_seconds={self.ttl_seconds}, …)"

    @property
    def ttl_ms(self) -> int:
        return self.ttl_seconds * 1000

    @property
    def max_skew_ms(self) -> int:
        """How far ahead of our clock t may be: the TTL, so either clock may run ahead by the
        same tolerance. A signature is then usable for at most twice the TTL, and only once."""
        return self.ttl_ms


class ReplayGuard:
    """Signatures accepted in this process, each kept until its timestamp is past the TTL.

    Keyed on the digest (which binds t and the body), so re-spacing the header does not make a
    used signature new. Expired entries are dropped on every check, so the size is bounded by the
    number of authentic requests in a window of twice the TTL.
    """

    def __init__(self) -> None:
        self._expires_at: dict[str, int] = {}
        self._by_expiry: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._expires_at)

    def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """Record `key` and return True, or return False if it is already recorded."""
        while self._by_expiry and self._by_expiry[0][0] < now_ms:
            _, old = heapq.heappop(self._by_expiry)
            del self._expires_at[old]
        if key in self._expires_at:
            return False
        self._expires_at[key] = expires_at_ms
        heapq.heappush(self._by_expiry, (expires_at_ms, key))
        return True


class _Parsed(NamedTuple):
    timestamp: str
    timestamp_ms: int
    digest: str


def _check_headers(
    header: str | None, *, tenant_id: str | None, policy: SignaturePolicy, now_ms: int
) -> _Parsed | SignatureFailure:
    """Steps 1-4 of `verify`: everything that needs no body (so it can run before reading it)."""
    if header is None:
        return SignatureFailure.MISSING
    match = _HEADER.fullmatch(header.strip()) if len(header) <= MAX_HEADER_CHARS else None
    if match is None:
        return SignatureFailure.MALFORMED
    if int(match["v"]) != policy.version:
        return SignatureFailure.WRONG_VERSION
    if tenant_id is not None and not _is_operator(tenant_id, policy.operator_tenant_id):
        return SignatureFailure.UNKNOWN_TENANT
    timestamp_ms = int(match["t"])
    if now_ms - timestamp_ms > policy.ttl_ms:
        return SignatureFailure.EXPIRED
    if timestamp_ms - now_ms > policy.max_skew_ms:
        return SignatureFailure.FROM_THE_FUTURE
    return _Parsed(match["t"], timestamp_ms, match["digest"])


def _is_operator(tenant_id: str, operator: UUID) -> bool:
    try:
        return UUID(tenant_id.strip()) == operator
    except ValueError:
        return False


def verify(
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
    otherwise the first failure in the order given in the module docstring, recording nothing.

    Raises:
        InvalidBody: `body` cannot be canonicalized (only reached with a well-formed, fresh
            header; `SignedRequests` answers 400).
    """
    parsed = _check_headers(header, tenant_id=tenant_id, policy=policy, now_ms=now_ms)
    if isinstance(parsed, SignatureFailure):
        return parsed
    expected = _digest(policy.secret, parsed.timestamp, canonical_json(body))
    if not hmac.compare_digest(expected, parsed.digest):
        return SignatureFailure.BAD_SIGNATURE
    expires_at_ms = parsed.timestamp_ms + policy.ttl_ms
    if not replays.first_use(parsed.digest, expires_at_ms=expires_at_ms, now_ms=now_ms):
        return SignatureFailure.REPLAYED
    return None


class SignedRequests:
    """ASGI wrapper that lets only signed requests reach `app` (wrap the GraphQL endpoint only;
    Rafiki leaves `/healthz` unsigned).

    Answers, without calling `app`: 401 for a `SignatureFailure`; 400 for a query string (it is
    not covered by the signature, so GraphQL must come as a JSON body, as Rafiki's clients send
    it) or a body that is not signable JSON; 413 for a body over `MAX_BODY_BYTES`. Each error
    body is JSON: `{"error": "unauthorized" | "bad_request" | "payload_too_large", "reason": …}`.
    Lifespan events pass through; WebSocket connections are closed, as they cannot be signed.
    `clock` returns the current Unix time in milliseconds.
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
    ) -> None:
        self._app = app
        self._policy = SignaturePolicy(
            secret=secret,
            version=version,
            ttl_seconds=ttl_seconds,
            operator_tenant_id=operator_tenant_id,
        )
        self._clock = clock
        self._replays = ReplayGuard()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = _headers(scope)
        signature, tenant_id = headers.get("signature"), headers.get("tenant-id")
        early = _check_headers(
            signature, tenant_id=tenant_id, policy=self._policy, now_ms=self._clock()
        )
        if isinstance(early, SignatureFailure):
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
        try:
            failure = verify(
                signature,
                body,
                tenant_id=tenant_id,
                policy=self._policy,
                now_ms=self._clock(),
                replays=self._replays,
            )
        except InvalidBody as error:  # no RFC 8785 form
            await error_response(scope, receive, send, 400, "bad_request", str(error))
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
