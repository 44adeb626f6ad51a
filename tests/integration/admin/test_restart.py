"""Restart the node: every asset, peer, route, token and balance is back."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from ilpnode.bootstrap import build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import ASSETS, DEPOSIT_PEER, GET_PEER, PEER_BY_ADDRESS_AND_ASSET, PEERS
from .test_assets import create_asset
from .test_peers import create_peer


async def test_everything_is_back_after_a_restart(node_settings: dict[str, Any]) -> None:
    node = build_node(make_settings(**node_settings))
    await node.start()
    try:
        api = GraphQLClient(node)
        usd = await create_asset(api)
        peers = [
            await create_peer(api, usd["id"], address=f"test.peer{i}", routes=[f"g.net{i}"])
            for i in range(25)  # more than one default page (Rafiki reloads only 20)
        ]
        deposit = {"peerId": peers[0]["id"], "amount": "1234", "id": str(uuid4())}
        await api.data(DEPOSIT_PEER, {"input": {**deposit, "idempotencyKey": str(uuid4())}})
        before_assets = await api.data(ASSETS)
        before_peer = await api.data(GET_PEER, {"id": peers[0]["id"]})
    finally:
        await node.close()

    node = build_node(make_settings(**node_settings))
    await node.start()
    try:
        api = GraphQLClient(node)
        assert await api.data(ASSETS) == before_assets
        assert await api.data(GET_PEER, {"id": peers[0]["id"]}) == before_peer
        assert before_peer["peer"]["liquidity"] == "1234"
        listed = await api.data(PEERS, {"first": 100})
        assert len(listed["peers"]["edges"]) == 25
        for i, peer in enumerate(peers):
            lookup = {"staticIlpAddress": f"g.net{i}.alice", "assetId": usd["id"]}
            found = await api.data(PEER_BY_ADDRESS_AND_ASSET, lookup)
            assert found["peerByAddressAndAsset"]["id"] == peer["id"]
            assert str(node.token_index.peer_for_token(f"in-test.peer{i}")) == peer["id"]
    finally:
        await node.close()
