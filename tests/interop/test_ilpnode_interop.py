"""ilpnode between the JS reference implementations: a real `ilp-connector` (with ilp-plugin-http)
peered with a real ilpnode in both directions, and STREAM (`ilp-protocol-stream`) across both.

    ilp-connector test.js                        ilpnode test.node
    ┌───────────────────────┐                    ┌──────────────────────────┐
    │ tester (peer) ◀─ POST │  ilpnode  ══ js    │ .direct ◀─ POST          │
    │ fulfiller (child) ─▶ F│ ◀════════════════▶ │ .fulfiller ─▶ fulfiller  │
    │ receiver (child) ◀─▶ R│  (HTTP both ways)  │ .sender ◀─▶ STREAM sender│
    │ streamer (child) ◀─▶ S│                    │ .receiver ◀─▶ STREAM recv│
    │ badauth ─▶ ilpnode,   │                    │ test.jsbadauth ─▶ js,    │
    │   wrong token         │                    │   wrong token            │
    └───────────────────────┘                    └──────────────────────────┘

One asset on the whole path (USD, scale 9, ilp-connector's default), no spread, no rate: every
amount arrives as sent. ilpnode answers IL-DCP for its STREAM peers (`test.node.sender`,
`test.node.receiver`); ilp-connector for its children (`test.js.receiver`, `test.js.streamer`).
ilpnode's `maxPacketAmount` on the sender's peer is the smallest limit on that path, so the
sender learns it from ilpnode's F08.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ilpnode.ilp import Fulfill, Prepare, Reject, decode_amount_too_large_data
from tests.e2e.network import Fulfiller, NodeProcess, fulfiller, prepare_to, send, start_node
from tests.interop.jsprocs import (
    JsProcess,
    http_link,
    run_stream_sender,
    start_connector,
    start_stream_receiver,
    token,
)
from tests.support import free_port

NODE_ADDRESS = "test.node"
JS_ADDRESS = "test.js"
ASSET_CODE, ASSET_SCALE = "USD", 9  # ilp-connector's account default in connector.js
LIQUIDITY = 100_000_000
STREAM_AMOUNT = 10_000
SENDER_MAX_PACKET_AMOUNT = 1_000  # the smallest on the path: ilpnode's F08 sizes the packets
JS_MAX_PACKET_AMOUNT = 5_000_000  # on ilp-connector's ilpnode account: above every test packet
STREAMER_MAX_PACKET_AMOUNT = 700  # on ilp-connector's child that sends STREAM to ilpnode
FULFILLER_TOKEN = "fulfiller-in"  # what both fulfillers accept
DEAD_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens (never used)
BAD_AUTH_PREFIX = f"{NODE_ADDRESS}.fulfiller.badauth"  # the JS connector sends it with a bad token


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


@dataclass
class Interop:
    node: NodeProcess
    js: JsProcess
    log_dir: Path
    node_fulfiller: Fulfiller  # behind ilpnode: test.node.fulfiller
    js_fulfiller: Fulfiller  # behind ilp-connector (child): test.js.fulfiller
    peers: dict[str, str]  # ilpnode peer name -> id
    asset_id: str
    tokens: dict[str, str]
    ports: dict[str, int]

    def balances(self) -> dict[str, int]:
        """ilpnode's liquidity of every peer."""
        return {name: self.node.liquidity(peer_id) for name, peer_id in self.peers.items()}

    def into_js(self, client: httpx.Client, prepare: Prepare) -> Fulfill | Reject:
        """POST a Prepare to ilp-connector's `tester` account, as its HTTP peer would."""
        return send(
            client, self.js.ready["accounts"]["tester"]["url"], self.tokens["tester"], prepare
        )

    def into_node(self, client: httpx.Client, prepare: Prepare) -> Fulfill | Reject:
        """POST a Prepare to ilpnode as its peer `test.node.direct`."""
        return send(client, self.node.connector_url, self.tokens["direct"], prepare)

    def node_log(self) -> str:
        return self.node.output()[-6000:]


@pytest.fixture(scope="module")
def interop(js_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Interop]:
    tmp = tmp_path_factory.mktemp("interop")
    tokens = {
        name: token()
        for name in (
            "js_to_node",
            "node_to_js",
            "direct",
            "sender_to_node",
            "node_to_sender",
            "tester",
            "receiver_to_js",
            "js_to_receiver",
            "receiver_to_node",
            "node_to_receiver",
            "streamer_to_js",
            "js_to_streamer",
        )
    }
    ports = {
        "js_for_node": free_port(),  # ilp-connector's server for its ilpnode account
        "sender": free_port(),  # the STREAM sender's server (ilpnode's endpoint for it)
        "receiver": free_port(),  # the STREAM receiver's server (ilp-connector's endpoint)
        "node_receiver": free_port(),  # the STREAM receiver behind ilpnode (ilpnode's endpoint)
        "streamer": free_port(),  # the STREAM sender behind ilp-connector (its endpoint)
    }
    with fulfiller(FULFILLER_TOKEN) as node_fulfiller, fulfiller(FULFILLER_TOKEN) as js_fulfiller:
        node = start_node(tmp, "node", NODE_ADDRESS)
        try:
            asset = node.create_asset(ASSET_CODE, ASSET_SCALE)
            peers = {
                "js": node.create_peer(
                    asset_id=asset,
                    address=JS_ADDRESS,
                    incoming_token=tokens["js_to_node"],
                    outgoing_token=tokens["node_to_js"],
                    endpoint=url(ports["js_for_node"]),
                    liquidity=LIQUIDITY,
                ),
                "fulfiller": node.create_peer(
                    asset_id=asset,
                    address=f"{NODE_ADDRESS}.fulfiller",
                    incoming_token=token(),
                    outgoing_token=FULFILLER_TOKEN,
                    endpoint=node_fulfiller.url,
                ),
                "direct": node.create_peer(
                    asset_id=asset,
                    address=f"{NODE_ADDRESS}.direct",
                    incoming_token=tokens["direct"],
                    outgoing_token=token(),
                    endpoint=DEAD_URL,
                    liquidity=LIQUIDITY,
                ),
                "sender": node.create_peer(
                    asset_id=asset,
                    address=f"{NODE_ADDRESS}.sender",
                    incoming_token=tokens["sender_to_node"],
                    outgoing_token=tokens["node_to_sender"],
                    endpoint=url(ports["sender"]),
                    liquidity=LIQUIDITY,
                    max_packet_amount=SENDER_MAX_PACKET_AMOUNT,
                ),
                "receiver": node.create_peer(
                    asset_id=asset,
                    address=f"{NODE_ADDRESS}.receiver",
                    incoming_token=tokens["receiver_to_node"],
                    outgoing_token=tokens["node_to_receiver"],
                    endpoint=url(ports["node_receiver"]),
                ),
                # ilp-connector's ilpnode account again, with a token it does not know.
                "jsbadauth": node.create_peer(
                    asset_id=asset,
                    address="test.jsbadauth",
                    incoming_token=token(),
                    outgoing_token=token(),
                    endpoint=url(ports["js_for_node"]),
                ),
            }
            connector_config = {
                "ilpAddress": JS_ADDRESS,
                "assetCode": ASSET_CODE,
                "assetScale": ASSET_SCALE,
                "accounts": {
                    "ilpnode": {
                        "relation": "peer",
                        "maxPacketAmount": str(JS_MAX_PACKET_AMOUNT),
                        **http_link(
                            port=ports["js_for_node"],
                            incoming_token=tokens["node_to_js"],
                            outgoing_url=node.connector_url + "/",
                            outgoing_token=tokens["js_to_node"],
                        ),
                    },
                    "tester": {
                        "relation": "peer",
                        **http_link(
                            port=0,
                            incoming_token=tokens["tester"],
                            outgoing_url=DEAD_URL,
                            outgoing_token=token(),
                        ),
                    },
                    "fulfiller": {
                        "relation": "child",
                        **http_link(
                            port=0,
                            incoming_token=token(),
                            outgoing_url=js_fulfiller.url,
                            outgoing_token=FULFILLER_TOKEN,
                        ),
                    },
                    "receiver": {
                        "relation": "child",
                        **http_link(
                            port=0,
                            incoming_token=tokens["receiver_to_js"],
                            outgoing_url=url(ports["receiver"]),
                            outgoing_token=tokens["js_to_receiver"],
                        ),
                    },
                    "streamer": {
                        "relation": "child",
                        "maxPacketAmount": str(STREAMER_MAX_PACKET_AMOUNT),
                        **http_link(
                            port=0,
                            incoming_token=tokens["streamer_to_js"],
                            outgoing_url=url(ports["streamer"]),
                            outgoing_token=tokens["js_to_streamer"],
                        ),
                    },
                    # ilpnode again, with a token ilpnode does not know.
                    "badauth": {
                        "relation": "peer",
                        **http_link(
                            port=0,
                            incoming_token=token(),
                            outgoing_url=node.connector_url + "/",
                            outgoing_token=token(),
                        ),
                    },
                },
                "routes": [
                    {"targetPrefix": NODE_ADDRESS, "peerId": "ilpnode"},
                    {"targetPrefix": BAD_AUTH_PREFIX, "peerId": "badauth"},
                ],
            }
            log_dir = tmp / "js"
            with start_connector(js_dir, connector_config, log_dir=log_dir) as js:
                yield Interop(
                    node=node,
                    js=js,
                    log_dir=log_dir,
                    node_fulfiller=node_fulfiller,
                    js_fulfiller=js_fulfiller,
                    peers=peers,
                    asset_id=asset,
                    tokens=tokens,
                    ports=ports,
                )
        finally:
            node.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The peers whose liquidity moved, and by how much."""
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def packet_metrics(node: NodeProcess, peer_id: str) -> dict[tuple[str, str, str], float]:
    """ilpnode's `/metrics` samples for one incoming peer: (sample, outcome, code) -> value."""
    text = httpx.get(f"{node.admin_url}/metrics", timeout=10).text
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in ("ilpnode_packets", "ilpnode_packet_amount"):
            continue
        for sample in family.samples:
            if sample.labels.get("peer_id") == peer_id and sample.name.endswith("_total"):
                key = (sample.name, sample.labels["outcome"], sample.labels.get("code", ""))
                found[key] = sample.value
    return found


def test_js_connector_forwards_through_ilpnode_to_a_fulfiller(
    interop: Interop, client: httpx.Client
) -> None:
    """ilp-plugin-http → ilpnode (`application/ilp+octet-stream`, Bearer) → fulfiller → back."""
    amounts = [1, 12_345, 999_000]
    before = interop.balances()
    received_before = interop.node_fulfiller.count()
    for i, amount in enumerate(amounts):
        prepare = prepare_to(f"{NODE_ADDRESS}.fulfiller.alice.{i}", amount, expires_in=20)
        reply = interop.into_js(client, prepare)
        assert isinstance(reply, Fulfill), (reply, interop.node_log())
        assert reply.fulfillment == prepare.data
        assert reply.data == b"ok"
        arrived = interop.node_fulfiller.received[-1]
        assert arrived.destination == prepare.destination
        assert arrived.amount == amount
        assert arrived.execution_condition == prepare.execution_condition
        assert arrived.data == prepare.data
        # Two hops, each takes its 1 s window off the expiry.
        margin = (prepare.expires_at - arrived.expires_at).total_seconds()
        assert 2.0 <= margin < 3.0, margin
    assert interop.node_fulfiller.count() == received_before + len(amounts)
    assert changes(before, interop.balances()) == {
        "js": -sum(amounts),
        "fulfiller": +sum(amounts),
    }


def test_ilpnode_forwards_through_the_js_connector_to_a_fulfiller(
    interop: Interop, client: httpx.Client
) -> None:
    """ilpnode → ilp-plugin-http's server (ilpnode's token) → ilp-connector → its child."""
    amounts = [1, 54_321, 1_000_000]
    before = interop.balances()
    received_before = interop.js_fulfiller.count()
    for i, amount in enumerate(amounts):
        prepare = prepare_to(f"{JS_ADDRESS}.fulfiller.bob.{i}", amount, expires_in=20)
        reply = interop.into_node(client, prepare)
        assert isinstance(reply, Fulfill), (reply, interop.node_log())
        assert reply.fulfillment == prepare.data
        assert reply.data == b"ok"
        arrived = interop.js_fulfiller.received[-1]
        assert arrived.destination == prepare.destination
        assert arrived.amount == amount
        assert arrived.execution_condition == prepare.execution_condition
    assert interop.js_fulfiller.count() == received_before + len(amounts)
    assert changes(before, interop.balances()) == {"direct": -sum(amounts), "js": +sum(amounts)}


def test_rejects_pass_both_ways_unchanged_and_move_nothing(
    interop: Interop, client: httpx.Client
) -> None:
    before = interop.balances()
    # The fulfiller's own F99 behind ilp-connector comes back through ilpnode as it was sent.
    reply = interop.into_node(client, prepare_to(f"{JS_ADDRESS}.fulfiller.reject.x", 500))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by, reply.message) == ("F99", "test.fulfiller", "no thanks")
    # The fulfiller's F99 behind ilpnode comes back through ilp-connector.
    reply = interop.into_js(client, prepare_to(f"{NODE_ADDRESS}.fulfiller.reject.x", 500))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by, reply.message) == ("F99", "test.fulfiller", "no thanks")
    # ilpnode's own F02 (no route under its address) reaches the JS connector's peer.
    reply = interop.into_js(client, prepare_to(f"{NODE_ADDRESS}.nowhere.x", 500))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F02", NODE_ADDRESS)
    # A wrong fulfillment behind ilpnode: ilpnode refuses it (F05), ilp-connector passes that on.
    reply = interop.into_js(client, prepare_to(f"{NODE_ADDRESS}.fulfiller.wrong.x", 500))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F05", NODE_ADDRESS)
    # ilp-connector's F08 (over its ilpnode account's maximum) comes back through ilpnode with
    # its 16-byte data intact.
    too_big = JS_MAX_PACKET_AMOUNT + 1
    reply = interop.into_node(client, prepare_to(f"{JS_ADDRESS}.fulfiller.big", too_big))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F08", JS_ADDRESS)
    data = decode_amount_too_large_data(reply.data)
    assert (data.received_amount, data.maximum_amount) == (too_big, JS_MAX_PACKET_AMOUNT)
    assert interop.balances() == before


def test_stream_payment_from_behind_ilpnode_to_behind_the_js_connector(
    interop: Interop, js_dir: Path
) -> None:
    """STREAM sender (ilpnode's child, IL-DCP from ilpnode) → ilpnode → ilp-connector → receiver.

    ilpnode's `maxPacketAmount` of 1 000 on the sender's peer is the only limit on the path:
    the sender sees ilpnode's F08s, sizes its packets from their data, and delivers the whole
    10 000 in at least 10 packets; ilpnode's liquidity moves by exactly what was delivered.
    """
    sender_id = interop.peers["sender"]
    before = interop.balances()
    metrics_before = packet_metrics(interop.node, sender_id)
    receiver_config = http_link(
        port=interop.ports["receiver"],
        incoming_token=interop.tokens["js_to_receiver"],
        outgoing_url=interop.js.ready["accounts"]["receiver"]["url"],
        outgoing_token=interop.tokens["receiver_to_js"],
    )
    log_dir = interop.log_dir
    with start_stream_receiver(js_dir, receiver_config, log_dir=log_dir) as receiver:
        sender_config = {
            **http_link(
                port=interop.ports["sender"],
                incoming_token=interop.tokens["node_to_sender"],
                outgoing_url=interop.node.connector_url + "/",
                outgoing_token=interop.tokens["sender_to_node"],
            ),
            "destinationAccount": receiver.ready["destinationAccount"],
            "sharedSecret": receiver.ready["sharedSecret"],
            "amount": str(STREAM_AMOUNT),
            "timeoutMs": 15_000,
        }
        result = run_stream_sender(js_dir, sender_config, log_dir=log_dir, timeout=20)
        received = receiver.wait_for(
            "RECEIVED", lambda r: int(r["totalReceived"]) >= STREAM_AMOUNT, timeout=10
        )
    sender_ready = _tagged_line(log_dir / "stream_sender.log", "READY")
    metrics_after = packet_metrics(interop.node, sender_id)

    # Addresses: each side's IL-DCP answered by its parent.
    assert sender_ready["sourceAccount"] == f"{NODE_ADDRESS}.sender"
    assert receiver.ready["destinationAccount"].startswith(f"{JS_ADDRESS}.receiver.")
    assert (receiver.ready["assetCode"], receiver.ready["assetScale"]) == (ASSET_CODE, ASSET_SCALE)
    # Everything sent arrived, in many packets.
    assert result["totalSent"] == result["totalDelivered"] == str(STREAM_AMOUNT), result
    assert received["totalReceived"] == str(STREAM_AMOUNT), received
    assert result["packets"] >= STREAM_AMOUNT // SENDER_MAX_PACKET_AMOUNT, result
    assert received["packets"] == result["packets"]
    # The packet size came from ilpnode's F08 (with its data), and only from ilpnode.
    f08 = result["rejects"].get("F08", 0)
    assert f08 >= 1, result
    assert result["lastRejects"]["F08"]["triggeredBy"] == NODE_ADDRESS, result
    f08_key = ("ilpnode_packets_total", "reject", "F08")
    assert metrics_after.get(f08_key, 0) - metrics_before.get(f08_key, 0) == f08
    fulfilled_key = ("ilpnode_packet_amount_total", "fulfill", "")
    fulfilled = metrics_after[fulfilled_key] - metrics_before.get(fulfilled_key, 0)
    assert fulfilled == STREAM_AMOUNT
    # ilpnode's books: the sender paid exactly what was delivered, the JS connector got it.
    assert changes(before, interop.balances()) == {
        "sender": -STREAM_AMOUNT,
        "js": +STREAM_AMOUNT,
    }


def test_stream_payment_from_behind_the_js_connector_to_behind_ilpnode(
    interop: Interop, js_dir: Path
) -> None:
    """The other way: a STREAM sender (ilp-connector's child, max 700 per packet there) pays a
    STREAM receiver that is ilpnode's peer `test.node.receiver` and got its address from
    ilpnode by IL-DCP; the receiver's replies go back through ilpnode and ilp-connector."""
    amount = 5_000
    before = interop.balances()
    metrics_before = packet_metrics(interop.node, interop.peers["js"])
    receiver_config = http_link(
        port=interop.ports["node_receiver"],
        incoming_token=interop.tokens["node_to_receiver"],
        outgoing_url=interop.node.connector_url + "/",
        outgoing_token=interop.tokens["receiver_to_node"],
    )
    log_dir = interop.log_dir / "reverse"
    with start_stream_receiver(js_dir, receiver_config, log_dir=log_dir) as receiver:
        sender_config = {
            **http_link(
                port=interop.ports["streamer"],
                incoming_token=interop.tokens["js_to_streamer"],
                outgoing_url=interop.js.ready["accounts"]["streamer"]["url"],
                outgoing_token=interop.tokens["streamer_to_js"],
            ),
            "destinationAccount": receiver.ready["destinationAccount"],
            "sharedSecret": receiver.ready["sharedSecret"],
            "amount": str(amount),
            "timeoutMs": 15_000,
        }
        result = run_stream_sender(js_dir, sender_config, log_dir=log_dir, timeout=20)
        received = receiver.wait_for(
            "RECEIVED", lambda r: int(r["totalReceived"]) >= amount, timeout=10
        )
    sender_ready = _tagged_line(log_dir / "stream_sender.log", "READY")
    metrics_after = packet_metrics(interop.node, interop.peers["js"])

    assert receiver.ready["destinationAccount"].startswith(f"{NODE_ADDRESS}.receiver.")
    assert (receiver.ready["assetCode"], receiver.ready["assetScale"]) == (ASSET_CODE, ASSET_SCALE)
    assert sender_ready["sourceAccount"] == f"{JS_ADDRESS}.streamer"
    assert result["totalSent"] == result["totalDelivered"] == str(amount), result
    assert received["totalReceived"] == str(amount), received
    assert result["packets"] >= -(-amount // STREAMER_MAX_PACKET_AMOUNT), result
    assert received["packets"] == result["packets"]
    assert result["lastRejects"]["F08"]["triggeredBy"] == JS_ADDRESS, result
    fulfilled_key = ("ilpnode_packet_amount_total", "fulfill", "")
    fulfilled = metrics_after[fulfilled_key] - metrics_before.get(fulfilled_key, 0)
    assert fulfilled == amount
    assert changes(before, interop.balances()) == {"js": -amount, "receiver": +amount}


def test_js_plugin_with_a_wrong_token_gets_401_from_ilpnode(
    interop: Interop, client: httpx.Client
) -> None:
    """ilp-connector's `badauth` account POSTs to ilpnode with a token ilpnode does not know:
    ilpnode answers HTTP 401, ilp-plugin-http throws `failed to fetch. code=401`, and
    ilp-connector makes that its own F02. Nothing reaches the fulfiller; no balance moves."""
    before = interop.balances()
    received_before = interop.node_fulfiller.count()
    reply = interop.into_js(client, prepare_to(f"{BAD_AUTH_PREFIX}.x", 700))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F02", JS_ADDRESS)
    assert "code=401" in reply.message, reply.message
    assert interop.node_fulfiller.count() == received_before
    assert interop.balances() == before


def test_ilpnode_with_a_wrong_token_gets_401_from_the_js_plugin(
    interop: Interop, client: httpx.Client
) -> None:
    """ilpnode's `test.jsbadauth` peer is ilp-connector's ilpnode account with a wrong outgoing
    token: ilp-plugin-http answers 401, and ilpnode rejects T01 (an operator must fix the
    peering) without moving any balance."""
    before = interop.balances()
    received_before = interop.js_fulfiller.count()
    reply = interop.into_node(client, prepare_to("test.jsbadauth.x", 700))
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("T01", NODE_ADDRESS)
    assert reply.message == "peer unreachable"  # the sender is not told our peers' secrets
    assert "failed: HTTP 401 -> T01" in interop.node.output()  # the operator is
    assert interop.js_fulfiller.count() == received_before
    assert interop.balances() == before


def _tagged_line(log: Path, tag: str) -> dict[str, Any]:
    for line in log.read_text().splitlines():
        if line.startswith(f"{tag} "):
            payload: dict[str, Any] = json.loads(line[len(tag) + 1 :])
            return payload
    raise AssertionError(f"no {tag} line in {log}")
