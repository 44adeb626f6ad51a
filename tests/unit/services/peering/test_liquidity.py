"""PeeringLiquidity over the fake store and a MemoryLedger: check order and error catalogs."""

from __future__ import annotations

from uuid import UUID, uuid4

from ilpnode.accounting import LiquidityError, LiquidityResult, LiquidityState
from ilpnode.services.peering import AssetError, CreateAsset, CreatePeer, HttpOutgoing, PeerError

from .fakes import Peering, make_peering

OUT = HttpOutgoing(auth_token="out", endpoint="http://peer.example/ilp")


async def _world() -> tuple[Peering, UUID, UUID]:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2))
    assert not isinstance(asset, AssetError)
    peer = await p.peers.create(
        CreatePeer(asset_id=asset.id, static_ilp_address="test.bob", http_outgoing=OUT)
    )
    assert not isinstance(peer, PeerError)
    return p, asset.id, peer.id


async def test_peer_deposit_then_two_phase_withdrawals() -> None:
    p, _, peer_id = await _world()
    peer = await p.peers.get(peer_id)
    assert not isinstance(peer, PeerError)
    deposited = await p.peering_liquidity.deposit_to_peer(
        peer_id=peer_id, amount=10_000, transfer_id=uuid4()
    )
    assert isinstance(deposited, LiquidityResult)
    assert deposited.state is LiquidityState.POSTED
    first = uuid4()
    pending = await p.peering_liquidity.withdraw_from_peer(
        peer_id=str(peer_id), amount=4_000, transfer_id=first, timeout_seconds=60
    )
    assert isinstance(pending, LiquidityResult)
    assert pending.state is LiquidityState.PENDING
    assert await p.peers.liquidity(peer) == 6_000
    posted = await p.peering_liquidity.post_withdrawal(first)
    assert isinstance(posted, LiquidityResult)
    assert posted.state is LiquidityState.POSTED
    second = uuid4()
    await p.peering_liquidity.withdraw_from_peer(
        peer_id=peer_id, amount=1_000, transfer_id=second, timeout_seconds=60
    )
    voided = await p.peering_liquidity.void_withdrawal(str(second))
    assert isinstance(voided, LiquidityResult)
    assert voided.state is LiquidityState.VOIDED
    assert await p.peers.liquidity(peer) == 6_000
    assert await p.peering_liquidity.post_withdrawal(first) is LiquidityError.AlreadyPosted
    assert await p.peering_liquidity.void_withdrawal(second) is LiquidityError.AlreadyVoided


async def test_asset_deposit_and_withdrawal() -> None:
    p, asset_id, _ = await _world()
    assert isinstance(
        await p.peering_liquidity.deposit_to_asset(
            asset_id=asset_id, amount=500, transfer_id=uuid4()
        ),
        LiquidityResult,
    )
    withdrawal = await p.peering_liquidity.withdraw_from_asset(
        asset_id=asset_id, amount=501, transfer_id=uuid4(), timeout_seconds=0
    )
    assert withdrawal is LiquidityError.InsufficientBalance
    done = await p.peering_liquidity.withdraw_from_asset(
        asset_id=asset_id, amount=500, transfer_id=uuid4(), timeout_seconds=0
    )
    assert isinstance(done, LiquidityResult)
    assert done.state is LiquidityState.POSTED
    asset = await p.assets.get(asset_id)
    assert not isinstance(asset, AssetError)
    assert await p.assets.liquidity(asset) == 0


async def test_amount_zero_is_checked_before_existence() -> None:
    p, _, _ = await _world()
    nobody = uuid4()
    assert (
        await p.peering_liquidity.deposit_to_peer(peer_id=nobody, amount=0, transfer_id=uuid4())
        is LiquidityError.AmountZero
    )
    assert (
        await p.peering_liquidity.withdraw_from_asset(
            asset_id=nobody, amount=0, transfer_id=uuid4(), timeout_seconds=0
        )
        is LiquidityError.AmountZero
    )


async def test_unknown_targets_use_rafikis_catalogs() -> None:
    p, _, _ = await _world()
    for missing in (uuid4(), "not-a-uuid"):
        assert (
            await p.peering_liquidity.deposit_to_peer(
                peer_id=missing, amount=1, transfer_id=uuid4()
            )
            is PeerError.UnknownPeer
        )
        assert (
            await p.peering_liquidity.withdraw_from_peer(
                peer_id=missing, amount=1, transfer_id=uuid4(), timeout_seconds=0
            )
            is LiquidityError.UnknownPeer
        )
        assert (
            await p.peering_liquidity.deposit_to_asset(
                asset_id=missing, amount=1, transfer_id=uuid4()
            )
            is LiquidityError.UnknownAsset
        )
        assert (
            await p.peering_liquidity.withdraw_from_asset(
                asset_id=missing, amount=1, transfer_id=uuid4(), timeout_seconds=0
            )
            is LiquidityError.UnknownAsset
        )


async def test_ids_and_reuse_are_checked_by_the_ledger() -> None:
    p, _, peer_id = await _world()
    transfer = uuid4()
    assert isinstance(
        await p.peering_liquidity.deposit_to_peer(peer_id=peer_id, amount=5, transfer_id=transfer),
        LiquidityResult,
    )
    assert (
        await p.peering_liquidity.deposit_to_peer(peer_id=peer_id, amount=5, transfer_id=transfer)
        is LiquidityError.TransferExists
    )
    assert (
        await p.peering_liquidity.deposit_to_peer(peer_id=peer_id, amount=5, transfer_id="nope")
        is LiquidityError.InvalidId
    )
    assert await p.peering_liquidity.post_withdrawal(uuid4()) is LiquidityError.UnknownTransfer
