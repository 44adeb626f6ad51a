"""SPSP (RFC 0009) on the Open Payments app, in-process: each Accept, the receipt headers, 404s,
CORS, hostile requests, and that the credentials open with `open_connection` to the wallet
address (payment tag = its id's 16 bytes, under the node's ILP address)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any
from uuid import UUID

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from ilpnode.ilp.stream import open_connection
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import UPDATE_WALLET_ADDRESS
from .test_assets import create_asset
from .test_wallet_addresses import create_wallet_address

BASE = "https://wallet.example"
NODE_ADDRESS = "test.spsp"
SPSP = "application/spsp4+json"


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    started = build_node(
        make_settings(**node_settings, open_payments_url=BASE, ilp_address=NODE_ADDRESS)
    )
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def web(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=node.open_payments_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://op.internal") as client:
        yield client


@pytest.fixture
async def alice(api: GraphQLClient) -> dict[str, Any]:
    asset = await create_asset(api, "EUR", 2)
    return await create_wallet_address(api, asset["id"], "alice", publicName="Alice")


def unpadded_b64url(text: str) -> bytes:
    assert "=" not in text
    assert "+" not in text
    assert "/" not in text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_spsp_answers_fresh_credentials_that_open_to_the_wallet_address(
    node: Node, web: httpx.AsyncClient, alice: dict[str, Any]
) -> None:
    answers = []
    for accept in (SPSP, f"{SPSP}, application/spsp+json", f"application/json, {SPSP};q=0.9"):
        response = await web.get("/alice", headers={"accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == SPSP
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["access-control-allow-origin"] == "*"
        answers.append(response.json())
    body = answers[0]
    assert set(body) == {"destination_account", "shared_secret", "receipts_enabled"}
    assert body["receipts_enabled"] is False
    assert body["destination_account"].startswith(f"{NODE_ADDRESS}.")
    shared_secret = unpadded_b64url(body["shared_secret"])
    assert len(shared_secret) == 32
    assert node.stream_secret is not None
    token = open_connection(node.stream_secret.value, body["destination_account"], NODE_ADDRESS)
    assert token is not None
    assert token.payment_tag == UUID(alice["id"]).bytes
    assert token.shared_secret == shared_secret
    assert (token.asset_code, token.asset_scale) == ("EUR", 2)
    assert token.receipts_enabled is False
    # A new connection for each request: no state kept, none shared.
    assert len({answer["destination_account"] for answer in answers}) == 3
    assert len({answer["shared_secret"] for answer in answers}) == 3
    # The payment tag names exactly the wallet address the directory hands the receiver.
    entry = node.wallet_address_directory.by_payment_tag(token.payment_tag)
    assert entry is not None
    assert entry.url == f"{BASE}/alice"
    # The path's case does not matter (addresses are lowercase).
    assert (await web.get("/ALICE", headers={"accept": SPSP})).status_code == 200


async def test_receipt_headers(node: Node, web: httpx.AsyncClient, alice: dict[str, Any]) -> None:
    nonce, secret = bytes(range(16)), bytes(range(100, 132))
    headers = {
        "accept": SPSP,
        "receipt-nonce": base64.b64encode(nonce).decode(),
        "receipt-secret": base64.b64encode(secret).decode(),
    }
    response = await web.get("/alice", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["receipts_enabled"] is True
    assert node.stream_secret is not None
    token = open_connection(node.stream_secret.value, body["destination_account"], NODE_ADDRESS)
    assert token is not None
    assert (token.receipt_nonce, token.receipt_secret) == (nonce, secret)
    # URL-safe base64 without padding is read as well (Node's Buffer reads both).
    urlsafe = {
        "accept": SPSP,
        "receipt-nonce": base64.urlsafe_b64encode(nonce).decode().rstrip("="),
        "receipt-secret": base64.urlsafe_b64encode(secret).decode().rstrip("="),
    }
    assert (await web.get("/alice", headers=urlsafe)).json()["receipts_enabled"] is True

    alone = [
        {"receipt-nonce": headers["receipt-nonce"]},
        {"receipt-secret": headers["receipt-secret"]},
    ]
    for half in alone:
        refused = await web.get("/alice", headers={"accept": SPSP, **half})
        assert refused.status_code == 400
        assert refused.json()["message"] == (
            "Failed to generate credentials: receipt nonce and secret must accompany each other"
        )
    wrong = [
        ({**headers, "receipt-nonce": base64.b64encode(bytes(15)).decode()}, "Receipt-Nonce"),
        ({**headers, "receipt-nonce": "not base64!"}, "Receipt-Nonce"),
        ({**headers, "receipt-secret": base64.b64encode(bytes(31)).decode()}, "Receipt-Secret"),
        ({**headers, "receipt-secret": "A" * 5000}, "Receipt-Secret"),
    ]
    for bad, named in wrong:
        refused = await web.get("/alice", headers=bad)
        assert refused.status_code == 400
        body = refused.json()
        assert body["id"] == "InvalidRequestError"
        assert named in body["message"]
        assert body["error"] == {"code": "400", "description": body["message"]}


async def get_without_accept(node: Node, path: str) -> tuple[int, Any]:
    """GET `path` with no Accept header at all (httpx always sends one)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"op.internal")],
        "client": ("127.0.0.1", 1),
        "server": ("op.internal", 80),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await node.open_payments_app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


async def test_plain_json_is_the_public_description(
    node: Node, web: httpx.AsyncClient, alice: dict[str, Any]
) -> None:
    description = {
        "id": f"{BASE}/alice",
        "publicName": "Alice",
        "assetCode": "EUR",
        "assetScale": 2,
    }
    for accept in ("application/json", "*/*", "application/*", "text/html, application/json"):
        response = await web.get("/alice", headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == description
    response = await web.get("/alice", headers={"accept": ""})
    assert response.status_code == 406
    status, without = await get_without_accept(node, "/alice")
    assert status == 200
    assert without == description
    for accept in ("text/html", "application/xml", "application/json;q=0", "image/*"):
        refused = await web.get("/alice", headers={"accept": accept})
        assert refused.status_code == 406, accept
        assert refused.json()["id"] == "NotAcceptableError"


async def test_no_public_name_is_left_out(api: GraphQLClient, web: httpx.AsyncClient) -> None:
    asset = await create_asset(api)
    await create_wallet_address(api, asset["id"], "shop/bob")
    response = await web.get("/shop/bob", headers={"accept": "application/json"})
    assert response.json() == {"id": f"{BASE}/shop/bob", "assetCode": "USD", "assetScale": 2}


async def test_unknown_and_inactive_wallet_addresses_are_404(
    api: GraphQLClient, web: httpx.AsyncClient, alice: dict[str, Any]
) -> None:
    hostile = [
        "/nobody",
        "/",
        "/alice/",
        "/alice/incoming-payments",
        "/%00",
        "/al%C3%AFce",
        "/" + "a" * 5000,
        "/alice?x=1".replace("?", "%3F"),
    ]
    for path in hostile:
        for accept in (SPSP, "application/json"):
            response = await web.get(path, headers={"accept": accept})
            assert response.status_code == 404, path
            body = response.json()
            assert body["id"] == "InvalidReceiverError"
            assert body["message"] == "Could not get wallet address"
            assert response.headers["access-control-allow-origin"] == "*"
    # A query string is not part of the address: the path alone names it.
    assert (await web.get("/alice?x=1", headers={"accept": SPSP})).status_code == 200
    await api.data(UPDATE_WALLET_ADDRESS, {"input": {"id": alice["id"], "status": "INACTIVE"}})
    for accept in (SPSP, "application/json"):
        assert (await web.get("/alice", headers={"accept": accept})).status_code == 404
    await api.data(UPDATE_WALLET_ADDRESS, {"input": {"id": alice["id"], "status": "ACTIVE"}})
    assert (await web.get("/alice", headers={"accept": SPSP})).status_code == 200


async def test_cors_preflight_and_other_methods(
    node: Node, web: httpx.AsyncClient, alice: dict[str, Any]
) -> None:
    preflight = await web.options(
        "/alice",
        headers={
            "origin": "https://site.example",
            "access-control-request-method": "GET",
            "access-control-request-headers": "web-monetization-id",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "web-monetization-id" in preflight.headers["access-control-allow-headers"]
    assert "GET" in preflight.headers["access-control-allow-methods"]
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = await web.request(method, "/alice", headers={"accept": SPSP}, content=b"x")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert len(node.wallet_address_directory) == 1  # nothing a request sends changes anything


async def test_before_the_node_starts_the_port_answers_503(
    node_settings: dict[str, Any],
) -> None:
    idle = build_node(make_settings(**node_settings))
    transport = httpx.ASGITransport(app=idle.open_payments_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://op.internal") as client:
        response = await client.get("/alice", headers={"accept": SPSP})
    assert response.status_code == 503
    await idle.database.close()
