"""`createOrUpdatePeerByUrl` between two in-process nodes: Alice's mutation reaches Bob's
auto-peering app (httpx mounts on ASGI transports, no ports); both end up peered with each
other's tokens; errors carry Rafiki's codes and messages; a refusal creates nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from ariadne.asgi import GraphQL

from ilpnode.admin.graphql import create_graphql_app
from ilpnode.bootstrap import Node, build_node
from ilpnode.services.peering.autopeering import AutoPeeringService, NodeIdentity
from ilpnode.services.peering.autopeering.http_client import HttpPeeringClient
from tests.support import free_port, make_settings

from .conftest import GraphQLClient
from .queries import PEERS
from .test_assets import create_asset

GRANT = 1_000_000
SECRET = "bob-peering-secret-0123"
BOB_URL = "http://bob:3005/"

MUTATION = """
mutation CreateOrUpdatePeerByUrl($input: CreateOrUpdatePeerByUrlInput!) {
  createOrUpdatePeerByUrl(input: $input) {
    peer {
      id name staticIlpAddress maxPacketAmount liquidityThreshold liquidity routes
      http { outgoing { authToken endpoint } }
      asset { code scale }
    }
  }
}
"""


@dataclass
class Pair:
    alice: Node
    bob: Node
    graphql: GraphQL
    http: httpx.AsyncClient

    async def mutate(self, **input: Any) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=self.graphql)
        async with httpx.AsyncClient(transport=transport, base_url="http://alice") as client:
            response = await client.post(
                "/graphql", json={"query": MUTATION, "variables": {"input": input}}
            )
        body: dict[str, Any] = response.json()
        return body

    async def peer(self, **input: Any) -> dict[str, Any]:
        body = await self.mutate(**input)
        assert "errors" not in body, body
        peer: dict[str, Any] = body["data"]["createOrUpdatePeerByUrl"]["peer"]
        return peer

    async def error(self, **input: Any) -> tuple[str, str]:
        body = await self.mutate(**input)
        [error] = body["errors"]
        assert body["data"] is None
        return error["extensions"]["code"], error["message"]


def _node(tmp_path: Path, name: str, **settings: Any) -> Node:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / name}.sqlite3",
        "ilp_address": f"test.{name}",
        "ilp_connector_url": f"http://{name}.example:3002",
        "instance_name": name.upper(),
    }
    values.update(settings)
    return build_node(make_settings(**values))


async def _pair(
    tmp_path: Path, *, alice: dict[str, Any], bob: dict[str, Any]
) -> AsyncIterator[Pair]:
    a = _node(tmp_path, "alice", **alice)
    b = _node(
        tmp_path,
        "bob",
        enable_auto_peering=True,
        auto_peering_default_liquidity=GRANT,
        **bob,
    )
    await a.start()
    await b.start()
    http = httpx.AsyncClient(
        mounts={
            "all://bob": httpx.ASGITransport(app=b.auto_peering_app),
            "all://bob-admin": httpx.ASGITransport(app=b.admin_app),
        }
    )
    assert a.services is not None
    settings = a.settings
    service = AutoPeeringService(
        assets=a.services.assets,
        peers=a.services.peers,
        liquidity=a.services.liquidity,
        client=HttpPeeringClient(http),
        identity=NodeIdentity(
            ilp_address=settings.ilp_address,
            ilp_connector_url=settings.ilp_connector_url,
            instance_name=settings.instance_name,
            tenant_id=str(settings.operator_tenant_id),
        ),
        default_liquidity=settings.auto_peering_default_liquidity,
    )
    graphql = create_graphql_app(replace(a.services, auto_peering=service))
    try:
        yield Pair(a, b, graphql, http)
    finally:
        await http.aclose()
        await a.close()
        await b.close()


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    async for made in _pair(tmp_path, alice={}, bob={}):
        yield made


async def peers_of(node: Node) -> list[dict[str, Any]]:
    data = await GraphQLClient(node).data(PEERS)
    return [edge["node"] for edge in data["peers"]["edges"]]


async def usd(node: Node) -> str:
    asset_id: str = (await create_asset(GraphQLClient(node), "USD", 2))["id"]
    return asset_id


async def test_one_call_peers_both_nodes_with_matching_tokens(pair: Pair) -> None:
    asset_id = await usd(pair.alice)
    await usd(pair.bob)

    peer = await pair.peer(
        peerUrl=BOB_URL,
        assetId=asset_id,
        maxPacketAmount="1000",
        liquidityThreshold="10",
        liquidityToDeposit="700",
    )

    assert peer["name"] == "BOB"
    assert peer["staticIlpAddress"] == "test.bob"
    assert peer["routes"] == ["test.bob"]
    assert (peer["maxPacketAmount"], peer["liquidityThreshold"], peer["liquidity"]) == (
        "1000",
        "10",
        "700",
    )
    assert peer["asset"] == {"code": "USD", "scale": 2}
    assert peer["http"]["outgoing"]["endpoint"] == "http://bob.example:3002"
    [on_bob] = await peers_of(pair.bob)
    assert (on_bob["staticIlpAddress"], on_bob["name"]) == ("test.alice", "ALICE")
    bob_side = pair.bob.directory.get(
        pair.bob.token_index.peer_for_token(peer["http"]["outgoing"]["authToken"])
    )
    assert bob_side is not None
    assert str(bob_side.id) == on_bob["id"]
    assert bob_side.endpoint == "http://alice.example:3002"
    assert bob_side.max_packet_amount == 1000
    assert str(pair.alice.token_index.peer_for_token(bob_side.outgoing_token)) == peer["id"]
    assert await GraphQLClient(pair.bob).data(
        "query($id: String!) { peer(id: $id) { liquidity } }", {"id": on_bob["id"]}
    ) == {"peer": {"liquidity": str(GRANT)}}


async def test_calling_again_updates_both_sides_and_retires_the_old_tokens(pair: Pair) -> None:
    asset_id = await usd(pair.alice)
    await usd(pair.bob)
    first = await pair.peer(peerUrl=BOB_URL, assetId=asset_id)
    old_alice_token = first["http"]["outgoing"]["authToken"]
    bob_id = pair.bob.token_index.peer_for_token(old_alice_token)
    bob_side = pair.bob.directory.get(bob_id)
    assert bob_side is not None
    old_bob_token = bob_side.outgoing_token

    again = await pair.peer(
        peerUrl=BOB_URL, assetId=asset_id, name="Bob's node", liquidityToDeposit="5"
    )

    assert again["id"] == first["id"]
    assert again["name"] == "Bob's node"
    assert again["liquidity"] == "5"
    new_alice_token = again["http"]["outgoing"]["authToken"]
    assert new_alice_token != old_alice_token
    assert pair.bob.token_index.peer_for_token(old_alice_token) is None
    assert pair.bob.token_index.peer_for_token(new_alice_token) == bob_id
    updated = pair.bob.directory.get(bob_id)
    assert updated is not None
    assert updated.outgoing_token != old_bob_token
    assert pair.alice.token_index.peer_for_token(old_bob_token) is None
    assert str(pair.alice.token_index.peer_for_token(updated.outgoing_token)) == first["id"]
    assert len(await peers_of(pair.alice)) == len(await peers_of(pair.bob)) == 1


async def test_an_idempotency_key_replays_without_asking_the_peer_again(pair: Pair) -> None:
    asset_id = await usd(pair.alice)
    await usd(pair.bob)
    input = {"peerUrl": BOB_URL, "assetId": asset_id, "idempotencyKey": "autopeer-1"}

    first = await pair.peer(**input)
    bob_id = pair.bob.token_index.peer_for_token(first["http"]["outgoing"]["authToken"])
    replay = await pair.peer(**input)

    assert replay == first
    assert pair.bob.token_index.peer_for_token(first["http"]["outgoing"]["authToken"]) == bob_id
    assert await pair.error(**{**input, "name": "other"}) == (
        "BAD_USER_INPUT",
        "Incoming arguments are different than the original request for idempotencyKey: autopeer-1",
    )


async def test_errors_use_rafikis_codes_and_messages_and_create_nothing(pair: Pair) -> None:
    asset_id = await usd(pair.alice)
    eur = (await create_asset(GraphQLClient(pair.alice), "EUR", 2))["id"]
    await usd(pair.bob)
    nobody = f"http://127.0.0.1:{free_port()}/"

    cases = {
        "unknown asset": await pair.error(
            peerUrl=BOB_URL, assetId="1f3e0c5e-6a57-4a53-9d1c-4f3b7a0a2b11"
        ),
        "asset mismatch": await pair.error(peerUrl=BOB_URL, assetId=eur),
        "unreachable": await pair.error(peerUrl=nobody, assetId=asset_id),
        "not a URL": await pair.error(peerUrl="bob:3005", assetId=asset_id),
        "not auto-peering": await pair.error(peerUrl="http://bob-admin/graphql", assetId=asset_id),
    }

    assert cases["unknown asset"] == (
        "NOT_FOUND",
        "Unknown asset: no asset with id 1f3e0c5e-6a57-4a53-9d1c-4f3b7a0a2b11",
    )
    code, message = cases["asset mismatch"]
    assert code == "BAD_USER_INPUT"
    assert message.startswith("Peer does not support asset: the peer has no asset EUR with scale 2")
    for case in ("unreachable", "not a URL", "not auto-peering"):
        code, message = cases[case]
        assert code == "NOT_FOUND", case
        assert message.startswith("Peer URL is invalid or peer does not support auto-peering: ")
    assert f"cannot reach {nobody}" in cases["unreachable"][1]
    assert "answered HTTP 4" in cases["not auto-peering"][1]
    assert await peers_of(pair.alice) == []
    assert await peers_of(pair.bob) == []


async def test_a_peer_with_a_secret_wants_it_in_the_url(tmp_path: Path) -> None:
    async for pair in _pair(tmp_path, alice={}, bob={"auto_peering_secret": SECRET}):
        asset_id = await usd(pair.alice)
        await usd(pair.bob)

        refused = await pair.error(peerUrl=BOB_URL, assetId=asset_id)
        wrong = await pair.error(peerUrl="http://ilpnode:nope@bob:3005/", assetId=asset_id)
        assert await peers_of(pair.bob) == []
        peer = await pair.peer(peerUrl=f"http://ilpnode:{SECRET}@bob:3005/", assetId=asset_id)

        for code, message in (refused, wrong):
            assert code == "BAD_USER_INPUT"
            assert "wants its auto-peering secret (HTTP 401)" in message
        assert "nope" not in wrong[1]
        assert peer["staticIlpAddress"] == "test.bob"
        assert len(await peers_of(pair.bob)) == 1


async def test_the_initiator_needs_its_identity(tmp_path: Path) -> None:
    async for pair in _pair(tmp_path, alice={"instance_name": None}, bob={}):
        asset_id = await usd(pair.alice)
        await usd(pair.bob)

        code, message = await pair.error(peerUrl=BOB_URL, assetId=asset_id)

        assert code == "BAD_USER_INPUT"
        assert message.startswith(
            "The ILP configuration is misconfigured: INSTANCE_NAME not set on this node"
        )
        assert await peers_of(pair.bob) == []


async def test_the_node_wires_the_mutation_to_its_own_service(tmp_path: Path) -> None:
    """Through the node's own admin app (real client): an unreachable peer URL, clearly."""
    node = _node(tmp_path, "alice")
    await node.start()
    try:
        api = GraphQLClient(node)
        asset_id = (await create_asset(api, "USD", 2))["id"]
        url = f"http://127.0.0.1:{free_port()}/"
        code, message = await api.error(MUTATION, {"input": {"peerUrl": url, "assetId": asset_id}})
    finally:
        await node.close()

    assert code == "NOT_FOUND"
    assert message.startswith(
        f"Peer URL is invalid or peer does not support auto-peering: cannot reach {url}"
    )
