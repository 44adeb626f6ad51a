"""Auto-peering end to end: two real nodes A and B, each with an auto-peering server and a
fulfiller behind it, peered by one `createOrUpdatePeerByUrl` call; packets then go both ways.

    sender-a ──▶ A ◀══ auto-peered ══▶ B ◀── sender-b
                 │                     │
     test.a.fa (fulfiller)     test.b.fb (fulfiller)

B has an AUTO_PEERING_SECRET, which A's call carries in the peer URL. Running the peering again
(from A with the CLI, then from B the other way round) updates both peers in place: the new
tokens work, the old ones are refused.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.ilp import (
    Fulfill,
    build_ildcp_request,
    decode_ildcp_response,
    decode_reply,
    encode_prepare,
)
from tests.support import free_port

from .network import Fulfiller, NodeProcess, fulfiller, prepare_to, send, start_node
from .test_run_node import node_environment, run_to_exit

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

B_SECRET = "b-auto-peering-secret-0123"
GRANT = 1_000_000  # the credit line each server grants a node that peers with it
DEPOSIT = 400_000  # what the initiator deposits for the peer it asked
PEER_QUERY = """
query { peers { edges { node {
  id name staticIlpAddress liquidity maxPacketAmount
  http { outgoing { authToken endpoint } }
} } } }
"""
MUTATION = """
mutation($input: CreateOrUpdatePeerByUrlInput!) {
  createOrUpdatePeerByUrl(input: $input) { peer { id staticIlpAddress liquidity } }
}
"""


@dataclass
class Pair:
    a: NodeProcess
    b: NodeProcess
    a_asset: str
    b_asset: str
    fa: Fulfiller
    fb: Fulfiller

    def url_of(self, node: NodeProcess) -> str:
        return f"http://127.0.0.1:{node.env['AUTO_PEERING_SERVER_PORT']}/"


def _auto_peering_node(tmp_path: Path, name: str, **extra: str) -> NodeProcess:
    port = free_port()
    return start_node(
        tmp_path,
        name,
        f"test.{name}",
        CONNECTOR_PORT=str(port),
        ILP_CONNECTOR_URL=f"http://127.0.0.1:{port}",
        INSTANCE_NAME=f"Node {name.upper()}",
        ENABLE_AUTO_PEERING="true",
        AUTO_PEERING_SERVER_PORT=str(free_port()),
        AUTO_PEERING_SERVER_HOST="127.0.0.1",
        AUTO_PEERING_DEFAULT_LIQUIDITY=str(GRANT),
        **extra,
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("autopeer")
    with fulfiller("fa-in") as fa, fulfiller("fb-in") as fb:
        a = _auto_peering_node(tmp, "a")
        b = _auto_peering_node(tmp, "b", AUTO_PEERING_SECRET=B_SECRET)
        try:
            a_asset, b_asset = a.create_asset("USD", 2), b.create_asset("USD", 2)
            for node, asset, name, target in ((a, a_asset, "fa", fa), (b, b_asset, "fb", fb)):
                node.create_peer(
                    asset_id=asset,
                    address=f"{node.address}.{name}",
                    incoming_token=f"{name}-out",
                    outgoing_token=f"{name}-in",
                    endpoint=target.url,
                )
                node.create_peer(
                    asset_id=asset,
                    address=f"test.sender-{node.name}",
                    incoming_token=f"sender-{node.name}",
                    outgoing_token="unused",
                    endpoint="http://127.0.0.1:9/unused",
                    liquidity=10_000,
                )
            yield Pair(a, b, a_asset, b_asset, fa, fb)
        finally:
            a.stop()
            b.stop()
            for node in (a, b):
                assert "Traceback" not in node.output(), node.output()
                assert B_SECRET not in node.output()


def peer_at(node: NodeProcess, address: str) -> dict[str, Any]:
    edges = node.graphql(PEER_QUERY)["peers"]["edges"]
    found: list[dict[str, Any]] = [
        edge["node"] for edge in edges if edge["node"]["staticIlpAddress"] == address
    ]
    [peer] = found
    return peer


def ildcp(connector_url: str, token: str) -> httpx.Response:
    request = build_ildcp_request(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    return httpx.post(
        connector_url,
        content=encode_prepare(request),
        headers={"authorization": f"Bearer {token}", "content-type": "application/octet-stream"},
        timeout=10,
    )


def client_address(connector_url: str, token: str) -> str:
    """The address the node at `connector_url` has for whoever presents `token` (IL-DCP)."""
    answer = ildcp(connector_url, token)
    assert answer.status_code == 200, answer.text
    reply = decode_reply(answer.content)
    assert isinstance(reply, Fulfill), reply
    return decode_ildcp_response(reply).client_address


def assert_packets_flow_both_ways(pair: Pair, client: httpx.Client, amount: int) -> None:
    there = send(client, pair.a.connector_url, "sender-a", prepare_to("test.b.fb.pay", amount))
    back = send(client, pair.b.connector_url, "sender-b", prepare_to("test.a.fa.pay", amount))

    assert isinstance(there, Fulfill), there
    assert isinstance(back, Fulfill), back
    assert pair.fb.received[-1].destination == "test.b.fb.pay"
    assert pair.fa.received[-1].destination == "test.a.fa.pay"


def assert_peered(pair: Pair) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each side's peer for the other: addresses and endpoints cross, each token is accepted
    by the other node for the right peer. Returns (A's peer for B, B's peer for A)."""
    b_on_a, a_on_b = peer_at(pair.a, "test.b"), peer_at(pair.b, "test.a")
    assert b_on_a["http"]["outgoing"]["endpoint"] == pair.b.connector_url
    assert a_on_b["http"]["outgoing"]["endpoint"] == pair.a.connector_url
    # B knows whoever presents A's outgoing token as test.a, and the other way round.
    assert client_address(pair.b.connector_url, b_on_a["http"]["outgoing"]["authToken"]) == (
        "test.a"
    )
    assert client_address(pair.a.connector_url, a_on_b["http"]["outgoing"]["authToken"]) == (
        "test.b"
    )
    return b_on_a, a_on_b


def test_one_call_peers_the_nodes_and_packets_flow_both_ways(pair: Pair) -> None:
    url = f"http://ilpnode:{B_SECRET}@127.0.0.1:{pair.b.env['AUTO_PEERING_SERVER_PORT']}/"

    data = pair.a.graphql(
        MUTATION,
        {"input": {"peerUrl": url, "assetId": pair.a_asset, "liquidityToDeposit": str(DEPOSIT)}},
    )

    created = data["createOrUpdatePeerByUrl"]["peer"]
    assert (created["staticIlpAddress"], created["liquidity"]) == ("test.b", str(DEPOSIT))
    b_on_a, a_on_b = assert_peered(pair)
    assert (b_on_a["name"], a_on_b["name"]) == ("Node B", "Node A")
    assert a_on_b["liquidity"] == str(GRANT)
    with httpx.Client(timeout=30) as client:
        assert_packets_flow_both_ways(pair, client, 100)
    port = pair.a.env["AUTO_PEERING_SERVER_PORT"]
    assert f"auto-peering server listening on http://127.0.0.1:{port}" in pair.a.output()
    assert "AUTO_PEERING_SECRET is not set" in pair.a.output()
    assert "AUTO_PEERING_SECRET is not set" not in pair.b.output()
    # each node booked its packet: the fulfiller behind it was credited
    assert peer_at(pair.b, "test.b.fb")["liquidity"] == "100"
    assert peer_at(pair.a, "test.a.fa")["liquidity"] == "100"


def test_peering_again_updates_in_place_and_retires_the_old_tokens(pair: Pair) -> None:
    old_b_on_a, old_a_on_b = assert_peered(pair)
    url = f"http://ilpnode:{B_SECRET}@127.0.0.1:{pair.b.env['AUTO_PEERING_SERVER_PORT']}/"

    # Again from A, with the CLI this time.
    done = subprocess.run(
        [
            sys.executable, "-m", "ilpnode", "peers", "autopeer", url,
            "--asset-id", pair.a_asset, "--name", "Bob's node", "--max-packet-amount", "5000",
            "--admin-url", pair.a.admin_url,
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Peered with Bob's node (test.b) through http://***@127.0.0.1:" in done.stdout
    assert B_SECRET not in done.stdout + done.stderr

    b_on_a, a_on_b = assert_peered(pair)
    assert (b_on_a["id"], a_on_b["id"]) == (old_b_on_a["id"], old_a_on_b["id"])
    assert b_on_a["name"] == "Bob's node"
    assert (b_on_a["maxPacketAmount"], a_on_b["maxPacketAmount"]) == ("5000", "5000")
    for node, old in ((pair.b, old_b_on_a), (pair.a, old_a_on_b)):
        refused = ildcp(node.connector_url, old["http"]["outgoing"]["authToken"])
        assert refused.status_code == 401
    with httpx.Client(timeout=30) as client:
        assert_packets_flow_both_ways(pair, client, 50)

    # And from B the other way round: the same two peers again, with new tokens.
    data = pair.b.graphql(
        MUTATION, {"input": {"peerUrl": pair.url_of(pair.a), "assetId": pair.b_asset}}
    )
    assert data["createOrUpdatePeerByUrl"]["peer"]["id"] == a_on_b["id"]
    newest_b_on_a, newest_a_on_b = assert_peered(pair)
    assert newest_a_on_b["id"] == a_on_b["id"]
    assert ildcp(pair.b.connector_url, b_on_a["http"]["outgoing"]["authToken"]).status_code == 401
    assert ildcp(pair.a.connector_url, a_on_b["http"]["outgoing"]["authToken"]).status_code == 401
    assert newest_b_on_a["id"] == b_on_a["id"]
    for node, other, target in ((pair.a, "test.b", "test.a.fa"), (pair.b, "test.a", "test.b.fb")):
        edges = node.graphql(PEER_QUERY)["peers"]["edges"]
        addresses = sorted(edge["node"]["staticIlpAddress"] for edge in edges)
        assert addresses == sorted([other, target, f"test.sender-{node.name}"])
    with httpx.Client(timeout=30) as client:
        assert_packets_flow_both_ways(pair, client, 25)


def test_refused_requests_over_the_network_change_nothing(pair: Pair) -> None:
    before = pair.b.graphql(PEER_QUERY)
    url = pair.url_of(pair.b)
    body = {
        "staticIlpAddress": "test.mallory",
        "ilpConnectorUrl": "http://127.0.0.1:9/",
        "asset": {"code": "USD", "scale": 2},
        "httpToken": "mallory",
    }

    no_secret = httpx.post(url, json=body, timeout=10)
    bad_field = httpx.post(
        url, json={**body, "asset": {"code": "USD"}}, auth=("ilpnode", B_SECRET), timeout=10
    )
    too_big = httpx.post(
        url, content=b"{" + b" " * 70_000 + b"}", auth=("ilpnode", B_SECRET),
        headers={"content-type": "application/json"}, timeout=10,
    )  # fmt: skip

    assert no_secret.status_code == 401
    assert no_secret.json()["error"]["type"] == "Unauthorized"
    assert bad_field.status_code == 400
    assert bad_field.json()["error"]["field"] == "asset.scale"
    assert too_big.status_code == 413
    assert pair.b.graphql(PEER_QUERY) == before


def test_enabling_auto_peering_without_its_prerequisites_stops_the_start(tmp_path: Path) -> None:
    env = node_environment(tmp_path, ENABLE_AUTO_PEERING="true")
    for name in ("ILP_CONNECTOR_URL", "INSTANCE_NAME"):
        env.pop(name, None)

    result = run_to_exit(tmp_path, env)

    assert result.returncode == 2
    assert "ENABLE_AUTO_PEERING=true needs ILP_CONNECTOR_URL, INSTANCE_NAME (not set)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
