"""Rafiki-style Admin API signatures: vectors, the pure check, and the ASGI wrapper over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ilpnode.admin.signature import (
    MAX_BODY_BYTES,
    REASONS,
    InvalidBody,
    SignatureFailure,
    SignaturePolicy,
    parse_json_body,
    sign,
    signed_body,
)
from ilpnode.admin.signed_requests import SignedRequests, verify
from ilpnode.services.replay_guard import MemoryReplayGuard, ReplayGuardUnavailable

SECRET = "a-long-enough-admin-api-secret"
TTL_SECONDS = 30
NOW = 1_700_000_000_000
OPERATOR = UUID("438fa74a-fa7d-4317-9ced-dde32ece1787")
POLICY = SignaturePolicy(
    secret=SECRET, version=1, ttl_seconds=TTL_SECONDS, operator_tenant_id=OPERATOR
)
QUERY = {"query": "query { assets { edges { node { id } } } }", "variables": {"first": 2}}


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


# --- vectors -------------------------------------------------------------------------------------


def test_sign_matches_an_hmac_over_a_hand_written_canonical_form() -> None:
    body = {
        "z": "ünïcödé",
        "€": True,
        "a": {"y": 1, "x": [3, 2.5, 1e-7, 100.0, 1e21]},
        "ﬀ": None,  # U+FB00 sorts *after* U+1F600 in UTF-16 code units, as RFC 8785 requires
        "😀": "\n\u001f",
        "B": -0.0,
    }
    canonical = (
        '{"B":0,"a":{"x":[3,2.5,1e-7,100,1e+21],"y":1},"z":"ünïcödé","€":true,'
        '"😀":"\\n\\u001f","ﬀ":null}'
    )
    expected = f"t={NOW}, v1={hmac_hex(SECRET, f'{NOW}.{canonical}')}"

    assert sign(body, secret=SECRET, now_ms=NOW) == expected
    assert sign(json.dumps(body, indent=2).encode(), secret=SECRET, now_ms=NOW) == expected
    assert signed_body(body, secret=SECRET, now_ms=NOW) == (expected, canonical.encode())


def test_signature_made_by_a_javascript_rafiki_client() -> None:
    # Logged by a third-party client of Rafiki's local playground (Node crypto + npm
    # json-canonicalize), found in public code. The secret is the playground's
    # `backendApiSignatureSecret` from Rafiki's bruno/collections/Rafiki/environments/
    # "Local Playground.bru". Nested keys are out of canonical order.
    query = (
        "\n  mutation CreateReceiver($input: CreateReceiverInput!) {\n    createReceiver(input: "
        "$input) {\n      receiver {\n        id\n        walletAddressUrl\n        incomingAmount"
        " {\n          value\n          assetCode\n          assetScale\n        }\n        "
        "metadata\n        createdAt\n        updatedAt\n      }\n    }\n  }\n"
    )
    body = {
        "query": query,
        "variables": {
            "input": {
                "walletAddressUrl": "https://abl-backend/PK47ABBL8950311861785523",
                "incomingAmount": {"value": "500", "assetCode": "USD", "assetScale": 2},
                "metadata": {
                    "description": "Demo payment from Cloud Nine to ABL",
                    "sender": "Demo Sender App",
                },
            }
        },
    }
    header = sign(body, secret="iyIgCprjb9uL8wFckR+pLEkJWMB7FJhgkvqhTQR/964=", now_ms=1755864502042)

    assert header == (
        "t=1755864502042, v1=693268749d8f63e6ba6d6b0bd8b314df07f61d6ffb4927d7ad015996a12863e9"
    )


def test_every_failure_has_words() -> None:
    assert set(REASONS) == set(SignatureFailure)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"\xff{}", b"NaN", b"[Infinity]", b'"just a string"', b"42", b" "],
)
def test_unsignable_bodies_are_invalid(raw: bytes) -> None:
    with pytest.raises(InvalidBody):
        parse_json_body(raw)


def test_empty_body_is_the_empty_object_as_in_rafiki() -> None:
    assert parse_json_body(b"") == {}


def test_integers_javascript_would_round_cannot_be_signed() -> None:
    with pytest.raises(InvalidBody, match="RFC 8785"):
        sign({"amount": 2**53}, secret=SECRET, now_ms=NOW)


# --- the pure check ------------------------------------------------------------------------------


async def check(
    header: str | None,
    body: object = QUERY,
    *,
    tenant_id: str | None = None,
    now_ms: int = NOW,
    replays: MemoryReplayGuard | None = None,
) -> SignatureFailure | None:
    return await verify(
        header,
        body,
        tenant_id=tenant_id,
        policy=POLICY,
        now_ms=now_ms,
        replays=replays if replays is not None else MemoryReplayGuard(),
    )


async def test_valid_signature_passes_and_is_remembered() -> None:
    replays = MemoryReplayGuard()
    header = sign(QUERY, secret=SECRET, now_ms=NOW)

    assert await check(header, replays=replays) is None
    assert await check(header, replays=replays) is SignatureFailure.REPLAYED
    assert await check(header.replace(", ", ",  "), replays=replays) is SignatureFailure.REPLAYED


TTL_MS = TTL_SECONDS * 1000
GOOD = sign(QUERY, secret=SECRET, now_ms=NOW)
VERSION_2 = sign(QUERY, secret=SECRET, version=2, now_ms=NOW)
OTHER_SECRET = sign(QUERY, secret=SECRET + "x", now_ms=NOW)
OTHER_BODY = sign({"query": "{}"}, secret=SECRET, now_ms=NOW)
OTHER_TENANT = "cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d"  # Rafiki's playground Happy Life Bank


@pytest.mark.parametrize(
    ("header", "tenant_id", "now_ms", "failure"),
    [
        (None, None, NOW, SignatureFailure.MISSING),
        ("", None, NOW, SignatureFailure.MALFORMED),
        (f"t={NOW}", None, NOW, SignatureFailure.MALFORMED),
        (GOOD.upper(), None, NOW, SignatureFailure.MALFORMED),
        (GOOD + ", v1=" + "0" * 64, None, NOW, SignatureFailure.MALFORMED),
        (GOOD.replace(f"t={NOW}", f"t={NOW / 1000}"), None, NOW, SignatureFailure.MALFORMED),
        (GOOD + " " * 300, None, NOW, SignatureFailure.MALFORMED),
        (VERSION_2, None, NOW, SignatureFailure.WRONG_VERSION),
        (GOOD, OTHER_TENANT, NOW, SignatureFailure.UNKNOWN_TENANT),
        (GOOD, "operator", NOW, SignatureFailure.UNKNOWN_TENANT),
        (GOOD, None, NOW + TTL_MS + 1, SignatureFailure.EXPIRED),
        (GOOD, None, NOW - TTL_MS - 1, SignatureFailure.FROM_THE_FUTURE),
        (OTHER_SECRET, None, NOW, SignatureFailure.BAD_SIGNATURE),
        (OTHER_BODY, None, NOW, SignatureFailure.BAD_SIGNATURE),
        (f"t={NOW + 1}, v1={GOOD.rsplit('=', 1)[1]}", None, NOW, SignatureFailure.BAD_SIGNATURE),
    ],
)
async def test_failures(
    header: str | None, tenant_id: str | None, now_ms: int, failure: SignatureFailure
) -> None:
    replays = MemoryReplayGuard()

    assert await check(header, tenant_id=tenant_id, now_ms=now_ms, replays=replays) is failure
    assert len(replays) == 0


@pytest.mark.parametrize("tenant_id", [str(OPERATOR), str(OPERATOR).upper(), OPERATOR.hex])
async def test_operator_tenant_id_is_accepted_in_any_uuid_spelling(tenant_id: str) -> None:
    assert await check(GOOD, tenant_id=tenant_id) is None


@pytest.mark.parametrize("now_ms", [NOW + TTL_MS, NOW - TTL_MS])
async def test_window_edges_are_inclusive(now_ms: int) -> None:
    assert await check(GOOD, now_ms=now_ms) is None


async def test_replay_memory_forgets_signatures_once_they_are_expired() -> None:
    replays = MemoryReplayGuard()
    assert await replays.first_use("a", expires_at_ms=100, now_ms=50)
    assert not await replays.first_use("a", expires_at_ms=100, now_ms=100)

    assert await replays.first_use("b", expires_at_ms=300, now_ms=101)
    assert len(replays) == 1
    assert await replays.first_use("a", expires_at_ms=400, now_ms=101)


def test_policy_hides_its_secret_and_refuses_nonsense() -> None:
    assert SECRET not in repr(POLICY)
    with pytest.raises(ValueError, match="empty"):
        SignaturePolicy(secret="", version=1, ttl_seconds=30, operator_tenant_id=OPERATOR)
    with pytest.raises(ValueError, match="at least 1"):
        SignaturePolicy(secret=SECRET, version=0, ttl_seconds=30, operator_tenant_id=OPERATOR)


# --- the ASGI wrapper over HTTP ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now_ms = NOW

    def __call__(self) -> int:
        return self.now_ms


class Inner:
    """The wrapped app: records what reached it and echoes the body it read."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

        async def graphql(request: Request) -> Response:
            body = await request.body()
            self.bodies.append(body)
            return Response(body, media_type="application/json")

        self.app = Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])])


@pytest.fixture
def inner() -> Inner:
    return Inner()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wrapper(inner: Inner, clock: Clock) -> SignedRequests:
    return SignedRequests(
        inner.app,
        secret=SECRET,
        ttl_seconds=TTL_SECONDS,
        version=1,
        operator_tenant_id=OPERATOR,
        clock=clock,
        replays=MemoryReplayGuard(),
    )


@pytest.fixture
async def client(wrapper: SignedRequests) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=wrapper)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        yield client


def signed(body: bytes, **extra: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "signature": sign(body, secret=SECRET, now_ms=NOW),
        **extra,
    }


async def test_signed_request_reaches_the_app_with_its_body_intact(
    client: httpx.AsyncClient, inner: Inner
) -> None:
    raw = json.dumps({"variables": {"name": "Zoë"}, **QUERY}, indent=2, ensure_ascii=False)
    body = raw.encode()

    response = await client.post("/graphql", content=body, headers=signed(body))

    assert response.status_code == 200
    assert response.content == body
    assert inner.bodies == [body]


async def test_signed_body_helper_sends_exactly_what_it_signed(
    client: httpx.AsyncClient, inner: Inner
) -> None:
    header, body = signed_body(QUERY, secret=SECRET, now_ms=NOW)
    headers = {"signature": header, "tenant-id": str(OPERATOR)}

    response = await client.post("/graphql", content=body, headers=headers)

    assert response.status_code == 200
    assert inner.bodies == [body]


async def test_get_without_a_body_is_signed_over_the_empty_object(
    client: httpx.AsyncClient, inner: Inner
) -> None:
    header = sign({}, secret=SECRET, now_ms=NOW)

    response = await client.get("/graphql", headers={"signature": header})

    assert response.status_code == 200
    assert inner.bodies == [b""]


class DownGuard:
    """A replay guard whose store is unreachable; counts the calls it got."""

    def __init__(self) -> None:
        self.calls = 0

    async def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        self.calls += 1
        raise ReplayGuardUnavailable("the database is unreachable (OSError)")


async def test_a_guard_that_cannot_reach_its_store_fails_closed_with_503(inner: Inner) -> None:
    guard = DownGuard()
    wrapper = SignedRequests(
        inner.app,
        secret=SECRET,
        ttl_seconds=TTL_SECONDS,
        version=1,
        operator_tenant_id=OPERATOR,
        clock=lambda: NOW,
        replays=guard,
    )
    transport = httpx.ASGITransport(app=wrapper)
    body = json.dumps(QUERY).encode()
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        down = await client.post("/graphql", content=body, headers=signed(body))
        forged = await client.post(
            "/graphql",
            content=body,
            headers={"signature": sign(body, secret="x" + SECRET, now_ms=NOW)},
        )

    assert down.status_code == 503
    assert down.json() == {
        "error": "unavailable",
        "reason": "the database is unreachable (OSError): cannot check the signature against "
        "replays, try again later",
    }
    assert inner.bodies == []
    assert forged.status_code == 401  # a forged request never reaches the store
    assert guard.calls == 1


BODY = json.dumps(QUERY).encode()


@pytest.mark.parametrize(
    ("headers", "advance_ms", "failure"),
    [
        ({"content-type": "application/json"}, 0, SignatureFailure.MISSING),
        ({"signature": "t=1, v1=abc"}, 0, SignatureFailure.MALFORMED),
        (
            {"signature": sign(BODY, secret="wrong" + SECRET, now_ms=NOW)},
            0,
            SignatureFailure.BAD_SIGNATURE,
        ),
        (
            {"signature": sign(BODY, secret=SECRET, version=2, now_ms=NOW)},
            0,
            SignatureFailure.WRONG_VERSION,
        ),
        (signed(BODY), TTL_MS + 1, SignatureFailure.EXPIRED),
        (signed(BODY), -TTL_MS - 1, SignatureFailure.FROM_THE_FUTURE),
        (signed(BODY, **{"tenant-id": OTHER_TENANT}), 0, SignatureFailure.UNKNOWN_TENANT),
    ],
)
async def test_refused_requests_get_401_and_never_reach_the_app(
    client: httpx.AsyncClient,
    inner: Inner,
    clock: Clock,
    headers: dict[str, str],
    advance_ms: int,
    failure: SignatureFailure,
) -> None:
    clock.now_ms += advance_ms

    response = await client.post("/graphql", content=BODY, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "reason": REASONS[failure]}
    assert inner.bodies == []
    expected = sign(BODY, secret=SECRET, now_ms=NOW).rsplit("=", 1)[1]
    assert expected not in response.text


async def test_replayed_signature_is_refused(client: httpx.AsyncClient, inner: Inner) -> None:
    first = await client.post("/graphql", content=BODY, headers=signed(BODY))
    second = await client.post("/graphql", content=BODY, headers=signed(BODY))

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["reason"] == REASONS[SignatureFailure.REPLAYED]
    assert inner.bodies == [BODY]


async def test_concurrent_identical_requests_are_accepted_once(
    client: httpx.AsyncClient, inner: Inner
) -> None:
    responses = await asyncio.gather(
        *(client.post("/graphql", content=BODY, headers=signed(BODY)) for _ in range(20))
    )

    assert sorted(r.status_code for r in responses) == [200] + [401] * 19
    assert inner.bodies == [BODY]


@pytest.mark.parametrize(
    "body", [b"{not json", b'"a string"', b'{"amount": 9007199254740993}', b"\xff"]
)
async def test_unsignable_body_is_400(client: httpx.AsyncClient, inner: Inner, body: bytes) -> None:
    headers = {"signature": sign({}, secret=SECRET, now_ms=NOW)}

    response = await client.post("/graphql", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert inner.bodies == []


async def test_query_string_is_refused_as_it_is_not_signed(
    client: httpx.AsyncClient, inner: Inner
) -> None:
    headers = {"signature": sign({}, secret=SECRET, now_ms=NOW)}

    response = await client.get("/graphql?query={assets{edges{cursor}}}", headers=headers)

    assert response.status_code == 400
    assert "query parameters" in response.json()["reason"]
    assert inner.bodies == []


async def test_unauthenticated_request_is_refused_before_its_body_is_judged(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", content=b"{not json")

    assert response.status_code == 401


async def _chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 65536):
        yield b" " * 65536


@pytest.mark.parametrize("streamed", [False, True])
async def test_oversize_body_is_413(
    client: httpx.AsyncClient, inner: Inner, *, streamed: bool
) -> None:
    size = MAX_BODY_BYTES + 65536
    content = _chunks(size) if streamed else b" " * size
    headers = {"signature": sign({}, secret=SECRET, now_ms=NOW)}

    response = await client.post("/graphql", content=content, headers=headers)

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert inner.bodies == []


async def test_client_gone_mid_body_reaches_nothing(wrapper: SignedRequests, inner: Inner) -> None:
    incoming: list[Message] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"signature", sign({}, secret=SECRET, now_ms=NOW).encode())],
    }
    await wrapper(scope, receive, send)

    assert sent == []
    assert inner.bodies == []


async def test_websocket_is_closed(wrapper: SignedRequests) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await wrapper({"type": "websocket", "path": "/graphql", "headers": []}, receive, send)

    assert sent == [{"type": "websocket.close", "code": 1008}]


def raw_wrapper(app: ASGIApp) -> SignedRequests:
    return SignedRequests(
        app,
        secret=SECRET,
        ttl_seconds=TTL_SECONDS,
        version=1,
        operator_tenant_id=OPERATOR,
        clock=lambda: NOW,
        replays=MemoryReplayGuard(),
    )


async def test_wrapped_app_gets_the_body_once_then_the_servers_messages() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.extend([await receive(), await receive()])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    incoming: list[Message] = [
        {"type": "http.request", "body": BODY[:10], "more_body": True},
        {"type": "http.request", "body": BODY[10:], "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        pass

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"signature", sign(BODY, secret=SECRET, now_ms=NOW).encode())],
    }
    await raw_wrapper(app)(scope, receive, send)

    assert seen == [
        {"type": "http.request", "body": BODY, "more_body": False},
        {"type": "http.disconnect"},
    ]


async def test_lifespan_passes_through() -> None:
    scopes: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await raw_wrapper(app)({"type": "lifespan"}, receive, send)

    assert scopes == ["lifespan"]
