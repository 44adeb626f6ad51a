"""The pipeline, middleware by middleware, over an in-memory ledger and a scripted next hop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from fractions import Fraction

import pytest

from ilpnode.connector.errors import TransferTimedOut
from ilpnode.connector.middleware.expiry import expiry_ns
from ilpnode.connector.middleware.local import ECHO_PREFIX, echo_request_data
from ilpnode.connector.pipeline import ConnectorOptions
from ilpnode.connector.types import PacketContext
from ilpnode.ilp import (
    PEER_PROTOCOL_CONDITION,
    Fulfill,
    Prepare,
    Reject,
    build_ildcp_request,
    decode_amount_too_large_data,
    decode_ildcp_response,
)

from .harness import World, make_world, reject_code


@pytest.fixture
async def world() -> World:
    return await make_world(rates={"USD": {"EUR": Fraction(9, 10)}})


async def test_fulfilled_packet_moves_the_money_once(world: World) -> None:
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert isinstance(reply, Fulfill)
    assert await world.liquidity("alice") == 900
    assert await world.liquidity("bob") == 1_100
    [(peer, sent)] = world.hop.sent
    assert (peer.name, sent.amount, sent.destination) == ("bob", 100, "test.bob.x")


@pytest.mark.parametrize(("amount", "fulfilled"), [(499, True), (500, True), (501, False)])
async def test_max_packet_amount_boundary(world: World, amount: int, fulfilled: bool) -> None:
    reply = await world.send(world.prepare("test.bob.x", amount))
    if fulfilled:
        assert isinstance(reply, Fulfill)
        return
    assert reject_code(reply) == ("F08", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message == "packet size too large. maxAmount=500 actualAmount=501"
    data = decode_amount_too_large_data(reply.data)
    assert (data.received_amount, data.maximum_amount) == (501, 500)
    assert world.hop.sent == []
    assert await world.liquidity("alice") == 1_000


async def test_no_route_and_no_bounce_back(world: World) -> None:
    assert reject_code(await world.send(world.prepare("test.nobody", 1))) == ("F02", "test.node")
    # Alice's own address routes to alice, who sent it: never bounced back.
    assert reject_code(await world.send(world.prepare("test.alice.x", 1)))[0] == "F02"
    assert world.hop.sent == []


async def test_insufficient_liquidity_is_t04_and_reserves_nothing(world: World) -> None:
    for _ in range(2):
        assert isinstance(await world.send(world.prepare("test.bob.x", 500)), Fulfill)
    reply = await world.send(world.prepare("test.bob.x", 1))
    assert reject_code(reply) == ("T04", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message == "InsufficientBalance"
    assert await world.liquidity("alice") == 0
    assert len(world.hop.sent) == 2


def hold_the_next_hop(world: World) -> asyncio.Event:
    """Make the next hop answer only once the returned event is set."""
    release = asyncio.Event()
    original = world.hop.send

    async def held_send(peer: object, body: bytes, *, timeout_seconds: float) -> Fulfill | Reject:
        await release.wait()
        return await original(peer, body, timeout_seconds=timeout_seconds)  # type: ignore[arg-type]

    world.hop.send = held_send  # type: ignore[method-assign]
    return release


async def test_concurrent_packets_never_overspend(world: World) -> None:
    release = hold_the_next_hop(world)
    tasks = [asyncio.create_task(world.send(world.prepare("test.bob.x", 300))) for _ in range(5)]
    await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    replies = await asyncio.gather(*tasks)
    assert sum(isinstance(r, Fulfill) for r in replies) == 3  # 3 x 300 <= 1000 < 4 x 300
    assert {r.code for r in replies if isinstance(r, Reject)} == {"T04"}
    assert await world.liquidity("alice") == 100


async def test_wrong_fulfillment_is_f05_and_voided(world: World) -> None:
    world.hop.answer = lambda _p: Fulfill(fulfillment=bytes(32))
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("F05", "test.node")
    assert await world.liquidity("alice") == 1_000
    assert await world.liquidity("bob") == 1_000


async def test_peer_reject_passes_through_and_voids(world: World) -> None:
    theirs = Reject(code="F99", triggered_by="test.bob", message="nope", data=b"\x01")
    world.hop.answer = lambda _p: theirs
    assert await world.send(world.prepare("test.bob.x", 100)) == theirs
    assert await world.liquidity("alice") == 1_000


async def test_exception_in_the_next_hop_is_t00_and_voids(world: World) -> None:
    def boom(_p: Prepare) -> Fulfill:
        raise RuntimeError("bug")

    world.hop.answer = boom
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("T00", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message == "unexpected internal error"
    assert await world.liquidity("alice") == 1_000


async def test_expiry_is_reduced_and_capped(world: World) -> None:
    await world.send(world.prepare("test.bob.x", 1, expires_in=10))
    await world.send(world.prepare("test.bob.x", 1, expires_in=100))
    now = world.clock.now()
    (_, first), (_, second) = world.hop.sent
    assert first.expires_at == now + timedelta(seconds=9)
    assert second.expires_at == now + timedelta(seconds=30)


@pytest.mark.parametrize(
    ("expires_in", "message_start"),
    [
        (0.0, "source transfer has already expired"),
        (-5.0, "source transfer has already expired"),
        (1.999, "source transfer expires too soon to complete payment"),
    ],
)
async def test_expired_or_too_short_is_r02(
    world: World, expires_in: float, message_start: str
) -> None:
    reply = await world.send(world.prepare("test.bob.x", 1, expires_in=expires_in))
    assert reject_code(reply) == ("R02", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message.startswith(message_start)
    assert world.hop.sent == []
    assert await world.liquidity("alice") == 1_000


async def test_two_seconds_is_just_enough(world: World) -> None:
    assert isinstance(await world.send(world.prepare("test.bob.x", 1, expires_in=2)), Fulfill)


async def test_the_next_hop_gets_the_time_left_and_r00_voids() -> None:
    world = await make_world(options=ConnectorOptions(max_hold_ms=5_000))

    def time_out(_p: Prepare) -> Fulfill:
        raise TransferTimedOut("packet expired.")

    world.hop.answer = time_out
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("R00", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message == "packet expired."
    assert world.hop.timeouts == [5.0]  # capped by the hold window, on the injected clock
    assert await world.liquidity("alice") == 1_000


async def test_cross_asset_converts_exactly_and_books_both_ledgers(world: World) -> None:
    # 1.23 USD (scale 2) at 0.9 = 1.107 EUR = 11070 at scale 4.
    assert isinstance(await world.send(world.prepare("test.carol.x", 123)), Fulfill)
    [(_, sent)] = world.hop.sent
    assert sent.amount == 11_070
    assert await world.liquidity("alice") == 1_000 - 123
    assert await world.liquidity("carol") == 1_000 + 11_070


async def test_no_rate_is_f07() -> None:
    world = await make_world(rates={})
    reply = await world.send(world.prepare("test.carol.x", 100))
    assert reject_code(reply) == ("F07", "test.node")
    assert isinstance(reply, Reject)
    assert reply.message == "Exchange rate error: InvalidDestinationPrice"


async def test_amount_that_converts_to_zero_is_r01() -> None:
    world = await make_world(rates={"EUR": {"USD": Fraction(1, 10)}})
    # 5 EUR units at scale 4 -> 5 * 0.1 / 100 = 0.005 USD units: rounds down to 0.
    reply = await world.send(world.prepare("test.alice.x", 5), sender="carol")
    assert reject_code(reply) == ("R01", "test.node")


async def test_zero_amount_packets_move_no_money(world: World) -> None:
    assert isinstance(await world.send(world.prepare("test.bob.x", 0)), Fulfill)
    assert await world.liquidity("alice") == 1_000
    world.hop.answer = lambda _p: Fulfill(fulfillment=bytes(32))  # wrong: still checked
    assert reject_code(await world.send(world.prepare("test.bob.x", 0))) == ("F05", "test.node")


async def test_ildcp_answers_with_the_peers_address_and_asset(world: World) -> None:
    request = build_ildcp_request(expires_at=world.clock.now() + timedelta(seconds=60))
    reply = await world.send(request)
    assert isinstance(reply, Fulfill)
    answer = decode_ildcp_response(reply)
    assert (answer.client_address, answer.asset_code, answer.asset_scale) == (
        "test.alice",
        "USD",
        2,
    )


async def test_bad_ildcp_request_is_f01(world: World) -> None:
    bad = Prepare(
        amount=5,
        expires_at=world.clock.now() + timedelta(seconds=60),
        execution_condition=PEER_PROTOCOL_CONDITION,
        destination="peer.config",
    )
    assert reject_code(await world.send(bad)) == ("F01", "test.node")


async def test_other_peer_protocols_are_never_forwarded(world: World) -> None:
    for destination in ("peer.route.control", "peer.settle"):
        assert reject_code(await world.send(world.prepare(destination, 0)))[0] == "F02"
    assert world.hop.sent == []


async def test_echo_goes_back_to_the_source(world: World) -> None:
    echo = world.prepare("test.node", 7, data=echo_request_data("test.alice.me"))
    assert isinstance(await world.send(echo), Fulfill)
    [(peer, sent)] = world.hop.sent
    assert peer.name == "alice"  # back through the peer it came from
    assert (sent.destination, sent.data, sent.amount) == (
        "test.alice.me",
        ECHO_PREFIX + b"\x01",
        7,
    )


async def test_echo_without_a_source_and_other_local_packets(world: World) -> None:
    broken = world.prepare("test.node", 0, data=ECHO_PREFIX + b"\x00\x03a.b")
    assert reject_code(await world.send(broken))[0] == "F01"
    assert reject_code(await world.send(world.prepare("test.node.wallet", 1)))[0] == "F02"


async def test_a_child_peer_under_our_address_is_routed_to(world: World) -> None:
    bob = world.peers["bob"]
    world.routing.add("test.node.bob", bob.id, bob.asset_id)
    assert isinstance(await world.send(world.prepare("test.node.bob.wallet", 5)), Fulfill)
    [(peer, _)] = world.hop.sent
    assert peer.name == "bob"
    assert reject_code(await world.send(world.prepare("test.node.carl", 5)))[0] == "F02"
    # A catch-all route never takes our own addresses, nor bounces a child's packet back.
    carol = world.peers["carol"]
    world.routing.add("test", carol.id, carol.asset_id)
    assert reject_code(await world.send(world.prepare("test.node.carl", 5)))[0] == "F02"
    from_bob = await world.send(world.prepare("test.node.bob.self", 5), sender="bob")
    assert reject_code(from_bob)[0] == "F02"
    assert len(world.hop.sent) == 1


async def test_rate_limit_refills_continuously() -> None:
    options = ConnectorOptions(rate_limit_packets_per_second=10, rate_limit_burst=2)
    world = await make_world(options=options)
    codes = [await world.send(world.prepare("test.bob.x", 1)) for _ in range(3)]
    assert [isinstance(r, Fulfill) for r in codes] == [True, True, False]
    assert reject_code(codes[2]) == ("T05", "test.node")
    world.clock.value_ns += 50_000_000  # 50 ms: half a token
    assert reject_code(await world.send(world.prepare("test.bob.x", 1)))[0] == "T05"
    world.clock.value_ns += 100_000_000  # 100 ms more: a whole token again
    assert isinstance(await world.send(world.prepare("test.bob.x", 1)), Fulfill)
    # Another peer has its own bucket.
    assert isinstance(await world.send(world.prepare("test.alice.x", 1), sender="bob"), Fulfill)


async def test_metrics_count_each_outcome(world: World) -> None:
    await world.send(world.prepare("test.bob.x", 10))
    await world.send(world.prepare("test.nobody", 3))
    [traffic] = [t for t in world.metrics.traffic() if t.peer.name == "alice"]
    assert (traffic.fulfilled, traffic.rejected, traffic.amount_fulfilled) == (1, {"F02": 1}, 10)
    assert sum(traffic.latency_counts) == 2


async def test_metrics_keep_the_last_minutes(world: World) -> None:
    await world.send(world.prepare("test.bob.x", 10))
    [traffic] = [t for t in world.metrics.traffic() if t.peer.name == "alice"]
    now = world.clock.now_ns()
    assert traffic.recent(now_ns=now).fulfilled == 1
    assert traffic.recent(now_ns=now + 20 * 60 * 10**9).fulfilled == 0  # 20 minutes later
    assert traffic.fulfilled == 1


async def test_the_context_carries_the_expiry_of_the_prepare_it_was_made_for(
    world: World,
) -> None:
    prepare = world.prepare("test.bob.x", 1, expires_in=10)
    context = PacketContext(
        incoming=world.peers["alice"], raw=b"", received_ns=0, expires_at_ns=expiry_ns(prepare)
    )
    # In the clock's unit (ns), exactly the wire's whole milliseconds.
    assert context.expires_at_ns == round(prepare.expires_at.timestamp() * 1000) * 1_000_000


@pytest.mark.parametrize("amount", [2**64 - 1, 2**64 - 1_000, 2**63])
async def test_an_amount_near_two_to_the_64_is_t04_not_t00(amount: int) -> None:
    """The ledger finds the overflow of a balance before the credit limit (TigerBeetle's
    order); the peer is told what it did wrong, not that we have a bug."""
    world = await make_world(alice_max=None)
    reply = await world.send(world.prepare("test.bob.x", amount))
    assert reject_code(reply) == ("T04", "test.node")
    assert isinstance(reply, Reject)
    assert "unexpected" not in reply.message
    assert await world.liquidity("alice") == 1_000
    assert world.hop.sent == []
