"""`liquidityHighThreshold` on assets and peers: stored, patched, and always above the low one."""

from __future__ import annotations

import pytest

from ilpnode.services.peering import (
    Asset,
    AssetError,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeerError,
    UpdateAsset,
    UpdatePeer,
)

from .fakes import make_peering

OUT = HttpOutgoing(auth_token="out", endpoint="http://peer.test")


async def test_asset_high_threshold_is_stored_and_patched() -> None:
    p = make_peering()
    asset = await p.assets.create(
        CreateAsset(code="USD", scale=2, liquidity_threshold=10, liquidity_high_threshold=99)
    )
    assert isinstance(asset, Asset)
    assert (asset.liquidity_threshold, asset.liquidity_high_threshold) == (10, 99)

    kept = await p.assets.update(UpdateAsset(id=asset.id, liquidity_threshold=20))
    assert isinstance(kept, Asset)
    assert kept.liquidity_high_threshold == 99  # omitted: kept
    cleared = await p.assets.update(UpdateAsset(id=asset.id, liquidity_high_threshold=None))
    assert isinstance(cleared, Asset)
    assert cleared.liquidity_high_threshold is None
    assert await p.assets.get(asset.id) == cleared


@pytest.mark.parametrize(("low", "high"), [(10, 10), (10, 9), (2**64 - 1, 0)])
async def test_asset_high_threshold_must_be_above_the_low_one(low: int, high: int) -> None:
    p = make_peering()
    created = await p.assets.create(
        CreateAsset(code="USD", scale=2, liquidity_threshold=low, liquidity_high_threshold=high)
    )
    assert created is AssetError.InvalidLiquidityHighThreshold
    assert created.code == "BAD_USER_INPUT"
    assert await p.assets.by_code_and_scale("USD", 2) is None


async def test_asset_update_checks_the_thresholds_it_ends_with() -> None:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2, liquidity_high_threshold=50))
    assert isinstance(asset, Asset)

    refused = await p.assets.update(UpdateAsset(id=asset.id, liquidity_threshold=50))

    assert refused is AssetError.InvalidLiquidityHighThreshold
    assert await p.assets.get(asset.id) == asset  # nothing changed
    bad = await p.assets.update(UpdateAsset(id=asset.id, liquidity_high_threshold=2**64))
    assert bad is AssetError.InvalidThreshold


async def test_peer_high_threshold_is_stored_patched_and_checked() -> None:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2))
    assert isinstance(asset, Asset)
    refused = await p.peers.create(
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address="test.bob",
            http_outgoing=OUT,
            liquidity_threshold=100,
            liquidity_high_threshold=100,
        )
    )
    assert refused is PeerError.InvalidLiquidityHighThreshold
    assert await p.peers.peer_with_address("test.bob", asset.id) is None

    peer = await p.peers.create(
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address="test.bob",
            http_outgoing=OUT,
            liquidity_high_threshold=1_000,
        )
    )
    assert isinstance(peer, Peer)
    assert peer.liquidity_high_threshold == 1_000

    assert (
        await p.peers.update(UpdatePeer(id=peer.id, liquidity_threshold=1_000))
        is PeerError.InvalidLiquidityHighThreshold
    )
    assert await p.peers.get(peer.id) == peer
    assert (
        await p.peers.update(UpdatePeer(id=peer.id, liquidity_high_threshold=-1))
        is PeerError.InvalidAmount
    )
    moved = await p.peers.update(
        UpdatePeer(id=peer.id, liquidity_threshold=1_000, liquidity_high_threshold=5_000)
    )
    assert isinstance(moved, Peer)
    assert (moved.liquidity_threshold, moved.liquidity_high_threshold) == (1_000, 5_000)
