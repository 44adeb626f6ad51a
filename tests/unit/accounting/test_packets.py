"""Packet transfers: legs, balances after post and void, insufficient funds (§6.3)."""

from __future__ import annotations

import asyncio

import pytest

from ilpnode.accounting import PacketTransfer, TransferCode, TransferError
from ilpnode.ledger import TransferFlags

from .fakes import World, balances, funded, reserve

E = TransferError


@pytest.mark.parametrize(
    ("src", "dst", "after_post"),
    [
        (100, 100, {"alice": 900, "bob": 100, "usd": 500}),
        (100, 90, {"alice": 900, "bob": 90, "usd": 510}),  # the excess goes to the asset
        (90, 100, {"alice": 910, "bob": 100, "usd": 490}),  # the asset pays the shortfall
    ],
)
async def test_same_asset(world: World, src: int, dst: int, after_post: dict[str, int]) -> None:
    before = await funded(world)
    posted = await reserve(world, world.alice, world.bob, src, dst)
    during = await balances(world)
    assert during["alice"] == before["alice"] - src  # reserved
    assert during["bob"] == 0  # pending credits do not count
    assert await posted.post() is None
    assert await balances(world) == {**before, **after_post}

    voided = await reserve(world, world.alice, world.bob, src, dst)
    assert await voided.void() is None
    assert await balances(world) == {**before, **after_post}  # as if it never happened


async def test_cross_asset(world: World) -> None:
    before = await funded(world)
    packet = await reserve(world, world.alice, world.carol, 100, 80)
    assert (await balances(world))["eur"] == 420  # reserved on the destination side too
    assert await packet.post() is None
    after = await balances(world)
    assert after == {**before, "alice": 900, "usd": 600, "eur": 420, "carol": 80}
    assert (await world.balance_of(world.carol.account_id)).total_received == 80

    voided = await reserve(world, world.alice, world.carol, 100, 80)
    assert await voided.void() is None
    assert await balances(world) == after


@pytest.mark.parametrize(
    ("destination", "src", "dst", "legs"),
    [("bob", 10, 10, 1), ("bob", 10, 9, 2), ("bob", 9, 10, 2), ("carol", 10, 8, 2)],
)
async def test_legs_are_pending_linked_and_share_timeout_and_correlation(
    world: World, destination: str, src: int, dst: int, legs: int
) -> None:
    await funded(world)
    peer = world.bob if destination == "bob" else world.carol
    packet = await reserve(world, world.alice, peer, src, dst, timeout_seconds=17)
    stored = await world.ledger.lookup_transfers(packet.transfer_ids)
    assert len(stored) == legs
    for index, leg in enumerate(stored):
        linked = TransferFlags.LINKED if index < legs - 1 else TransferFlags.NONE
        assert leg.flags == TransferFlags.PENDING | linked
        assert (leg.timeout, leg.code) == (17, TransferCode.TRANSFER)
        assert leg.user_data_128 == packet.transfer_ids[0]
    assert stored[0].debit_account_id == world.alice.account_id
    assert peer.account_id in {leg.credit_account_id for leg in stored}
    assert await packet.void() is None


async def test_insufficient_balance_reserves_nothing(world: World) -> None:
    await world.fund(world.alice, 95)
    await world.fund(world.usd, 500)
    before = await balances(world)
    for dst in (100, 90):  # one leg; two legs where the first alone would fit
        result = await world.packets.create_packet_transfer(
            source=world.alice,
            destination=world.bob,
            source_amount=100,
            destination_amount=dst,
            timeout_seconds=30,
        )
        assert result is E.InsufficientBalance
    assert await balances(world) == before
    assert (await world.balance_of(world.alice.account_id)).debits_pending == 0


@pytest.mark.parametrize(("destination", "src", "dst"), [("carol", 10, 501), ("bob", 10, 511)])
async def test_insufficient_destination_liquidity(
    world: World, destination: str, src: int, dst: int
) -> None:
    before = await funded(world)
    peer = world.bob if destination == "bob" else world.carol
    result = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=peer,
        source_amount=src,
        destination_amount=dst,
        timeout_seconds=30,
    )
    assert result is E.InsufficientLiquidity
    assert await balances(world) == before  # the source leg was rolled back too


async def test_post_and_void_are_final_and_never_applied_twice(world: World) -> None:
    before = await funded(world)
    posted = await reserve(world, world.alice, world.carol, 100, 80)
    assert await posted.post() is None
    assert await posted.post() is E.AlreadyPosted
    assert await posted.void() is E.AlreadyPosted
    voided = await reserve(world, world.alice, world.carol, 100, 80)
    assert await voided.void() is None
    assert await voided.void() is E.AlreadyVoided
    assert await voided.post() is E.AlreadyVoided
    # A second handle on the same legs (no local memory): the ledger itself refuses.
    for packet, error in ((posted, E.AlreadyPosted), (voided, E.AlreadyVoided)):
        again = PacketTransfer(
            ledger=world.ledger,
            transfer_ids=packet.transfer_ids,
            source_amount=100,
            destination_amount=80,
        )
        assert await again.post() is error
        assert await again.void() is error
    assert await balances(world) == {**before, "alice": 900, "usd": 600, "eur": 420, "carol": 80}


async def test_concurrent_post_and_void_resolve_once(world: World) -> None:
    before = await funded(world)
    packet = await reserve(world, world.alice, world.bob, 100, 100)
    results = await asyncio.gather(packet.post(), packet.void(), packet.post())
    assert results.count(None) == 1
    assert await balances(world) in (before, {**before, "alice": 900, "bob": 100})


def test_new_transfer_ids_are_distinct_uuid4s() -> None:
    from uuid import UUID

    from ilpnode.accounting.packets import new_transfer_ids

    ids = new_transfer_ids(1000)
    assert len(set(ids)) == 1000
    assert all(UUID(int=i).version == 4 for i in ids)
    assert all(UUID(int=i).variant == "specified in RFC 4122" for i in ids)


def test_a_refill_becomes_uuid4s_keeping_every_other_random_bit() -> None:
    from ilpnode.accounting.packets import _uuid4_words

    random = bytes(range(256)) * 16
    words = _uuid4_words(random)
    assert len(words) == len(random) // 8
    for number, start in enumerate(range(0, len(random), 16)):
        made = (words[2 * number] << 64 | words[2 * number + 1]).to_bytes(16, "big")
        expected = bytearray(random[start : start + 16])
        expected[6] = expected[6] & 0x0F | 0x40
        expected[8] = expected[8] & 0x3F | 0x80
        assert made == bytes(expected)
