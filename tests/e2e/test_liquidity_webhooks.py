"""Liquidity webhooks end to end: node processes on loopback, packets and liquidity moved
through them, and a webhook receiver (a small HTTP server in the test) that checks every
signature. One event per crossing, retried with the same id until answered 200, and still
delivered after the receiver was down and the node was killed with SIGKILL.

Ordering argument used below instead of waiting for "nothing more": the watch records crossings
in the order the ledger committed them, and the delivery worker sends due events oldest first,
one at a time. So once an event made later (a *sentinel*) has arrived, every earlier event has
arrived, and any event still due for another attempt would have been sent before it.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.ilp import Fulfill
from ilpnode.services.webhooks import SIGNATURE_HEADER, verify_signature
from tests.support import free_port, migrated_throwaway_database

from .network import NodeProcess, fulfiller, prepare_to, restart_node, send, start_node

pytestmark = [pytest.mark.e2e]

SECRET = "receiver-shared-secret"
WAIT_SECONDS = 20.0


@dataclass
class Receiver:
    """What the webhook receiver got; `statuses` are its next answers (then 200)."""

    url: str
    port: int
    statuses: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bad_signatures: list[str] = field(default_factory=list)

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.bodies)

    def wait_for(self, predicate: Any, what: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while not predicate(self.received()):
            assert time.monotonic() < deadline, f"{what}: got {self.received()}"
            time.sleep(0.05)
        return self.received()

    def wait_for_event(self, event_id: str) -> list[dict[str, Any]]:
        return self.wait_for(
            lambda bodies: any(b["id"] == event_id for b in bodies), f"event {event_id}"
        )


@contextmanager
def receiver(port: int | None = None, statuses: list[int] | None = None) -> Iterator[Receiver]:
    """A webhook receiver on loopback that verifies each request's Rafiki-Signature."""
    port = port or free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/webhooks", port=port, statuses=statuses or [])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            body = json.loads(raw)
            header = self.headers.get(SIGNATURE_HEADER, "")
            with state.lock:
                if not verify_signature(header, body, secret=SECRET, version=1):
                    state.bad_signatures.append(header)
                state.bodies.append(body)
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
    assert state.bad_signatures == []


def webhook_env(url: str, **extra: str) -> dict[str, str]:
    return {
        "WEBHOOK_URL": url,
        "SIGNATURE_SECRET": SECRET,
        "SIGNATURE_VERSION": "1",
        "WEBHOOK_RETRY_BACKOFF_MS": "100",
        **extra,
    }


def create_peer(node: NodeProcess, asset_id: str, address: str, **fields: Any) -> str:
    data = node.graphql(
        "mutation($i: CreatePeerInput!) { createPeer(input: $i) { peer { id } } }",
        {
            "i": {
                "assetId": asset_id,
                "staticIlpAddress": address,
                "http": {
                    "incoming": {"authTokens": [f"{address}-token"]},
                    "outgoing": {
                        "authToken": "fulfiller-in",
                        "endpoint": fields.pop("endpoint", "http://127.0.0.1:9/unused"),
                    },
                },
                **fields,
            }
        },
    )
    peer_id: str = data["createPeer"]["peer"]["id"]
    return peer_id


def money(node: NodeProcess, mutation: str, **fields: Any) -> None:
    kind = mutation[0].upper() + mutation[1:]
    node.graphql(
        f"mutation($i: {kind}Input!) {{ {mutation}(input: $i) {{ success }} }}",
        {"i": {"id": str(uuid.uuid4()), "idempotencyKey": str(uuid.uuid4()), **fields}},
    )


def listed(node: NodeProcess) -> list[dict[str, Any]]:
    data = node.graphql(
        "{ webhookEvents(sortOrder: ASC, first: 100) { edges { node { id type data } } } }"
    )
    return [edge["node"] for edge in data["webhookEvents"]["edges"]]


def sentinel(node: NodeProcess, asset_id: str) -> str:
    """Make one more event (an asset crossing its low threshold) and return its id."""
    before = {event["id"] for event in listed(node)}
    node.graphql(
        "mutation($i: UpdateAssetInput!) { updateAsset(input: $i) { asset { id } } }",
        {"i": {"id": asset_id, "liquidityThreshold": "0"}},
    )
    money(node, "depositAssetLiquidity", assetId=asset_id, amount="1")
    money(node, "createAssetLiquidityWithdrawal", assetId=asset_id, amount="1", timeoutSeconds=0)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        new = [e for e in listed(node) if e["id"] not in before]
        if new:
            assert [e["type"] for e in new] == ["asset.liquidity_low"]
            event_id: str = new[0]["id"]
            return event_id
        assert time.monotonic() < deadline, "the sentinel event was not recorded"
        time.sleep(0.05)


def test_packets_crossing_thresholds_send_one_signed_event_per_crossing(tmp_path: Path) -> None:
    with receiver() as hooks, fulfiller() as target:
        node = start_node(tmp_path, "hooks", "test.hooks", **webhook_env(hooks.url))
        try:
            usd = node.create_asset("USD", 2)
            spare = node.create_asset("EUR", 2)  # for sentinels
            sender = create_peer(
                node, usd, "test.sender", initialLiquidity="1000", liquidityThreshold="500"
            )
            receiving = create_peer(
                node,
                usd,
                "test.fulfiller",
                endpoint=target.url,
                liquidityHighThreshold="600",
            )
            with httpx.Client(timeout=10) as client:

                def pay(count: int) -> None:
                    for i in range(count):
                        prepare = prepare_to(f"test.fulfiller.p{uuid.uuid4().hex}", 100)
                        reply = send(client, node.connector_url, "test.sender-token", prepare)
                        assert isinstance(reply, Fulfill), (i, reply)

                pay(7)  # sender 1000 -> 300 (low at 500); receiver 0 -> 700 (high at 600)
                first_sentinel = sentinel(node, spare)
                got = hooks.wait_for_event(first_sentinel)

                crossing = [b for b in got if b["data"]["id"] in (sender, receiving)]
                assert [(b["type"], b["data"]["id"]) for b in crossing] == [
                    ("peer.liquidity_low", sender),
                    ("peer.liquidity_high", receiving),
                ]
                low, high = crossing
                assert low["data"] == {
                    "id": sender,
                    "asset": {"id": usd, "code": "USD", "scale": 2},
                    "liquidityThreshold": "500",
                    "balance": "500",
                }
                assert high["data"]["balance"] == "600"
                assert high["data"]["liquidityHighThreshold"] == "600"

                money(node, "depositPeerLiquidity", peerId=sender, amount="700")  # 1000: above
                pay(5)  # 500: crosses again
                second_sentinel = sentinel(node, spare)
                got = hooks.wait_for_event(second_sentinel)

            lows = [b for b in got if b["type"] == "peer.liquidity_low"]
            assert [b["data"]["balance"] for b in lows] == ["500", "500"]
            assert lows[0]["id"] != lows[1]["id"]
            highs = [b for b in got if b["type"] == "peer.liquidity_high"]
            assert len(highs) == 1  # the receiver stayed high: 700, then 1200
            assert len({b["id"] for b in got}) == len(got)  # each event sent once
            assert [b["id"] for b in got] == [e["id"] for e in listed(node)]
        finally:
            node.stop()


def test_a_refused_event_comes_again_with_the_same_id_until_answered_200(
    tmp_path: Path,
) -> None:
    with receiver(statuses=[500, 503]) as hooks:
        node = start_node(tmp_path, "retry", "test.retry", **webhook_env(hooks.url))
        try:
            usd = node.create_asset("USD", 2)
            spare = node.create_asset("EUR", 2)
            peer = create_peer(
                node, usd, "test.peer", initialLiquidity="100", liquidityThreshold="50"
            )
            money(node, "createPeerLiquidityWithdrawal", peerId=peer, amount="60", timeoutSeconds=0)
            [event] = hooks.wait_for(lambda bodies: len(bodies) >= 3, "three attempts")[:1]
            got = hooks.wait_for_event(sentinel(node, spare))
        finally:
            node.stop()

    attempts = [b for b in got if b["id"] == event["id"]]
    assert len(attempts) == 3  # 500, 503, then 200: and not again before the sentinel
    assert all(b == event for b in attempts)
    assert event["type"] == "peer.liquidity_low"
    assert event["data"]["balance"] == "40"


def test_an_event_survives_a_receiver_that_is_down_and_a_sigkill(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet: the receiver is down
    env = webhook_env(f"http://127.0.0.1:{port}/webhooks", WEBHOOK_MAX_RETRY="1000")
    node = start_node(tmp_path, "crash", "test.crash", **env)
    try:
        usd = node.create_asset("USD", 2)
        peer = create_peer(node, usd, "test.peer", initialLiquidity="100", liquidityThreshold="50")
        money(node, "createPeerLiquidityWithdrawal", peerId=peer, amount="70", timeoutSeconds=0)
        deadline = time.monotonic() + WAIT_SECONDS
        while not listed(node):
            assert time.monotonic() < deadline, "the crossing was not recorded"
            time.sleep(0.05)
        [recorded] = listed(node)
        time.sleep(0.3)  # a few failed attempts against the closed port
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()

        with receiver(port=port) as hooks:
            node = restart_node(tmp_path, node)
            [delivered] = hooks.wait_for(bool, "the event after the restart")[:1]
    finally:
        node.stop()

    assert delivered["id"] == recorded["id"]
    assert delivered["type"] == "peer.liquidity_low"
    assert delivered["data"] == recorded["data"]
    assert delivered["data"]["balance"] == "30"


@pytest.mark.postgres
def test_two_processes_on_one_database_send_each_crossing_once(tmp_path: Path) -> None:
    databases = migrated_throwaway_database()
    shared = next(databases)
    try:
        with receiver() as hooks, fulfiller() as target:
            env = webhook_env(hooks.url, DATABASE_URL=shared, LEDGER_BACKEND="postgres")
            first = start_node(tmp_path, "p1", "test.shared", **env)
            second = start_node(tmp_path, "p2", "test.shared", **env)
            try:
                usd = first.create_asset("USD", 2)
                sender = create_peer(
                    first, usd, "test.sender", initialLiquidity="1000", liquidityThreshold="500"
                )
                create_peer(first, usd, "test.fulfiller", endpoint=target.url)
                wait_until_known(second, "test.sender-token")
                with httpx.Client(timeout=10) as client:

                    def pay(count: int) -> None:
                        for i in range(count):  # alternately through each process
                            node = (first, second)[i % 2]
                            prepare = prepare_to(f"test.fulfiller.p{uuid.uuid4().hex}", 100)
                            reply = send(client, node.connector_url, "test.sender-token", prepare)
                            assert isinstance(reply, Fulfill), (i, reply)

                    pay(6)  # 1000 -> 400: crossed once (at 500)
                    money(second, "depositPeerLiquidity", peerId=sender, amount="600")  # 1000
                    pay(6)  # crossed again

                deadline = time.monotonic() + WAIT_SECONDS
                while len(listed(first)) < 2:
                    assert time.monotonic() < deadline, listed(first)
                    time.sleep(0.05)
                events = listed(second)
                got = hooks.wait_for(
                    lambda bodies: {b["id"] for b in bodies} >= {e["id"] for e in events},
                    "both events",
                )
            finally:
                second.stop()
                first.stop()
    finally:
        with contextlib.suppress(StopIteration):
            next(databases)

    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("peer.liquidity_low", sender),
        ("peer.liquidity_low", sender),
    ]
    assert sorted(b["id"] for b in got) == sorted(e["id"] for e in events)  # each sent once


def wait_until_known(node: NodeProcess, token: str) -> None:
    """Wait until the process knows the peer with this token (the change feed): its connector
    then answers a body that is no Prepare 400, not 401."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (
        httpx.post(
            node.connector_url, content=b"?", headers={"authorization": f"Bearer {token}"}
        ).status_code
        == 401
    ):
        assert time.monotonic() < deadline, "the other process did not hear of the peer"
        time.sleep(0.05)
