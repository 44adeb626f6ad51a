"""The packet path leaves no cyclic garbage: what the GC freezer (`gc_freezer`) relies on.

Everything a packet allocates must be freed by reference counting alone, Fulfill or Reject:
a cycle per packet would be collected only by the collector's (frozen-out) passes.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator

import pytest

from ilpnode.connector.errors import PeerUnreachable
from ilpnode.connector.types import Reply
from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.ilp.stream import StreamMoney
from tests.unit.ilp.stream.sender import Sender

from .harness import World, make_world


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def _cyclic_garbage_per_packet(world: World, destination: str, amount: int) -> float:
    for _ in range(20):  # warm caches, pools and lazily built state first
        await world.send(world.prepare(destination, amount))
    gc.collect()
    gc.garbage.clear()
    for _ in range(200):
        await world.send(world.prepare(destination, amount))
    gc.collect()
    return len(gc.garbage) / 200


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize(
    ("destination", "amount", "reply"),
    [
        ("test.bob.x", 1, Fulfill),  # forwarded and fulfilled
        ("test.nobody.x", 1, Reject),  # F02: no route
        ("test.bob.x", 600, Reject),  # F08: over alice's maximum packet amount
    ],
)
async def test_a_packet_leaves_no_cyclic_garbage(
    destination: str, amount: int, reply: type
) -> None:
    world = await make_world(liquidity=10**12)
    assert isinstance(await world.send(world.prepare(destination, amount)), reply)
    assert await _cyclic_garbage_per_packet(world, destination, amount) == 0


def _unreachable(_prepare: Prepare) -> Reply:
    raise PeerUnreachable("peer unreachable")


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize(
    "answer",
    [_unreachable, lambda _p: Fulfill(fulfillment=b"\x01" * 32)],
    ids=["next-hop-unreachable", "wrong-fulfillment"],
)
async def test_a_failed_forward_leaves_no_cyclic_garbage(
    answer: Callable[[Prepare], Reply],
) -> None:
    """The reservation is voided and the failure re-raised after the handler (compiled code
    awaits in no handler): the re-raised exception must not keep its own frame alive."""
    world = await make_world(liquidity=10**12, suspend=True)
    world.hop.answer = answer
    assert isinstance(await world.send(world.prepare("test.bob.x", 1)), Reject)
    assert await _cyclic_garbage_per_packet(world, "test.bob.x", 1) == 0


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize(
    ("fulfillable", "liquidity", "reply"),
    [(True, 10**12, Fulfill), (False, 10**12, Reject), (True, 0, Reject)],
    ids=["received", "probe-f99", "undone-t04"],
)
async def test_a_packet_received_locally_leaves_no_cyclic_garbage(
    fulfillable: bool, liquidity: int, reply: type
) -> None:
    """STREAM packets into a wallet address: the receiver's Fulfill (posted), its F99, or its
    Fulfill undone when the reservation fails (the T04 re-raised after the handler)."""
    world = await make_world(liquidity=liquidity, receiving=True)
    credentials = world.connect("usd")
    sender = Sender(credentials.shared_secret)

    def packet() -> Prepare:
        money = StreamMoney(stream_id=1, shares=1)
        data, condition = sender.prepare(money, fulfillable=fulfillable)
        return dataclasses.replace(
            world.prepare(credentials.destination_account, 1),
            data=data,
            execution_condition=condition,
        )

    assert isinstance(await world.send(packet()), reply)
    for _ in range(20):
        await world.send(packet())
    gc.collect()
    gc.garbage.clear()
    for _ in range(200):
        await world.send(packet())
    gc.collect()
    assert len(gc.garbage) == 0
