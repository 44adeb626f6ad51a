"""Account ids, codes and flags, idempotent creation, and balance reads (rafiki-peering §6.1)."""

from __future__ import annotations

from uuid import UUID, uuid4, uuid5

import pytest

from ilpnode.accounting import (
    SETTLEMENT_NAMESPACE,
    AccountBalance,
    AccountCode,
    AccountConflictError,
    AssetAccounts,
    LiquidityService,
    PeerAccount,
    UnknownAccount,
    settlement_account_id,
)
from ilpnode.ledger import Account, AccountFlags, AccountId, CreateAccountStatus, MemoryLedger

from .fakes import ManualClock, World, new_peer

D = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
C = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS


def test_the_settlement_id_is_derived_from_the_asset_id() -> None:
    asset_id = UUID("2d0e6b52-7b0e-4bd5-9a59-8c1e2f0a1b3c")
    expected = uuid5(SETTLEMENT_NAMESPACE, f"settlement:{asset_id}")
    assert settlement_account_id(asset_id) == expected.int
    assert expected.version == 5  # can never equal a (version 4) peer or asset id
    assert settlement_account_id(UUID(str(asset_id))) == expected.int  # deterministic
    assert settlement_account_id(uuid4()) != expected.int


def test_asset_and_peer_descriptors() -> None:
    asset_id, peer_id = uuid4(), uuid4()
    asset = AssetAccounts(asset_id=asset_id, ledger=7)
    assert asset.liquidity_account_id == asset_id.int
    assert asset.settlement_account_id == settlement_account_id(asset_id)
    peer = PeerAccount.for_peer(peer_id=peer_id, asset_id=asset_id, ledger=7)
    assert (peer.account_id, peer.asset_account_id, peer.ledger) == (peer_id.int, asset_id.int, 7)
    assert peer.settlement_account_id == asset.settlement_account_id


@pytest.mark.parametrize("ledger", [0, -1, 2**32])
def test_descriptors_refuse_an_impossible_ledger(ledger: int) -> None:
    with pytest.raises(ValueError, match="ledger"):
        AssetAccounts(asset_id=uuid4(), ledger=ledger)
    with pytest.raises(ValueError, match="ledger"):
        PeerAccount.for_peer(peer_id=uuid4(), asset_id=uuid4(), ledger=ledger)


def test_descriptors_refuse_impossible_ids() -> None:
    same = uuid4()
    with pytest.raises(ValueError, match="its asset's account"):
        PeerAccount.for_peer(peer_id=same, asset_id=same, ledger=1)
    with pytest.raises(ValueError, match="account_id"):
        PeerAccount(account_id=AccountId(0), ledger=1, asset_account_id=AccountId(5))
    with pytest.raises(ValueError, match="asset_id"):
        AssetAccounts(asset_id=UUID(int=0), ledger=1)
    with pytest.raises(TypeError, match="ledger"):
        AssetAccounts(asset_id=uuid4(), ledger=True)


async def test_asset_and_peer_accounts_have_rafikis_codes_and_flags(world: World) -> None:
    liquidity, settlement, peer = await world.ledger.lookup_accounts(
        [world.usd.liquidity_account_id, world.usd.settlement_account_id, world.alice.account_id]
    )
    asset_id = world.usd.asset_id.int
    assert (liquidity.code, liquidity.ledger, liquidity.user_data_128) == (2, 1, asset_id)
    assert liquidity.flags == D | AccountFlags.LINKED  # the first of a linked pair
    assert (settlement.code, settlement.ledger, settlement.user_data_128) == (101, 1, asset_id)
    assert settlement.flags == C
    assert (peer.code, peer.ledger, peer.user_data_128) == (3, 1, asset_id)
    assert peer.flags == D
    codes = {code.name: int(code) for code in AccountCode}
    assert (codes["LIQUIDITY_ASSET"], codes["LIQUIDITY_PEER"], codes["SETTLEMENT"]) == (2, 3, 101)


async def test_creating_accounts_is_idempotent(world: World) -> None:
    await world.fund(world.alice, 500)
    await world.liquidity.create_asset_accounts(world.usd)
    await world.liquidity.create_peer_account(world.alice)
    assert await world.available(world.alice) == 500


async def test_a_conflicting_account_is_a_bug_and_raises(world: World) -> None:
    moved = AssetAccounts(asset_id=world.usd.asset_id, ledger=9)
    with pytest.raises(AccountConflictError) as raised:
        await world.liquidity.create_asset_accounts(moved)
    assert raised.value.status is CreateAccountStatus.EXISTS_WITH_DIFFERENT_LEDGER
    assert raised.value.account_id == world.usd.liquidity_account_id
    [settlement] = await world.ledger.lookup_accounts([moved.settlement_account_id])
    assert settlement.ledger == 1  # nothing changed

    other_asset = PeerAccount(
        account_id=world.alice.account_id, ledger=2, asset_account_id=world.eur.liquidity_account_id
    )
    with pytest.raises(AccountConflictError, match="EXISTS_WITH_DIFFERENT"):
        await world.liquidity.create_peer_account(other_asset)


async def test_a_half_created_asset_is_completed() -> None:
    ledger = MemoryLedger(clock=ManualClock())
    service = LiquidityService(ledger=ledger)
    asset = AssetAccounts(asset_id=uuid4(), ledger=3)
    _, settlement = asset.accounts()
    await ledger.create_accounts([settlement])  # as if a crash left only one of the pair
    await service.create_asset_accounts(asset)
    found = await ledger.lookup_accounts([asset.liquidity_account_id, asset.settlement_account_id])
    assert len(found) == 2


async def test_balances_of_known_and_unknown_accounts(world: World) -> None:
    await world.fund(world.alice, 10_000)
    stranger = new_peer(world.usd)
    results = await world.liquidity.balances(
        [world.alice.account_id, stranger.account_id, world.usd.settlement_account_id]
    )
    alice, unknown, settlement = results
    assert isinstance(alice, AccountBalance)
    assert (alice.balance, alice.total_received, alice.total_sent) == (10_000, 10_000, 0)
    assert unknown == UnknownAccount(stranger.account_id)
    assert isinstance(settlement, AccountBalance)
    assert settlement.balance == 10_000
    assert await world.liquidity.balance(stranger.account_id) == UnknownAccount(stranger.account_id)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(AccountCode.LIQUIDITY_PEER, 100 - 30 - 20), (AccountCode.SETTLEMENT, 30 + 20 - 100)],
)
def test_balance_formulas(code: AccountCode, expected: int) -> None:
    account = Account(
        id=AccountId(1),
        ledger=1,
        code=code,
        debits_pending=20,
        debits_posted=30,
        credits_pending=7,  # pending credits never count
        credits_posted=100,
    )
    balance = AccountBalance.of(account)
    assert balance.balance == expected
    assert (balance.total_sent, balance.total_received) == (30, 100)
    assert (balance.debits_pending, balance.credits_pending) == (20, 7)
