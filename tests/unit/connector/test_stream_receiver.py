"""The STREAM receiver on the packet path: payments into wallet addresses hosted by the node,
booked two-phase like a forwarded packet, refused without moving anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

import pytest
from prometheus_client.core import CounterMetricFamily

from ilpnode.ilp import MAX_AMOUNT, Fulfill, Prepare, Reject
from ilpnode.ilp.stream import (
    ConnectionClose,
    StreamCredentials,
    StreamMoney,
    StreamReceipt,
    verify_receipt,
)
from ilpnode.ledger import (
    CreateTransferResult,
    CreateTransferStatus,
    MemoryLedger,
    Transfer,
    TransferFlags,
)
from tests.unit.ilp.stream.sender import FULFILL, REJECT, Sender

from .harness import World, make_world, reject_code

RATE = Fraction(9, 10)  # USD -> EUR


@pytest.fixture
async def world() -> World:
    return await make_world(rates={"USD": {"EUR": RATE}}, receiving=True)


def stream_prepare(
    world: World,
    credentials: StreamCredentials,
    sender: Sender,
    amount: int,
    *,
    min_amount: int = 0,
    fulfillable: bool = True,
    frames: Sequence[object] | None = None,
) -> Prepare:
    """A Prepare of `amount` on stream 1 of the connection (or carrying `frames`)."""
    data, condition = sender.prepare(
        *(frames if frames is not None else [StreamMoney(stream_id=1, shares=1)]),  # type: ignore[arg-type]
        min_amount=min_amount,
        fulfillable=fulfillable,
    )
    return Prepare(
        amount=amount,
        expires_at=world.clock.now() + timedelta(seconds=30),
        execution_condition=condition,
        destination=credentials.destination_account,
        data=data,
    )


def received(world: World) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Wallet address name -> (fulfilled packets, amount received, rejected by code)."""
    assert world.receiving is not None
    return {
        t.hop.label.rsplit("/", 1)[1]: (t.fulfilled, t.amount_received, dict(t.rejected))
        for t in world.receiving.metrics.traffic()
    }


def total_received(world: World, credentials: StreamCredentials) -> int:
    assert world.receiving is not None
    token = credentials.destination_account.rsplit(".", 1)[1]
    connection = world.receiving.connections.get(token)
    assert connection is not None
    return connection.total_received


async def test_a_payment_is_booked_from_the_peer_to_the_wallet_address(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    for amount in (100, 250):
        prepare = stream_prepare(world, credentials, sender, amount)
        reply = await world.send(prepare)
        assert isinstance(reply, Fulfill), reply
        answer = sender.read(reply)
        assert (answer.ilp_packet_type, answer.prepare_amount) == (FULFILL, amount)
        assert answer.sequence == sender.sequence
    assert await world.balance("usd") == 350
    assert await world.pending("usd") == 0
    assert await world.liquidity("alice") == 650
    assert world.hop.sent == []  # nothing forwarded
    assert received(world) == {"usd": (2, 350, {})}
    assert total_received(world, credentials) == 350


async def test_another_asset_arrives_converted_with_the_nodes_rate(world: World) -> None:
    credentials = world.connect("eur")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 123))
    assert isinstance(reply, Fulfill), reply
    # 1.23 USD at 0.9 = 1.107 EUR = 11070 at scale 4.
    assert sender.read(reply).prepare_amount == 11_070
    assert await world.balance("eur") == 11_070
    assert await world.liquidity("alice") == 877
    assert received(world) == {"eur": (1, 11_070, {})}


async def test_receipts_count_what_arrived_on_the_stream(world: World) -> None:
    credentials = world.connect("usd", receipts=True)
    sender = Sender(credentials.shared_secret)
    for amount, total in ((40, 40), (60, 100)):
        reply = await world.send(stream_prepare(world, credentials, sender, amount))
        assert isinstance(reply, Fulfill)
        [receipt] = [f for f in sender.read(reply).frames if isinstance(f, StreamReceipt)]
        verified = verify_receipt(receipt.receipt, bytes(range(32)))
        assert (verified.stream_id, verified.total_received) == (1, total)


async def test_an_unfulfillable_probe_of_any_size_gets_f99_with_the_arrived_amount(
    world: World,
) -> None:
    """Rate probes: decided before any reservation, so a probe beyond the peer's liquidity
    still learns the rate (a reservation would have refused it T04)."""
    credentials = world.connect("eur")
    sender = Sender(credentials.shared_secret)
    probe = stream_prepare(world, credentials, sender, 10**9, fulfillable=False)
    reply = await world.send(probe, sender="bob")
    assert reject_code(reply) == ("F99", "test.node")
    assert isinstance(reply, Reject)
    answer = sender.read(reply)
    assert (answer.ilp_packet_type, answer.prepare_amount) == (REJECT, 9 * 10**10)
    assert await world.liquidity("bob") == 1_000
    assert await world.balance("eur") == 0
    assert received(world) == {"eur": (0, 0, {"F99": 1})}


async def test_below_the_senders_minimum_is_f99_and_moves_nothing(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 100, min_amount=101))
    assert reject_code(reply) == ("F99", "test.node")
    assert isinstance(reply, Reject)
    assert sender.read(reply).prepare_amount == 100
    assert await world.balance("usd") == 0
    assert await world.liquidity("alice") == 1_000


async def test_data_that_does_not_decrypt_is_f06(world: World) -> None:
    credentials = world.connect("usd")
    other = Sender(world.connect("usd").shared_secret)  # another connection's key
    reply = await world.send(stream_prepare(world, credentials, other, 100))
    assert reject_code(reply) == ("F06", "test.node")
    assert isinstance(reply, Reject)
    assert reply.data == b""
    assert await world.balance("usd") == 0
    assert await world.liquidity("alice") == 1_000


@pytest.mark.parametrize(
    "destination",
    [
        "test.node.wallet",  # not a token
        "test.node.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # forged
        "test.node",  # our bare address, no echo
    ],
)
async def test_no_connection_of_ours_is_f02(world: World, destination: str) -> None:
    reply = await world.send(world.prepare(destination, 10))
    assert reject_code(reply) == ("F02", "test.node")
    assert await world.liquidity("alice") == 1_000
    assert received(world) == {}


async def test_an_inactive_wallet_address_receives_nothing(world: World) -> None:
    credentials = world.connect("off")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 10))
    assert reject_code(reply) == ("F02", "test.node")
    assert await world.balance("off") == 0
    assert await world.liquidity("alice") == 1_000


async def test_a_child_peer_under_our_address_still_takes_its_packets(world: World) -> None:
    bob = world.peers["bob"]
    world.routing.add("test.node.bob", bob.id, bob.asset_id)
    assert isinstance(await world.send(world.prepare("test.node.bob.x", 5)), Fulfill)
    [(peer, _)] = world.hop.sent
    assert peer.name == "bob"


async def test_short_liquidity_is_t04_and_the_receiver_forgets_the_money(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    for _ in range(2):
        reply = await world.send(stream_prepare(world, credentials, sender, 500))
        assert isinstance(reply, Fulfill)
    reply = await world.send(stream_prepare(world, credentials, sender, 1))
    assert reject_code(reply) == ("T04", "test.node")
    assert await world.balance("usd") == 1_000
    assert total_received(world, credentials) == 1_000  # the refused 1 was undone
    assert received(world) == {"usd": (2, 1_000, {"T04": 1})}


class FailingPosts:
    """The world's ledger, refusing every post of a pending transfer (a status a post never
    gets in practice: what matters is that the ledger said no, and the void still works)."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        if transfers and transfers[0].flags & TransferFlags.POST_PENDING_TRANSFER:
            return [
                CreateTransferResult(
                    index=i, status=CreateTransferStatus.EXCEEDS_CREDITS, timestamp=None
                )
                for i in range(len(transfers))
            ]
        return await self.ledger.create_transfers(transfers, durable=durable)


async def test_a_post_that_fails_is_t00_and_undoes_the_receivers_decision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await make_world(receiving=True, packet_ledger=FailingPosts)
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 100))
    assert reject_code(reply) == ("T00", "test.node")
    assert await world.balance("usd") == 0
    assert await world.pending("usd") == 0  # voided
    assert await world.liquidity("alice") == 1_000
    assert total_received(world, credentials) == 0
    assert received(world) == {"usd": (0, 0, {"T00": 1})}
    assert [r.exc_info for r in caplog.records if r.exc_info] == []  # refused, not a bug
    assert "could not post the transfer of a fulfilled packet" in caplog.text


async def test_an_amount_beyond_u64_in_the_wallet_addresss_asset_is_refused(world: World) -> None:
    credentials = world.connect("eur")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, MAX_AMOUNT), sender="bob")
    assert reject_code(reply) == ("F03", "test.node")
    assert await world.liquidity("bob") == 1_000
    assert await world.balance("eur") == 0


async def test_an_amount_that_converts_to_nothing_is_r01() -> None:
    """Worth less than one unit of the wallet address's asset: R01, as Router answers when a
    peer would get 0 (0.01 USD at 0.001 EUR/USD is 0.1 units of EUR at scale 4)."""
    world = await make_world(rates={"USD": {"EUR": Fraction(1, 1000)}}, receiving=True)
    credentials = world.connect("eur")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 1))
    assert reject_code(reply) == ("R01", "test.node")
    assert await world.liquidity("alice") == 1_000


async def test_a_zero_amount_packet_is_fulfilled_without_a_reservation(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    reply = await world.send(stream_prepare(world, credentials, sender, 0, frames=[]))
    assert isinstance(reply, Fulfill)
    assert sender.read(reply).ilp_packet_type == FULFILL
    assert await world.liquidity("alice") == 1_000
    # The sender closes: F99 with the close acknowledged, and the connection takes no more.
    close = stream_prepare(
        world, credentials, sender, 0, frames=[ConnectionClose(error_code=1, message="")]
    )
    assert reject_code(await world.send(close)) == ("F99", "test.node")
    reply = await world.send(stream_prepare(world, credentials, sender, 10))
    assert reject_code(reply) == ("F99", "test.node")
    assert await world.balance("usd") == 0


async def test_metrics_count_packets_and_amounts_per_wallet_address(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    await world.send(stream_prepare(world, credentials, sender, 30))
    await world.send(stream_prepare(world, credentials, sender, 20, min_amount=21))
    assert world.receiving is not None
    families = {f.name: f for f in world.receiving.metrics.collect()}
    wallet = world.wallet("usd")
    packets = families["ilpnode_stream_packets"]
    amounts = families["ilpnode_stream_amount_received"]
    assert isinstance(packets, CounterMetricFamily)
    samples = {
        (s.labels["outcome"], s.labels["code"]): s.value
        for s in packets.samples
        if s.labels["wallet_address_id"] == str(wallet.id)
    }
    assert samples == {("fulfill", ""): 1, ("reject", "F99"): 1}
    [amount] = amounts.samples
    assert amount.labels == {
        "wallet_address": wallet.url,
        "wallet_address_id": str(wallet.id),
        "asset": "USD/2",
    }
    assert amount.value == 30
