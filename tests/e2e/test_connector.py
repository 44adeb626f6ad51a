"""The connector end to end: three real nodes A, B and C on loopback forward a test sender's packets
to a fulfiller, with a currency change at B (USD scale 2 -> EUR scale 4, rate 0.9).

    sender ──USD/2──▶ A ──USD/2──▶ B ──EUR/4──▶ C ──EUR/4──▶ fulfiller (test.fulfiller)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from ilpnode.connector.middleware.local import ECHO_PREFIX, echo_request_data
from ilpnode.ilp import (
    ILDCP_DESTINATION,
    Fulfill,
    Reject,
    build_ildcp_request,
    decode_amount_too_large_data,
    decode_ildcp_response,
    encode_prepare,
)

from .network import (
    Fulfiller,
    NodeProcess,
    fulfiller,
    prepare_to,
    send,
    start_node,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SENDER_TOKEN = "sender-to-a"
FEW_TOKEN = "few-to-a"
SENDER_LIQUIDITY = 1_000_000
FEW_LIQUIDITY = 50


@dataclass
class Network:
    a: NodeProcess
    b: NodeProcess
    c: NodeProcess
    fulfiller: Fulfiller
    inbox: Fulfiller  # the sender's own endpoint (echo responses come back here)
    peers: dict[str, str]  # "<node>:<peer>" -> peer id on that node
    assets: dict[str, str]

    def balances(self) -> dict[str, int]:
        nodes = {"a": self.a, "b": self.b, "c": self.c}
        return {
            key: nodes[key.split(":")[0]].liquidity(peer_id) for key, peer_id in self.peers.items()
        }


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    tmp = tmp_path_factory.mktemp("abc")
    with fulfiller() as target, fulfiller("inbox-token") as inbox:
        a = start_node(tmp, "a", "test.a")
        b = start_node(tmp, "b", "test.b", EXCHANGE_RATES='{"USD": {"EUR": "0.9"}}')
        c = start_node(tmp, "c", "test.c")
        try:
            peers, assets = {}, {}
            usd_a = a.create_asset("USD", 2)
            peers["a:sender"] = a.create_peer(
                asset_id=usd_a,
                address="test.sender",
                incoming_token=SENDER_TOKEN,
                outgoing_token="inbox-token",
                endpoint=inbox.url,
                liquidity=SENDER_LIQUIDITY,
                max_packet_amount=100_000,
            )
            peers["a:few"] = a.create_peer(
                asset_id=usd_a,
                address="test.few",
                incoming_token=FEW_TOKEN,
                outgoing_token="unused",
                endpoint="http://127.0.0.1:9/unused",
                liquidity=FEW_LIQUIDITY,
            )
            peers["a:b"] = a.create_peer(
                asset_id=usd_a,
                address="test.b",
                incoming_token="b-to-a",
                outgoing_token="a-to-b",
                endpoint=b.connector_url,
                routes=["test.c", "test.fulfiller"],
            )
            a.create_peer(
                asset_id=usd_a,
                address="test.dead",
                incoming_token="dead-to-a",
                outgoing_token="a-to-dead",
                endpoint="http://127.0.0.1:9/ilp",  # discard port: nothing listens
            )
            usd_b, eur_b = b.create_asset("USD", 2), b.create_asset("EUR", 4)
            b.deposit_asset(eur_b, 10_000_000)
            assets["b:EUR"] = eur_b
            peers["b:a"] = b.create_peer(
                asset_id=usd_b,
                address="test.a",
                incoming_token="a-to-b",
                outgoing_token="b-to-a",
                endpoint=a.connector_url,
                liquidity=SENDER_LIQUIDITY,
                routes=["test.sender", "test.few"],
            )
            peers["b:c"] = b.create_peer(
                asset_id=eur_b,
                address="test.c",
                incoming_token="c-to-b",
                outgoing_token="b-to-c",
                endpoint=c.connector_url,
                routes=["test.fulfiller"],
            )
            eur_c = c.create_asset("EUR", 4)
            peers["c:b"] = c.create_peer(
                asset_id=eur_c,
                address="test.b",
                incoming_token="b-to-c",
                outgoing_token="c-to-b",
                endpoint=b.connector_url,
                liquidity=100 * SENDER_LIQUIDITY,
                routes=["test.a", "test.sender"],
            )
            peers["c:fulfiller"] = c.create_peer(
                asset_id=eur_c,
                address="test.fulfiller",
                incoming_token="fulfiller-to-c",
                outgoing_token="fulfiller-in",
                endpoint=target.url,
            )
            yield Network(a, b, c, target, inbox, peers, assets)
        finally:
            for node in (a, b, c):
                node.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


def _send(
    network: Network, client: httpx.Client, destination: str, amount: int, expires_in: float = 10
) -> Fulfill | Reject:
    prepare = prepare_to(destination, amount, expires_in=expires_in)
    return send(client, network.a.connector_url, SENDER_TOKEN, prepare)


def test_a_packet_crosses_three_nodes_and_two_assets(
    network: Network, client: httpx.Client
) -> None:
    before = network.balances()
    received_before = network.fulfiller.count()
    reply = _send(network, client, "test.fulfiller.fulfill.alice", 100)
    assert isinstance(reply, Fulfill), reply
    assert reply.data == b"ok"
    assert network.fulfiller.count() == received_before + 1
    arrived = network.fulfiller.received[-1]
    assert arrived.amount == 9_000  # 1.00 USD at 0.9 = 0.9000 EUR (scale 4)
    after = network.balances()
    assert after["a:sender"] == before["a:sender"] - 100
    assert after["a:b"] == before["a:b"] + 100
    assert after["b:a"] == before["b:a"] - 100
    assert after["b:c"] == before["b:c"] + 9_000
    assert after["c:b"] == before["c:b"] - 9_000
    assert after["c:fulfiller"] == before["c:fulfiller"] + 9_000


def test_expiry_is_shortened_at_each_hop(network: Network, client: httpx.Client) -> None:
    prepare = prepare_to("test.fulfiller.fulfill.expiry", 10, expires_in=20)
    assert isinstance(send(client, network.a.connector_url, SENDER_TOKEN, prepare), Fulfill)
    arrived = network.fulfiller.received[-1]
    assert arrived.execution_condition == prepare.execution_condition
    # Three hops, each takes 1 s off (and none holds longer than 30 s).
    margin = (prepare.expires_at - arrived.expires_at).total_seconds()
    assert 3.0 <= margin < 3.5


def test_max_packet_amount_is_f08_with_its_data(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    reply = _send(network, client, "test.fulfiller.fulfill.big", 100_001)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F08", "test.a")
    data = decode_amount_too_large_data(reply.data)
    assert (data.received_amount, data.maximum_amount) == (100_001, 100_000)
    assert network.balances() == before


def test_no_route_is_f02(network: Network, client: httpx.Client) -> None:
    reply = _send(network, client, "test.nowhere.bob", 5)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F02", "test.a")


def test_wrong_fulfillment_is_f05_and_moves_nothing(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    reply = _send(network, client, "test.fulfiller.wrong.x", 100)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F05", "test.c")
    assert network.balances() == before


def test_a_peer_reject_passes_through_unchanged(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    reply = _send(network, client, "test.fulfiller.reject.x", 100)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by, reply.message) == ("F99", "test.fulfiller", "no thanks")
    assert network.balances() == before


def test_slow_peer_is_r00_and_the_reservation_is_voided(
    network: Network, client: httpx.Client
) -> None:
    before = network.balances()
    reply = _send(network, client, "test.fulfiller.slow.x", 100, expires_in=4.5)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("R00", "test.c")
    assert network.balances() == before


def test_unreachable_peer_is_t01(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    reply = _send(network, client, "test.dead.x", 100)
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("T01", "test.a")
    assert network.balances() == before


def test_expired_and_too_short_packets_are_r02(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    for expires_in in (-1.0, 0.5):
        reply = _send(network, client, "test.fulfiller.fulfill.late", 100, expires_in=expires_in)
        assert isinstance(reply, Reject)
        assert (reply.code, reply.triggered_by) == ("R02", "test.a")
    assert network.balances() == before


def test_wrong_token_and_garbage_are_http_errors(network: Network, client: httpx.Client) -> None:
    before = network.balances()
    body = encode_prepare(prepare_to("test.fulfiller.fulfill.x", 100))
    url = network.a.connector_url
    octets = {"content-type": "application/octet-stream"}
    assert client.post(url, content=body, headers=octets).status_code == 401
    wrong = client.post(url, content=body, headers={**octets, "authorization": "Bearer nope"})
    assert wrong.status_code == 401
    garbage = client.post(
        url, content=b"\x0c\x05hello", headers={**octets, "authorization": f"Bearer {SENDER_TOKEN}"}
    )
    assert garbage.status_code == 400
    assert "invalid ILP Prepare" in garbage.text
    assert network.balances() == before


def test_ildcp_tells_the_peer_its_address_and_asset(network: Network, client: httpx.Client) -> None:
    from datetime import UTC, datetime, timedelta

    request = build_ildcp_request(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    assert request.destination == ILDCP_DESTINATION
    reply = send(client, network.a.connector_url, SENDER_TOKEN, request)
    assert isinstance(reply, Fulfill), reply
    answer = decode_ildcp_response(reply)
    assert (answer.client_address, answer.asset_code, answer.asset_scale) == (
        "test.sender",
        "USD",
        2,
    )


def test_echo_comes_back_through_the_sender(network: Network, client: httpx.Client) -> None:
    preimage = b"\x07" * 32
    prepare = prepare_to("test.a", 0, preimage=preimage)
    echo = prepare.__class__(
        amount=0,
        expires_at=prepare.expires_at,
        execution_condition=prepare.execution_condition,
        destination="test.a",
        data=echo_request_data("test.sender"),
    )
    network.inbox.preimages[prepare.execution_condition] = preimage
    reply = send(client, network.a.connector_url, SENDER_TOKEN, echo)
    assert isinstance(reply, Fulfill), reply
    [response] = [p for p in network.inbox.received if p.data.startswith(ECHO_PREFIX)]
    assert response.destination == "test.sender"
    assert response.data == ECHO_PREFIX + b"\x01"


async def test_liquidity_running_out_under_concurrency(network: Network) -> None:
    """200 packets of 1 at once against a credit line of 50: exactly 50 are fulfilled."""
    url = network.a.connector_url
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def one(i: int) -> Fulfill | Reject:
            # A long expiry: each Prepare is made when its coroutine starts, and may wait for
            # one of the 50 connections (slow under coverage); this test is about liquidity.
            body = encode_prepare(prepare_to(f"test.fulfiller.fulfill.n{i}", 1, expires_in=60))
            response = await http.post(
                url,
                content=body,
                headers={
                    "authorization": f"Bearer {FEW_TOKEN}",
                    "content-type": "application/octet-stream",
                },
            )
            assert response.status_code == 200
            from ilpnode.ilp import decode_reply

            return decode_reply(response.content)

        replies = await asyncio.gather(*(one(i) for i in range(200)))
    fulfilled = [r for r in replies if isinstance(r, Fulfill)]
    rejected = [r for r in replies if isinstance(r, Reject)]
    assert {r.code for r in rejected} == {"T04"}, [(r.code, r.message) for r in rejected][:5]
    assert len(fulfilled) == FEW_LIQUIDITY
    assert network.a.liquidity(network.peers["a:few"]) == 0


def test_both_sides_of_each_link_agree(network: Network, client: httpx.Client) -> None:
    assert isinstance(_send(network, client, "test.fulfiller.fulfill.agree", 7), Fulfill)
    b = network.balances()
    # What A credited B equals what B debited A (same asset), on every link.
    assert b["a:b"] == SENDER_LIQUIDITY - b["b:a"]
    assert b["b:c"] == 100 * SENDER_LIQUIDITY - b["c:b"]
    assert b["c:fulfiller"] == b["b:c"]


def test_metrics_count_packets_by_outcome(network: Network, client: httpx.Client) -> None:
    _send(network, client, "test.nowhere.metrics", 1)
    wrong = client.post(
        network.a.connector_url, content=b"x", headers={"authorization": "Bearer not-a-token"}
    )
    assert wrong.status_code == 401
    text = client.get(f"{network.a.admin_url}/metrics").text
    assert 'ilpnode_connector_refusals_total{status="401"}' in text
    assert 'ilpnode_packets_total{code="F02",outcome="reject",peer="test.sender"' in text
    assert 'ilpnode_peer_liquidity{asset="USD/2"' in text
