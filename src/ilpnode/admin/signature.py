"""Signed Admin API requests, as Rafiki checks them: HMAC-SHA256 over RFC 8785 JSON.

Theory of operation. A client sends two headers with each request:

    signature: t=<unix ms>, v<N>=<hex HMAC-SHA256(secret, f"{t}." + JCS(body))>
    tenant-id: <the operator tenant's UUID>            (optional here; Rafiki requires it)

JCS is RFC 8785 canonical JSON of the *parsed* request body, so the client may format its JSON
however it likes. Rafiki (`packages/backend/src/shared/utils.ts`, `verifyApiSignatureDigest`) reads
the body through koa-bodyparser, which yields `{}` for an empty body; an empty body (a GET, say) is
therefore signed as `{}` here too.

A request is checked in this order, and refused with the first failure (`authenticate` here does
steps 1-5, `ilpnode.admin.signed_requests.verify` all six):

1. the header is present (MISSING) and well formed (MALFORMED);
2. N is the configured version (WRONG_VERSION);
3. `tenant-id`, if sent, names the operator tenant (UNKNOWN_TENANT): ilpnode has one tenant;
4. t is at most the TTL old (EXPIRED) and at most `max_skew_ms` ahead of our clock
   (FROM_THE_FUTURE; Rafiki has no such check: a t set days ahead stays fresh there for days);
5. the HMAC matches, compared in constant time (BAD_SIGNATURE);
6. the signature was not accepted before (REPLAYED).

Steps 1-4 need no body (`check_headers`), so the server runs them before reading one. This module
is the scheme, shared by the server (`signed_requests.py`) and the clients (our CLI, tests):
`sign` and `signed_body` make the header, `authenticate` checks one.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

import rfc8785

from ilpnode.admin.json_body import MAX_BODY_BYTES, InvalidBody, parse_json_body

__all__ = [
    "MAX_BODY_BYTES",
    "REASONS",
    "Authentic",
    "InvalidBody",
    "SignatureFailure",
    "SignaturePolicy",
    "SignedBody",
    "authenticate",
    "canonical_json",
    "check_headers",
    "parse_json_body",
    "sign",
    "signed_body",
]

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


class _Parsed(NamedTuple):
    timestamp: str
    timestamp_ms: int
    digest: str


class Authentic(NamedTuple):
    """A request that passed steps 1-5: its digest (the replay key) and when it expires."""

    digest: str
    expires_at_ms: int


def check_headers(
    header: str | None, *, tenant_id: str | None, policy: SignaturePolicy, now_ms: int
) -> SignatureFailure | None:
    """Steps 1-4: everything that needs no body (so it can run before reading it); the first
    failure, or None."""
    parsed = _parse(header, tenant_id=tenant_id, policy=policy, now_ms=now_ms)
    return parsed if isinstance(parsed, SignatureFailure) else None


def authenticate(
    header: str | None, body: object, *, tenant_id: str | None, policy: SignaturePolicy, now_ms: int
) -> Authentic | SignatureFailure:
    """Steps 1-5: check a request's `signature` (and `tenant-id`) header against its parsed JSON
    body. Pure: remembers nothing (the caller checks `Authentic.digest` against replays).

    Raises:
        InvalidBody: `body` cannot be canonicalized (only reached with a well-formed, fresh
            header).
    """
    parsed = _parse(header, tenant_id=tenant_id, policy=policy, now_ms=now_ms)
    if isinstance(parsed, SignatureFailure):
        return parsed
    expected = _digest(policy.secret, parsed.timestamp, canonical_json(body))
    if not hmac.compare_digest(expected, parsed.digest):
        return SignatureFailure.BAD_SIGNATURE
    return Authentic(parsed.digest, parsed.timestamp_ms + policy.ttl_ms)


def _parse(
    header: str | None, *, tenant_id: str | None, policy: SignaturePolicy, now_ms: int
) -> _Parsed | SignatureFailure:
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
