"""The STREAM receiver tallies the payments received: per connection, only packets that carried
money and were booked, in the wallet address's asset, at the time they arrived."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from ilpnode.ilp import Fulfill
from ilpnode.ilp.stream import StreamCredentials
from ilpnode.services.payments import ReceivedPayment, connection_id
from tests.unit.ilp.stream.sender import Sender

from .harness import World, make_world, reject_code
from .test_stream_receiver import FailingPosts, stream_prepare


@pytest.fixture
async def world() -> World:
    return await make_world(rates={"USD": {"EUR": Fraction(9, 10)}}, receiving=True)


def tallied(world: World) -> dict[object, ReceivedPayment]:
    """What the receiver tallied, by connection id (taking it, as the log's writer does)."""
    assert world.receiving is not None
    return {s.id: s for s in (t.summary() for t in world.tally.take())}


def connection_of(credentials: StreamCredentials) -> object:
    return connection_id(credentials.destination_account.rsplit(".", 1)[1])


async def test_each_connection_is_one_payment_in_the_wallet_addresss_asset(world: World) -> None:
    usd, eur = world.connect("usd"), world.connect("eur")
    usd_sender, eur_sender = Sender(usd.shared_secret), Sender(eur.shared_secret)
    for amount in (100, 250):
        assert isinstance(await world.send(stream_prepare(world, usd, usd_sender, amount)), Fulfill)
    world.clock.value_ns += 2_500_000_000  # 2.5 s later
    assert isinstance(await world.send(stream_prepare(world, usd, usd_sender, 5)), Fulfill)
    assert isinstance(await world.send(stream_prepare(world, eur, eur_sender, 123)), Fulfill)

    payments = tallied(world)
    assert set(payments) == {connection_of(usd), connection_of(eur)}
    paid = payments[connection_of(usd)]
    assert (paid.wallet_address_id, paid.asset_code, paid.asset_scale) == (
        world.wallet("usd").id,
        "USD",
        2,
    )
    assert (paid.total_received, paid.packets) == (355, 3)
    assert paid.first_packet_at == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert paid.last_packet_at == datetime(2027, 1, 15, 8, 0, 2, 500_000, tzinfo=UTC)
    assert paid.total_received == await world.balance("usd")
    converted = payments[connection_of(eur)]
    assert (converted.asset_code, converted.total_received) == ("EUR", 11_070)
    assert converted.total_received == await world.balance("eur")


async def test_refused_packets_and_empty_ones_are_not_tallied(world: World) -> None:
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    for _ in range(2):
        reply = await world.send(stream_prepare(world, credentials, sender, 500))
        assert isinstance(reply, Fulfill)
    # T04 (alice's credit is used up), the receiver's F99 (below the minimum), a probe, and a
    # 0-amount packet that is fulfilled but carries no money.
    assert reject_code(await world.send(stream_prepare(world, credentials, sender, 1)))[0] == "T04"
    below = stream_prepare(world, credentials, sender, 20, min_amount=21)
    assert reject_code(await world.send(below, sender="bob"))[0] == "F99"
    probe = stream_prepare(world, credentials, sender, 20, fulfillable=False)
    assert reject_code(await world.send(probe, sender="bob"))[0] == "F99"
    empty = stream_prepare(world, credentials, sender, 0, frames=[])
    assert isinstance(await world.send(empty, sender="bob"), Fulfill)

    [paid] = tallied(world).values()
    assert (paid.total_received, paid.packets) == (1_000, 2)
    assert paid.total_received == await world.balance("usd")


async def test_a_packet_whose_post_failed_is_not_tallied() -> None:
    world = await make_world(receiving=True, packet_ledger=FailingPosts)
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)
    assert reject_code(await world.send(stream_prepare(world, credentials, sender, 100)))[0] == (
        "T00"
    )
    assert tallied(world) == {}
