"""A hosted wallet address's account (code 1): created like a peer's, credited by a packet
transfer from a peer (same asset or across assets, two-phase: a void moves nothing), and paid
out by a withdrawal."""

from __future__ import annotations

from uuid import uuid4

import pytest

from ilpnode.accounting import (
    AccountCode,
    LiquidityError,
    LiquidityResult,
    LiquidityState,
    PacketAccount,
    PacketTransfer,
    PeerAccount,
    WalletAddressAccount,
)
from ilpnode.ledger import AccountFlags

from .fakes import World


async def wallet(world: World, *, eur: bool = False) -> WalletAddressAccount:
    asset = world.eur if eur else world.usd
    account = WalletAddressAccount.for_wallet_address(
        wallet_address_id=uuid4(), asset_id=asset.asset_id, ledger=asset.ledger
    )
    await world.liquidity.create_wallet_address_account(account)
    await world.liquidity.create_wallet_address_account(account)  # idempotent
    return account


async def test_the_account_has_rafikis_web_monetization_code(world: World) -> None:
    account = await wallet(world)
    [stored] = await world.ledger.lookup_accounts([account.account_id])
    assert stored.code == AccountCode.LIQUIDITY_WEB_MONETIZATION
    assert int(AccountCode.LIQUIDITY_WEB_MONETIZATION) == 1
    assert stored.flags == AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    assert stored.user_data_128 == world.usd.asset_id.int
    assert account.settlement_account_id == world.usd.settlement_account_id
    assert isinstance(account, PacketAccount)
    assert not isinstance(account, PeerAccount)  # never mistaken for a peer's
    same_fields = PeerAccount(
        account_id=account.account_id,
        ledger=account.ledger,
        asset_account_id=account.asset_account_id,
    )
    assert same_fields.account() != account.account()  # another code
    with pytest.raises(ValueError, match="WalletAddressAccount cannot be its asset's account"):
        WalletAddressAccount.for_wallet_address(
            wallet_address_id=world.usd.asset_id, asset_id=world.usd.asset_id, ledger=1
        )


async def test_a_packet_from_a_peer_credits_it_only_when_posted(world: World) -> None:
    account = await wallet(world)
    await world.fund(world.alice, 1_000)
    voided = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=account,
        source_amount=300,
        destination_amount=300,
        timeout_seconds=30,
    )
    assert isinstance(voided, PacketTransfer)
    assert await voided.void() is None
    assert await world.available(account) == 0
    assert await world.available(world.alice) == 1_000
    posted = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=account,
        source_amount=300,
        destination_amount=290,  # a fee kept by the node
        timeout_seconds=30,
    )
    assert isinstance(posted, PacketTransfer)
    assert await posted.post() is None
    assert await world.available(account) == 290
    assert await world.available(world.alice) == 700


async def test_across_assets_through_the_asset_accounts(world: World) -> None:
    account = await wallet(world, eur=True)
    await world.fund(world.alice, 1_000)
    await world.fund(world.eur, 500)
    packet = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=account,
        source_amount=100,
        destination_amount=90,
        timeout_seconds=30,
    )
    assert isinstance(packet, PacketTransfer)
    assert await packet.post() is None
    assert await world.available(account) == 90
    assert await world.available(world.eur) == 410


async def test_withdrawals(world: World) -> None:
    account = await wallet(world)
    await world.fund(world.alice, 50)
    packet = await world.packets.create_packet_transfer(
        source=world.alice,
        destination=account,
        source_amount=50,
        destination_amount=50,
        timeout_seconds=30,
    )
    assert isinstance(packet, PacketTransfer)
    assert await packet.post() is None
    result = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=account, amount=50, timeout_seconds=0
    )
    assert isinstance(result, LiquidityResult)
    assert result.state is LiquidityState.POSTED
    assert await world.available(account) == 0
    missing = WalletAddressAccount.for_wallet_address(
        wallet_address_id=uuid4(), asset_id=world.usd.asset_id, ledger=world.usd.ledger
    )
    refused = await world.liquidity.create_withdrawal(
        transfer_id=uuid4(), account=missing, amount=1, timeout_seconds=0
    )
    assert refused is LiquidityError.UnknownWalletAddress
