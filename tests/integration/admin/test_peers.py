"""Peer queries and mutations over HTTP, on SQLite and PostgreSQL (rafiki-peering §2.7-2.9, §4)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from ilpnode.bootstrap import Node

from .conftest import GraphQLClient
from .queries import (
    CREATE_PEER,
    DELETE_PEER,
    GET_PEER,
    PEER_BY_ADDRESS_AND_ASSET,
    PEERS,
    UPDATE_PEER,
)
from .test_assets import create_asset

OUTGOING = {"authToken": "secret-out", "endpoint": "https://peer.example:3002/ilp"}


def peer_input(asset_id: str, address: str = "test.bob", **extra: Any) -> dict[str, Any]:
    return {
        "assetId": asset_id,
        "staticIlpAddress": address,
        "http": {"outgoing": OUTGOING, "incoming": {"authTokens": [f"in-{address}"]}},
        **extra,
    }


async def create_peer(api: GraphQLClient, asset_id: str, **extra: Any) -> dict[str, Any]:
    data = await api.data(CREATE_PEER, {"input": peer_input(asset_id, **extra)})
    peer: dict[str, Any] = data["createPeer"]["peer"]
    return peer


async def test_create_answers_rafikis_shape_and_routes(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(
        api,
        asset["id"],
        name="Bob",
        maxPacketAmount="1000",
        liquidityThreshold=7,
        initialLiquidity="500",
        routes=["g.bobnet"],
    )
    assert peer["name"] == "Bob"
    assert peer["staticIlpAddress"] == "test.bob"
    assert peer["maxPacketAmount"] == "1000"
    assert peer["liquidityThreshold"] == "7"
    assert peer["liquidity"] == "500"
    assert peer["routes"] == ["test.bob", "g.bobnet"]
    assert peer["http"] == {"outgoing": OUTGOING}
    assert peer["asset"] == {"id": asset["id"], "code": "USD", "scale": 2}
    assert (await api.data(GET_PEER, {"id": peer["id"]}))["peer"] == peer
    # the incoming token authenticates at the connector, and only digests are stored
    assert str(node.token_index.peer_for_token("in-test.bob")) == peer["id"]


async def test_create_errors_in_rafikis_order(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    assert await api.error(CREATE_PEER, {"input": peer_input(asset["id"], "test.hello!")}) == (
        "BAD_USER_INPUT",
        "invalid ILP address",
    )
    bad_endpoint = peer_input(asset["id"])
    bad_endpoint["http"]["outgoing"] = {"authToken": "t", "endpoint": "http://.com"}
    assert await api.error(CREATE_PEER, {"input": bad_endpoint}) == (
        "BAD_USER_INPUT",
        "invalid HTTP endpoint",
    )
    assert await api.error(CREATE_PEER, {"input": peer_input(str(uuid4()))}) == (
        "NOT_FOUND",
        "unknown asset",
    )
    await create_peer(api, asset["id"])
    assert await api.error(CREATE_PEER, {"input": peer_input(asset["id"])}) == (
        "DUPLICATE",
        "duplicate peer found for same ILP address and asset",
    )
    clash = peer_input(asset["id"], "test.carol")
    clash["http"]["incoming"] = {"authTokens": ["in-test.bob"]}
    assert await api.error(CREATE_PEER, {"input": clash}) == (
        "DUPLICATE",
        "duplicate incoming token",
    )
    twice = peer_input(asset["id"], "test.dave")
    twice["http"]["incoming"] = {"authTokens": ["same", "same"]}
    assert await api.error(CREATE_PEER, {"input": twice}) == (
        "DUPLICATE",
        "duplicate incoming token",
    )
    code, _ = await api.error(
        CREATE_PEER, {"input": peer_input(asset["id"], "test.erin", maxPacketAmount="-1")}
    )
    assert code == "BAD_USER_INPUT"
    peers = await api.data(PEERS)
    assert [e["node"]["staticIlpAddress"] for e in peers["peers"]["edges"]] == ["test.bob"]


async def test_same_address_in_two_assets(api: GraphQLClient) -> None:
    usd = await create_asset(api)
    eur = await create_asset(api, "EUR")
    in_usd = await create_peer(api, usd["id"])
    in_eur = await create_peer(
        api,
        eur["id"],
        http={"outgoing": OUTGOING, "incoming": {"authTokens": ["eur-token"]}},
    )
    lookup = {"staticIlpAddress": "test.bob.wallet", "assetId": eur["id"]}
    found = await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup)
    assert found["peerByAddressAndAsset"]["id"] == in_eur["id"]
    lookup["assetId"] = usd["id"]
    found = await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup)
    assert found["peerByAddressAndAsset"]["id"] == in_usd["id"]
    lookup["staticIlpAddress"] = "test.nobody"
    assert (await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup))["peerByAddressAndAsset"] is None


async def test_update_patches_and_resyncs_routes(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], name="Bob", liquidityThreshold=5)
    data = await api.data(
        UPDATE_PEER,
        {"input": {"id": peer["id"], "staticIlpAddress": "test.robert", "routes": ["g.far"]}},
    )
    updated = data["updatePeer"]["peer"]
    assert updated["staticIlpAddress"] == "test.robert"
    assert updated["routes"] == ["test.robert", "g.far"]
    assert updated["name"] == "Bob"  # omitted: kept
    assert updated["liquidityThreshold"] == "5"
    lookup = {"staticIlpAddress": "test.bob", "assetId": asset["id"]}
    assert (await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup))["peerByAddressAndAsset"] is None
    lookup["staticIlpAddress"] = "g.far.x"
    assert (await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup))["peerByAddressAndAsset"] == {
        "id": peer["id"],
        "name": "Bob",
    }
    data = await api.data(
        UPDATE_PEER,
        {
            "input": {
                "id": peer["id"],
                "liquidityThreshold": None,
                "http": {
                    "outgoing": {"authToken": "new-out", "endpoint": "http://other.example"},
                    "incoming": {"authTokens": ["fresh"]},
                },
            }
        },
    )
    updated = data["updatePeer"]["peer"]
    assert updated["liquidityThreshold"] is None
    assert updated["http"]["outgoing"]["authToken"] == "new-out"
    assert node.token_index.peer_for_token("in-test.bob") is None
    assert str(node.token_index.peer_for_token("fresh")) == peer["id"]
    assert await api.error(UPDATE_PEER, {"input": {"id": str(uuid4()), "name": "x"}}) == (
        "NOT_FOUND",
        "unknown peer",
    )
    assert await api.error(
        UPDATE_PEER, {"input": {"id": peer["id"], "staticIlpAddress": "nope"}}
    ) == ("BAD_USER_INPUT", "invalid ILP address")


async def test_delete_removes_routes_and_tokens(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    assert (await api.data(DELETE_PEER, {"input": {"id": peer["id"]}}))["deletePeer"] == {
        "success": True
    }
    assert await api.error(GET_PEER, {"id": peer["id"]}) == ("NOT_FOUND", "unknown peer")
    assert await api.error(DELETE_PEER, {"input": {"id": peer["id"]}}) == (
        "NOT_FOUND",
        "unknown peer",
    )
    assert node.token_index.peer_for_token("in-test.bob") is None
    assert node.routing.next_hop("test.bob") is None


async def test_peers_page(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    ids = [(await create_peer(api, asset["id"], address=f"test.p{i}"))["id"] for i in range(5)]
    page = (await api.data(PEERS, {"first": 2}))["peers"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[::-1][:2]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(PEERS, {"first": 5, "after": page["pageInfo"]["endCursor"]}))["peers"]
    assert [e["node"]["id"] for e in rest["edges"]] == ids[::-1][2:]
    assert rest["pageInfo"] == {
        "startCursor": ids[2],
        "endCursor": ids[0],
        "hasNextPage": False,
        "hasPreviousPage": True,
    }


async def test_delete_refuses_a_peer_that_still_has_liquidity(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], initialLiquidity="10")
    assert await api.error(DELETE_PEER, {"input": {"id": peer["id"]}}) == (
        "FORBIDDEN",
        "Cannot delete! Peer has liquidity: withdraw it first.",
    )
    assert (await api.data(GET_PEER, {"id": peer["id"]}))["peer"]["liquidity"] == "10"
