"""The signed GraphQL client against a fake transport: what it sends (a signature the node's
own verifier accepts) and how each kind of failure becomes one sentence."""

from __future__ import annotations

import json
from uuid import UUID

import httpx
import pytest

from ilpnode.admin.signature import (
    REASONS,
    SignatureFailure,
    SignaturePolicy,
    parse_json_body,
)
from ilpnode.admin.signed_requests import verify
from ilpnode.cli_admin.client import (
    AdminClient,
    GraphQLError,
    GraphQLErrors,
    SignatureRefused,
    UnexpectedAnswer,
    Unreachable,
    graphql_url,
)
from ilpnode.services.replay_guard import MemoryReplayGuard

SECRET = "a-secret-of-at-least-16-chars"
NOW_MS = 1_800_000_000_000


def _client(handler: httpx.MockTransport, secret: str | None = SECRET) -> AdminClient:
    return AdminClient("http://node:3001", secret=secret, transport=handler, clock=lambda: NOW_MS)


async def test_signed_request_passes_the_nodes_own_verifier() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"assets": []}})

    with _client(httpx.MockTransport(handler)) as client:
        data = client.execute("query Q($n: Int) { x }", {"n": 3})

    assert data == {"assets": []}
    [request] = seen
    assert str(request.url) == "http://node:3001/graphql"
    policy = SignaturePolicy(
        secret=SECRET, version=1, ttl_seconds=30, operator_tenant_id=UUID(int=1)
    )
    body = parse_json_body(request.content)
    assert body == {"query": "query Q($n: Int) { x }", "variables": {"n": 3}}
    header = request.headers["signature"]
    assert header.startswith(f"t={NOW_MS}, v1=")
    failure = await verify(
        header, body, tenant_id=None, policy=policy, now_ms=NOW_MS, replays=MemoryReplayGuard()
    )
    assert failure is None
    wrong = SignaturePolicy(
        secret="another-secret-entirely", version=1, ttl_seconds=30, operator_tenant_id=UUID(int=1)
    )
    refused = await verify(
        header, body, tenant_id=None, policy=wrong, now_ms=NOW_MS, replays=MemoryReplayGuard()
    )
    assert refused is SignatureFailure.BAD_SIGNATURE


def test_without_a_secret_the_request_is_unsigned_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"ok": True}})

    with _client(httpx.MockTransport(handler), secret=None) as client:
        client.execute("{ ok }", {})

    assert "signature" not in seen[0].headers
    assert json.loads(seen[0].content) == {"query": "{ ok }", "variables": {}}


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://h:3001", "http://h:3001/graphql"),
        ("http://h:3001/", "http://h:3001/graphql"),
        ("https://h/admin/graphql", "https://h/admin/graphql"),
        ("https://h/admin/", "https://h/admin/graphql"),
    ],
)
def test_graphql_url(url: str, endpoint: str) -> None:
    assert graphql_url(url) == endpoint


def _answering(response: httpx.Response) -> AdminClient:
    return _client(httpx.MockTransport(lambda _request: response))


def test_401_is_a_refused_signature() -> None:
    body = {"error": "unauthorized", "reason": REASONS[SignatureFailure.BAD_SIGNATURE]}
    with pytest.raises(SignatureRefused) as caught:
        _answering(httpx.Response(401, json=body)).execute("{ x }", {})
    assert caught.value.message == (
        "the Admin API refused the signature (is ADMIN_API_SECRET right?)"
    )


def test_401_for_an_expired_signature_points_at_the_clock() -> None:
    body = {"error": "unauthorized", "reason": REASONS[SignatureFailure.EXPIRED]}
    with pytest.raises(
        SignatureRefused, match=r"signature expired \(is this computer's clock right\?\)"
    ):
        _answering(httpx.Response(401, json=body)).execute("{ x }", {})


def test_graphql_errors_keep_message_and_code() -> None:
    body = {
        "data": None,
        "errors": [
            {"message": "Asset already exists", "extensions": {"code": "DUPLICATE"}},
            {"message": "no code here"},
        ],
    }
    with pytest.raises(GraphQLErrors) as caught:
        _answering(httpx.Response(400, json=body)).execute("{ x }", {})
    assert caught.value.errors == (
        GraphQLError("Asset already exists", "DUPLICATE"),
        GraphQLError("no code here", None),
    )
    assert caught.value.message == "Asset already exists (DUPLICATE); no code here"


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(404, text="Not Found"), "answered HTTP 404, not GraphQL"),
        (
            httpx.Response(503, json={"error": "the node is starting"}),
            "answered HTTP 503: the node is starting, not GraphQL",
        ),
        (httpx.Response(200, json=[1, 2]), "answered HTTP 200, not GraphQL"),
        (httpx.Response(401, text="Bearer token required"), "answered HTTP 401, not GraphQL"),
        (httpx.Response(200, json={"data": None}), "answered without data"),
    ],
)
def test_answers_that_are_not_graphql(response: httpx.Response, words: str) -> None:
    with pytest.raises(UnexpectedAnswer, match=words):
        _answering(response).execute("{ x }", {})


@pytest.mark.parametrize(
    ("exception", "words"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "Connection refused"),
        (httpx.ReadTimeout("timed out"), "no answer in time"),
        (httpx.ConnectTimeout("timed out"), "no answer in time"),
        (httpx.RemoteProtocolError(""), "RemoteProtocolError"),
    ],
)
def test_transport_failures_are_unreachable(exception: Exception, words: str) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise exception

    with pytest.raises(Unreachable) as caught:
        _client(httpx.MockTransport(handler)).execute("{ x }", {})
    assert caught.value.message.startswith(
        "cannot reach the Admin API at http://node:3001/graphql: "
    )
    assert words in caught.value.message
