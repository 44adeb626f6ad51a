"""Deposits and withdrawals: every success and every error (rafiki-peering §2.8, §6.2)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from ilpnode.accounting import (
    WITHDRAWAL_TIMEOUT_SECONDS_MAX,
    AssetAccounts,
    LiquidityAccount,
    LiquidityError,
    LiquidityResult,
    LiquidityState,
    PacketTransfer,
    TransferCode,
)
from ilpnode.ledger import AMOUNT_MAX, TransferId

from .fakes import World, new_peer, uuid1_like

E = LiquidityError


def _ok(result: LiquidityResult | LiquidityError, state: LiquidityState) -> LiquidityResult:
    assert isinstance(result, LiquidityResult), result
    assert result.state is state
    return result


async def test_the_peering_guide_walk_through(world: World) -> None:
    liquidity, peer = world.liquidity, world.alice
    _ok(
        await liquidity.deposit(transfer_id=uuid4(), account=peer, amount=10_000),
        LiquidityState.POSTED,
    )
    assert await world.available(peer) == 10_000
    assert await world.settlement(world.usd) == 10_000

    withdrawal = uuid4()
    created = await liquidity.create_withdrawal(
        transfer_id=withdrawal, account=peer, amount=5_000, timeout_seconds=60
    )
    assert _ok(created, LiquidityState.PENDING).transfer_id == withdrawal
    assert await world.available(peer) == 5_000  # reserved while pending
    pending = await world.balance_of(peer.account_id)
    assert (pending.debits_pending, pending.total_sent) == (5_000, 0)
    assert await world.settlement(world.usd) == 10_000  # not yet paid out

    _ok(await liquidity.post_withdrawal(withdrawal), LiquidityState.POSTED)
    assert await world.available(peer) == 5_000
    posted = await world.balance_of(peer.account_id)
    assert (posted.debits_pending, posted.total_sent) == (0, 5_000)
    assert await world.settlement(world.usd) == 5_000

    second = str(uuid4())  # the Admin API passes strings
    _ok(
        await liquidity.create_withdrawal(
            transfer_id=second, account=peer, amount=2_000, timeout_seconds=60
        ),
        LiquidityState.PENDING,
    )
    assert await world.available(peer) == 3_000
    _ok(await liquidity.void_withdrawal(second), LiquidityState.VOIDED)
    assert await world.available(peer) == 5_000
    assert await world.settlement(world.usd) == 5_000


@pytest.mark.parametrize("kind", ["peer", "asset"])
async def test_asset_and_peer_accounts_alike(world: World, kind: str) -> None:
    account: LiquidityAccount = world.alice if kind == "peer" else world.usd
    await world.fund(account, 300)
    single = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=account, amount=100, timeout_seconds=0
    )
    _ok(single, LiquidityState.POSTED)
    held = uuid4()
    await world.liquidity.create_withdrawal(
        transfer_id=held, account=account, amount=50, timeout_seconds=10
    )
    assert await world.available(account) == 150
    _ok(await world.liquidity.post_withdrawal(held), LiquidityState.POSTED)
    assert await world.available(account) == 150
    assert await world.settlement(world.usd) == 150


async def test_a_withdrawal_can_take_exactly_the_balance_and_not_one_more(world: World) -> None:
    await world.fund(world.alice, 1_000)
    refused = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.alice, amount=1_001, timeout_seconds=30
    )
    assert refused is E.InsufficientBalance
    assert await world.available(world.alice) == 1_000  # nothing reserved
    exact = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.alice, amount=1_000, timeout_seconds=30
    )
    _ok(exact, LiquidityState.PENDING)
    assert await world.available(world.alice) == 0
    one_more = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.alice, amount=1, timeout_seconds=0
    )
    assert one_more is E.InsufficientBalance


async def test_an_unfunded_account_cannot_withdraw(world: World) -> None:
    result = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.usd, amount=1, timeout_seconds=0
    )
    assert result is E.InsufficientBalance


async def test_a_pending_withdrawal_expires(world: World) -> None:
    await world.fund(world.alice, 1_000)
    withdrawal = uuid4()
    await world.liquidity.create_withdrawal(
        transfer_id=withdrawal, account=world.alice, amount=400, timeout_seconds=10
    )
    [stored] = await world.ledger.lookup_transfers([TransferId(withdrawal.int)])
    assert stored.expires_at == stored.timestamp + 10 * 10**9
    world.clock.value_ns = stored.expires_at - 1
    assert await world.available(world.alice) == 600  # still reserved 1 ns before the deadline
    world.clock.advance(ns=1)
    assert await world.available(world.alice) == 1_000  # the lookup swept it
    assert await world.liquidity.post_withdrawal(withdrawal) is E.TransferExpired
    assert await world.liquidity.void_withdrawal(withdrawal) is E.TransferExpired
    assert await world.settlement(world.usd) == 1_000


async def test_an_expired_withdrawal_cannot_be_posted_even_before_a_sweep(world: World) -> None:
    await world.fund(world.alice, 1_000)
    withdrawal = uuid4()
    await world.liquidity.create_withdrawal(
        transfer_id=withdrawal, account=world.alice, amount=400, timeout_seconds=1
    )
    world.clock.advance(seconds=5)
    assert await world.liquidity.post_withdrawal(withdrawal) is E.TransferExpired
    assert await world.available(world.alice) == 1_000


async def test_post_and_void_are_final(world: World) -> None:
    await world.fund(world.alice, 1_000)
    posted, voided = uuid4(), uuid4()
    for id_ in (posted, voided):
        await world.liquidity.create_withdrawal(
            transfer_id=id_, account=world.alice, amount=100, timeout_seconds=60
        )
    _ok(await world.liquidity.post_withdrawal(posted), LiquidityState.POSTED)
    _ok(await world.liquidity.void_withdrawal(voided), LiquidityState.VOIDED)
    assert await world.liquidity.post_withdrawal(posted) is E.AlreadyPosted
    assert await world.liquidity.void_withdrawal(posted) is E.AlreadyPosted
    assert await world.liquidity.void_withdrawal(voided) is E.AlreadyVoided
    assert await world.liquidity.post_withdrawal(voided) is E.AlreadyVoided
    assert await world.available(world.alice) == 900  # posted once, never twice


async def test_a_single_phase_withdrawal_is_already_posted(world: World) -> None:
    """Rafiki quirk decided: TigerBeetle says AlreadyVoided, Postgres AlreadyPosted; it *is*
    posted, so both post and void answer AlreadyPosted."""
    await world.fund(world.alice, 1_000)
    single = uuid4()
    await world.liquidity.create_withdrawal(
        transfer_id=single, account=world.alice, amount=100, timeout_seconds=0
    )
    assert await world.liquidity.post_withdrawal(single) is E.AlreadyPosted
    assert await world.liquidity.void_withdrawal(single) is E.AlreadyPosted
    assert await world.available(world.alice) == 900


async def test_post_and_void_name_withdrawals_only(world: World) -> None:
    deposit = uuid4()
    await world.liquidity.deposit(transfer_id=deposit, account=world.alice, amount=1_000)
    packet = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=world.bob,
        source_amount=10,
        destination_amount=10,
        timeout_seconds=30,
    )
    assert isinstance(packet, PacketTransfer)
    leg = UUID(int=packet.transfer_ids[0])
    for operation in (world.liquidity.post_withdrawal, world.liquidity.void_withdrawal):
        assert await operation(uuid4()) is E.UnknownTransfer
        assert await operation(deposit) is E.UnknownTransfer
        assert await operation(leg) is E.UnknownTransfer
    assert await packet.post() is None  # the leg was left untouched
    [stored] = await world.ledger.lookup_transfers([TransferId(deposit.int)])
    assert stored.code == TransferCode.DEPOSIT


@pytest.mark.parametrize(
    "bad_id",
    ["", "not-a-uuid", uuid1_like(), str(uuid1_like()), UUID(int=0), "00000000-0000-0000-0000"],
)
async def test_ids_must_be_uuid_v4(world: World, bad_id: UUID | str) -> None:
    await world.fund(world.alice, 10)
    liquidity = world.liquidity
    assert await liquidity.deposit(transfer_id=bad_id, account=world.alice, amount=1) is E.InvalidId
    withdrawal = await liquidity.create_withdrawal(
        transfer_id=bad_id, account=world.alice, amount=1, timeout_seconds=0
    )
    assert withdrawal is E.InvalidId
    assert await liquidity.post_withdrawal(bad_id) is E.InvalidId
    assert await liquidity.void_withdrawal(bad_id) is E.InvalidId
    assert await world.available(world.alice) == 10


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (0, E.AmountZero),
        (-1, E.InvalidAmount),
        (AMOUNT_MAX + 1, E.InvalidAmount),
        (True, E.InvalidAmount),
        (1.5, E.InvalidAmount),
    ],
)
async def test_amounts(world: World, amount: int, error: LiquidityError) -> None:
    deposit = await world.liquidity.deposit(transfer_id=uuid4(), account=world.alice, amount=amount)
    assert deposit is error
    withdrawal = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.alice, amount=amount, timeout_seconds=0
    )
    assert withdrawal is error


async def test_the_largest_amount_is_accepted_once(world: World) -> None:
    _ok(
        await world.liquidity.deposit(transfer_id=uuid4(), account=world.alice, amount=AMOUNT_MAX),
        LiquidityState.POSTED,
    )
    again = await world.liquidity.deposit(transfer_id=uuid4(), account=world.alice, amount=1)
    assert again is E.InvalidAmount  # the balance would pass u64
    assert await world.available(world.alice) == AMOUNT_MAX


@pytest.mark.parametrize("timeout", [-1, WITHDRAWAL_TIMEOUT_SECONDS_MAX + 1, True, 1.0])
async def test_withdrawal_timeouts_are_bounded(world: World, timeout: int) -> None:
    await world.fund(world.alice, 10)
    result = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=world.alice, amount=1, timeout_seconds=timeout
    )
    assert result is E.InvalidTimeout


async def test_the_longest_withdrawal_timeout_is_accepted(world: World) -> None:
    await world.fund(world.alice, 10)
    result = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(),
        account=world.alice,
        amount=1,
        timeout_seconds=WITHDRAWAL_TIMEOUT_SECONDS_MAX,
    )
    _ok(result, LiquidityState.PENDING)


async def test_unknown_peer_and_unknown_asset(world: World) -> None:
    liquidity, stranger = world.liquidity, new_peer(world.usd)
    assert await liquidity.deposit(transfer_id=uuid4(), account=stranger, amount=5) is E.UnknownPeer
    withdrawal = await liquidity.create_withdrawal(
        transfer_id=uuid4(), account=stranger, amount=5, timeout_seconds=0
    )
    assert withdrawal is E.UnknownPeer

    ghost = AssetAccounts(asset_id=uuid4(), ledger=3)
    assert await liquidity.deposit(transfer_id=uuid4(), account=ghost, amount=5) is E.UnknownAsset
    withdrawal = await liquidity.create_withdrawal(
        transfer_id=uuid4(), account=ghost, amount=5, timeout_seconds=0
    )
    assert withdrawal is E.UnknownAsset
    orphan = new_peer(ghost)  # created, but its asset's accounts never were
    await liquidity.create_peer_account(orphan)
    assert await liquidity.deposit(transfer_id=uuid4(), account=orphan, amount=5) is E.UnknownAsset


async def test_a_reused_id_is_transfer_exists(world: World) -> None:
    id_ = uuid4()
    await world.liquidity.deposit(transfer_id=id_, account=world.alice, amount=100)
    again = await world.liquidity.deposit(transfer_id=id_, account=world.alice, amount=100)
    assert again is E.TransferExists  # Rafiki: DUPLICATE, even for an identical retry
    different = await world.liquidity.deposit(transfer_id=id_, account=world.bob, amount=7)
    assert different is E.TransferExists
    withdrawal = await world.liquidity.create_withdrawal(
        transfer_id=id_, account=world.alice, amount=1, timeout_seconds=0
    )
    assert withdrawal is E.TransferExists
    assert await world.available(world.alice) == 100  # moved once
    assert await world.available(world.bob) == 0
