"""The auto-peering server in-process (httpx.ASGITransport), on SQLite and PostgreSQL: a Rafiki
request is answered with Rafiki's JSON and peers us; every bad request is refused with a clear
400/401/404/409/413/415 and changes nothing (409: a peer made by hand is never taken over)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import DELETE_PEER, GET_PEER, PEERS
from .test_assets import create_asset
from .test_peers import create_peer

SECRET = "peering-secret-0123456789"
GRANT = 5_000_000
IDENTITY = {
    "ilp_address": "test.bob",
    "ilp_connector_url": "http://bob.example:3002",
    "instance_name": "BOB",
    "enable_auto_peering": True,
    "auto_peering_default_liquidity": GRANT,
}


def peering_request(**changes: Any) -> dict[str, Any]:
    """Rafiki's request, as a Rafiki node named CLOUD-NINE sends it."""
    body: dict[str, Any] = {
        "ilpConnectorUrl": "http://cloud-nine.example:3002",
        "staticIlpAddress": "test.cloud-nine",
        "asset": {"code": "USD", "scale": 2},
        "httpToken": "0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10",
        "maxPacketAmount": 10000,
        "name": "CLOUD-NINE",
    }
    for key, value in changes.items():
        if value is DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


DROP = object()


async def _started(node_settings: dict[str, Any], **extra: Any) -> AsyncIterator[Node]:
    node = build_node(make_settings(**node_settings, **IDENTITY, **extra))
    await node.start()
    try:
        yield node
    finally:
        await node.close()


@pytest.fixture
async def bob(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    async for node in _started(node_settings):
        yield node


@pytest.fixture
async def guarded(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    async for node in _started(node_settings, auto_peering_secret=SECRET):
        yield node


async def post(node: Node, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.auto_peering_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bob:3005") as client:
        if isinstance(body, bytes):
            return await client.post(
                "/", content=body, headers={"content-type": "application/json", **(headers or {})}
            )
        return await client.post("/", json=body, headers=headers)


async def peers_of(node: Node) -> list[dict[str, Any]]:
    data = await GraphQLClient(node).data(PEERS)
    return [edge["node"] for edge in data["peers"]["edges"]]


async def test_a_rafiki_request_is_answered_with_rafikis_json(bob: Node) -> None:
    api = GraphQLClient(bob)
    await create_asset(api, "USD", 2)

    response = await post(bob, peering_request())

    assert response.status_code == 200
    answer = response.json()
    assert answer == {
        "staticIlpAddress": "test.bob",
        "ilpConnectorUrl": "http://bob.example:3002",
        "httpToken": answer["httpToken"],
        "name": "BOB",
        "tenantId": str(bob.settings.operator_tenant_id),
    }
    assert all(isinstance(value, str) for value in answer.values())
    assert len(answer["httpToken"]) >= 43
    [listed] = await peers_of(bob)
    peer = (await api.data(GET_PEER, {"id": listed["id"]}))["peer"]
    assert peer["staticIlpAddress"] == "test.cloud-nine"
    assert peer["name"] == "CLOUD-NINE"
    assert peer["maxPacketAmount"] == "10000"
    assert peer["liquidity"] == str(GRANT)
    assert peer["http"]["outgoing"] == {
        "authToken": answer["httpToken"],
        "endpoint": "http://cloud-nine.example:3002",
    }
    # the requester's token is now accepted by our connector, for that peer
    assert str(bob.token_index.peer_for_token("0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10")) == peer["id"]


async def test_asking_again_updates_the_peer_and_rotates_the_tokens(bob: Node) -> None:
    await create_asset(GraphQLClient(bob), "USD", 2)
    first = (await post(bob, peering_request())).json()

    second = await post(
        bob, peering_request(httpToken="second-token", ilpConnectorUrl="http://c9.example:9")
    )

    assert second.status_code == 200
    assert second.json()["httpToken"] != first["httpToken"]
    [peer] = await peers_of(bob)
    assert bob.token_index.peer_for_token("0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10") is None
    assert str(bob.token_index.peer_for_token("second-token")) == peer["id"]
    forwarding = bob.directory.get(bob.token_index.peer_for_token("second-token"))
    assert forwarding is not None
    assert forwarding.endpoint == "http://c9.example:9"
    assert forwarding.outgoing_token == second.json()["httpToken"]
    liquidity = (await GraphQLClient(bob).data(GET_PEER, {"id": peer["id"]}))["peer"]["liquidity"]
    assert liquidity == str(GRANT)  # no second credit line


async def test_a_request_cannot_take_over_a_peer_made_by_hand(bob: Node) -> None:
    api = GraphQLClient(bob)
    asset = await create_asset(api, "USD", 2)
    manual = await create_peer(api, asset["id"], address="test.cloud-nine", name="by hand")
    before = (await api.data(GET_PEER, {"id": manual["id"]}))["peer"]

    response = await post(bob, peering_request())

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["type"], error["field"]) == (
        409,
        "PeerNotAutoPeered",
        "staticIlpAddress",
    )
    assert error["message"].startswith(
        "A peer with this address and asset exists and was not auto-peered: "
    )
    assert "delete that peer or change its static ILP address" in error["message"]
    assert (await api.data(GET_PEER, {"id": manual["id"]}))["peer"] == before
    assert [peer["id"] for peer in await peers_of(bob)] == [manual["id"]]
    assert str(bob.token_index.peer_for_token("in-test.cloud-nine")) == manual["id"]
    assert bob.token_index.peer_for_token("0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10") is None
    forwarding = bob.directory.get(bob.token_index.peer_for_token("in-test.cloud-nine"))
    assert forwarding is not None
    assert forwarding.endpoint == before["http"]["outgoing"]["endpoint"]

    # what the message tells the operator: delete the manual peer, and the request peers
    assert (await api.data(DELETE_PEER, {"input": {"id": manual["id"]}}))["deletePeer"]["success"]
    created = await post(bob, peering_request())
    assert created.status_code == 200
    # that peer is auto-peered (stored so): asking again updates it
    again = await post(bob, peering_request(httpToken="second-token"))
    assert again.status_code == 200
    [peer] = await peers_of(bob)
    assert str(bob.token_index.peer_for_token("second-token")) == peer["id"]


@pytest.mark.parametrize(
    ("body", "status", "kind", "field"),
    [
        (
            peering_request(staticIlpAddress=DROP),
            400,
            "InvalidPeerIlpConfiguration",
            "staticIlpAddress",
        ),
        (
            peering_request(staticIlpAddress="cloud-nine"),
            400,
            "InvalidPeerIlpConfiguration",
            "staticIlpAddress",
        ),
        (
            peering_request(staticIlpAddress="test.bob"),
            400,
            "InvalidPeeringRequest",
            "staticIlpAddress",
        ),
        (
            peering_request(ilpConnectorUrl=DROP),
            400,
            "InvalidPeerIlpConfiguration",
            "ilpConnectorUrl",
        ),
        (
            peering_request(ilpConnectorUrl="cloud-nine:3002"),
            400,
            "InvalidPeerIlpConfiguration",
            "ilpConnectorUrl",
        ),
        (peering_request(asset=DROP), 400, "InvalidPeeringRequest", "asset"),
        (peering_request(asset={"code": "USD"}), 400, "InvalidPeeringRequest", "asset.scale"),
        (peering_request(asset={"scale": 2}), 400, "InvalidPeeringRequest", "asset.code"),
        (peering_request(asset={"code": "EUR", "scale": 2}), 404, "UnknownAsset", "asset"),
        (peering_request(asset={"code": "USD", "scale": 9}), 404, "UnknownAsset", "asset"),
        (peering_request(httpToken=DROP), 400, "InvalidPeeringRequest", "httpToken"),
        (peering_request(httpToken=""), 400, "InvalidPeeringRequest", "httpToken"),
        (peering_request(httpToken="bad\ntoken"), 400, "InvalidPeeringRequest", "httpToken"),
        (peering_request(maxPacketAmount=-5), 400, "InvalidPeeringRequest", "maxPacketAmount"),
        (peering_request(maxPacketAmount="10"), 400, "InvalidPeeringRequest", "maxPacketAmount"),
        (peering_request(name=["x"]), 400, "InvalidPeeringRequest", "name"),
        ([peering_request()], 400, "InvalidPeeringRequest", None),
        (b"{not json", 400, "InvalidPeeringRequest", None),
        (b"", 400, "InvalidPeeringRequest", None),
    ],
)
async def test_bad_requests_are_refused_naming_the_field_and_create_nothing(
    bob: Node, body: Any, status: int, kind: str, field: str | None
) -> None:
    await create_asset(GraphQLClient(bob), "USD", 2)

    response = await post(bob, body)

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status
    assert error["type"] == kind
    assert error.get("field") == field
    assert error["message"].split(": ", 1)[1]  # Rafiki's message, then the detail
    if field is not None:
        assert field in error["message"]
    assert await peers_of(bob) == []
    assert len(bob.token_index) == 0


async def test_not_json_oversized_and_wrong_methods_are_refused(bob: Node) -> None:
    await create_asset(GraphQLClient(bob), "USD", 2)
    transport = httpx.ASGITransport(app=bob.auto_peering_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bob:3005") as client:
        form = await client.post("/", data={"staticIlpAddress": "test.x"})
        plain = await client.post(
            "/", content=json.dumps(peering_request()), headers={"content-type": "text/plain"}
        )
        big = await client.post("/", json=peering_request(name="x" * 70_000))

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b" " * 1024

        streamed = await client.post(
            "/", content=chunks(), headers={"content-type": "application/json"}
        )
        get = await client.get("/")
        elsewhere = await client.post("/peer", json=peering_request())

    assert (form.status_code, plain.status_code) == (415, 415)
    assert "Content-Type: application/json" in plain.json()["error"]["message"]
    assert plain.json()["error"]["code"] == 415
    assert (big.status_code, streamed.status_code) == (413, 413)
    assert "larger than 65536 bytes" in streamed.json()["error"]["message"]
    assert (get.status_code, elsewhere.status_code) == (405, 404)
    assert await peers_of(bob) == []


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-secret-0123456789", _basic("ilpnode", "wrong"), "Basic !!!", SECRET],
)
async def test_a_wrong_or_missing_secret_is_refused(
    guarded: Node, authorization: str | None
) -> None:
    await create_asset(GraphQLClient(guarded), "USD", 2)

    headers = {} if authorization is None else {"authorization": authorization}
    response = await post(guarded, peering_request(), headers)

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "Unauthorized"
    assert response.json()["error"]["code"] == 401
    assert "www-authenticate" in response.headers
    assert await peers_of(guarded) == []


@pytest.mark.parametrize(
    "authorization", [f"Bearer {SECRET}", _basic("ilpnode", SECRET), _basic("", SECRET)]
)
async def test_the_secret_is_accepted_as_bearer_or_basic(guarded: Node, authorization: str) -> None:
    await create_asset(GraphQLClient(guarded), "USD", 2)

    response = await post(guarded, peering_request(), {"authorization": authorization})

    assert response.status_code == 200, response.text
    assert len(await peers_of(guarded)) == 1


async def test_a_secret_in_the_peer_url_reaches_the_server(guarded: Node) -> None:
    """What a peer does with `http://ilpnode:SECRET@host:3005/` (httpx here, axios in Rafiki)."""
    await create_asset(GraphQLClient(guarded), "USD", 2)
    transport = httpx.ASGITransport(app=guarded.auto_peering_app)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post(f"http://ilpnode:{SECRET}@bob:3005/", json=peering_request())

    assert response.status_code == 200, response.text


async def test_before_the_start_it_answers_503(node_settings: dict[str, Any]) -> None:
    node = build_node(make_settings(**node_settings, **IDENTITY))
    try:
        response = await post(node, peering_request())
    finally:
        await node.close()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == 503
