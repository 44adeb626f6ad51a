"""Packet transfers at the edges: timeouts, expiry, bad input, faults, concurrency."""

from __future__ import annotations

import asyncio

import pytest

from ilpnode.accounting import (
    PACKET_TIMEOUT_MARGIN_SECONDS,
    PACKET_TIMEOUT_SECONDS_MAX,
    PacketAccounting,
    PacketTransfer,
    PeerAccount,
    TransferError,
    timeout_seconds_for,
)
from ilpnode.compiled import running_compiled
from ilpnode.ledger import AMOUNT_MAX, NANOSECONDS_PER_SECOND, AccountId, CreateTransferStatus

from .fakes import FaultyLedger, World, YieldingLedger, balances, funded, new_peer, reserve

E = TransferError
SECOND = NANOSECONDS_PER_SECOND


async def test_the_reservation_outlives_the_packet(world: World) -> None:
    """DESIGN §3: a Fulfill arriving at the packet's last instant is still accountable."""
    await funded(world)
    now = world.clock.now_ns()
    expires_at = now + 30 * SECOND + 1
    timeout = timeout_seconds_for(expires_at_ns=expires_at, now_ns=now)
    assert timeout == 31 + PACKET_TIMEOUT_MARGIN_SECONDS
    packet = await reserve(world, world.alice, world.bob, 100, 100, timeout_seconds=timeout)
    world.clock.value_ns = expires_at + (PACKET_TIMEOUT_MARGIN_SECONDS - 1) * SECOND
    assert await packet.post() is None
    assert await world.available(world.bob) == 100


async def test_an_expired_reservation_cannot_be_posted(world: World) -> None:
    before = await funded(world)
    packet = await reserve(world, world.alice, world.carol, 100, 80, timeout_seconds=2)
    world.clock.advance(seconds=3)
    assert await packet.post() is E.TransferExpired
    assert await packet.void() is E.TransferExpired
    assert await balances(world) == before


@pytest.mark.parametrize(
    ("expires_in_ns", "expected"),
    [
        (30 * SECOND, 30),
        (30 * SECOND - 1, 30),
        (1, 1),
        (0, 0),
        (-5 * SECOND, 0),  # already expired: the margin alone
    ],
)
def test_timeout_seconds_for(expires_in_ns: int, expected: int) -> None:
    now = 1_700_000_000 * SECOND + 123
    timeout = timeout_seconds_for(expires_at_ns=now + expires_in_ns, now_ns=now)
    assert timeout == expected + PACKET_TIMEOUT_MARGIN_SECONDS
    assert timeout >= 1


async def test_unknown_accounts(world: World) -> None:
    await funded(world)
    stranger = new_peer(world.usd)
    to_stranger = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=stranger,
        source_amount=1,
        destination_amount=1,
        timeout_seconds=30,
    )
    assert to_stranger is E.UnknownDestinationAccount
    from_stranger = await world.packets.create_packet_transfer(
        source=stranger,
        destination=world.bob,
        source_amount=1,
        destination_amount=1,
        timeout_seconds=30,
    )
    assert from_stranger is E.UnknownSourceAccount


@pytest.mark.parametrize(
    ("src", "dst", "timeout", "error"),
    [
        (0, 1, 30, E.InvalidSourceAmount),
        (-1, 1, 30, E.InvalidSourceAmount),
        (AMOUNT_MAX + 1, 1, 30, E.InvalidSourceAmount),
        (1, 0, 30, E.InvalidDestinationAmount),
        (1, AMOUNT_MAX + 1, 30, E.InvalidDestinationAmount),
        (1, 1, 0, E.InvalidTimeout),
        (1, 1, -1, E.InvalidTimeout),
        (1, 1, PACKET_TIMEOUT_SECONDS_MAX + 1, E.InvalidTimeout),
    ],
)
async def test_invalid_input(world: World, src: int, dst: int, timeout: int, error: E) -> None:
    await funded(world)
    result = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=world.bob,
        source_amount=src,
        destination_amount=dst,
        timeout_seconds=timeout,
    )
    assert result is error


async def test_a_bool_is_not_an_amount_or_arrives_as_one_when_compiled(world: World) -> None:
    await funded(world)
    result = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=world.bob,
        source_amount=True,
        destination_amount=1,
        timeout_seconds=30,
    )
    if running_compiled():  # mypyc turns the bool into the int 1 at the call
        assert isinstance(result, PacketTransfer)
        assert result.source_amount == 1
        assert type(result.source_amount) is int
    else:
        assert result is E.InvalidSourceAmount


async def test_same_accounts(world: World) -> None:
    await funded(world)
    result = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=world.alice,
        source_amount=1,
        destination_amount=1,
        timeout_seconds=30,
    )
    assert result is E.SameAccounts


async def test_concurrent_packets_spend_the_credit_line_exactly_once(world: World) -> None:
    credit_line, attempts = 50, 200
    await world.fund(world.alice, credit_line)
    packets = PacketAccounting(ledger=YieldingLedger(world.ledger))

    async def forward(index: int) -> TransferError | None:
        packet = await packets.create_packet_transfer(
            source=world.alice,
            destination=world.bob,
            source_amount=1,
            destination_amount=1,
            timeout_seconds=30,
        )
        if isinstance(packet, TransferError):
            return packet
        await asyncio.sleep(0)  # the round trip to the next hop
        return await (packet.void() if index % 10 == 0 else packet.post())

    results = await asyncio.gather(*(forward(i) for i in range(attempts)))
    assert results.count(E.InsufficientBalance) == attempts - credit_line
    assert results.count(None) == credit_line
    voided = sum(1 for i, r in enumerate(results) if r is None and i % 10 == 0)
    alice = await world.balance_of(world.alice.account_id)
    bob = await world.balance_of(world.bob.account_id)
    assert alice.debits_pending == 0
    assert alice.total_sent == bob.total_received == credit_line - voided
    assert alice.balance == voided


async def test_a_failed_post_is_not_final_and_can_be_retried(world: World) -> None:
    before = await funded(world)
    ledger = FaultyLedger(world.ledger)
    packets = PacketAccounting(ledger=ledger)
    packet = await packets.create_packet_transfer(
        source=world.alice,
        destination=world.bob,
        source_amount=10,
        destination_amount=10,
        timeout_seconds=30,
    )
    assert isinstance(packet, PacketTransfer)
    ledger.fault = OSError("journal unavailable")
    with pytest.raises(OSError, match="journal"):
        await packet.post()
    ledger.fault = CreateTransferStatus.LINKED_EVENT_CHAIN_OPEN  # a bug somewhere
    assert await packet.post() is E.UnknownError
    assert await packet.post() is None  # neither was remembered as final
    assert await balances(world) == {**before, "alice": 990, "bob": 10}


def test_peer_account_ids_must_be_ints() -> None:
    with pytest.raises(TypeError, match="account_id"):
        PeerAccount(account_id="1", ledger=1, asset_account_id=AccountId(2))  # type: ignore[arg-type]
