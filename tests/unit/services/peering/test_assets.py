"""AssetService over the fake store and a MemoryLedger (rafiki-peering §2.8)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from ilpnode.accounting import AssetAccounts
from ilpnode.services.peering import (
    UNSET,
    AssetError,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    PageRequest,
    PeerError,
    UpdateAsset,
    page_request,
)

from .fakes import make_peering


async def test_create_assigns_ledgers_and_creates_the_accounts() -> None:
    p = make_peering()
    usd = await p.assets.create(CreateAsset(code="USD", scale=2, liquidity_threshold=5))
    eur = await p.assets.create(CreateAsset(code="EUR", scale=2))
    assert not isinstance(usd, AssetError)
    assert not isinstance(eur, AssetError)
    assert (usd.ledger, eur.ledger) == (1, 2)
    accounts = AssetAccounts(asset_id=usd.id, ledger=1)
    found = await p.ledger.lookup_accounts(
        [accounts.liquidity_account_id, accounts.settlement_account_id]
    )
    assert len(found) == 2
    assert await p.assets.liquidity(usd) == 0
    assert await p.assets.get(str(usd.id)) == usd
    assert await p.assets.by_code_and_scale("USD", 2) == usd
    assert await p.assets.create(CreateAsset(code="USD", scale=2)) is AssetError.DuplicateAsset


@pytest.mark.parametrize(
    ("code", "scale", "threshold", "error"),
    [
        ("usd", 2, None, AssetError.InvalidAssetCode),
        ("", 2, None, AssetError.InvalidAssetCode),
        ("A" * 65, 2, None, AssetError.InvalidAssetCode),
        ("USD", 256, None, AssetError.InvalidAssetScale),
        ("USD", -1, None, AssetError.InvalidAssetScale),
        ("USD", 2, 2**64, AssetError.InvalidThreshold),
        ("USD", 2, -1, AssetError.InvalidThreshold),
    ],
)
async def test_bad_input_writes_nothing(
    code: str, scale: int, threshold: int | None, error: AssetError
) -> None:
    p = make_peering()
    request = CreateAsset(code=code, scale=scale, withdrawal_threshold=threshold)
    assert await p.assets.create(request) is error
    assert p.store.state.assets == {}


async def test_update_omitted_fields_are_unchanged_and_none_clears() -> None:
    p = make_peering()
    asset = await p.assets.create(
        CreateAsset(code="USD", scale=2, withdrawal_threshold=1, liquidity_threshold=2)
    )
    assert not isinstance(asset, AssetError)
    updated = await p.assets.update(UpdateAsset(id=asset.id, withdrawal_threshold=10))
    assert not isinstance(updated, AssetError)
    assert (updated.withdrawal_threshold, updated.liquidity_threshold) == (10, 2)
    cleared = await p.assets.update(UpdateAsset(id=asset.id, liquidity_threshold=None))
    assert not isinstance(cleared, AssetError)
    assert (cleared.withdrawal_threshold, cleared.liquidity_threshold) == (10, None)
    assert await p.assets.update(UpdateAsset(id=uuid4())) is AssetError.UnknownAsset
    assert await p.assets.update(UpdateAsset(id="nope")) is AssetError.UnknownAsset
    bad = UpdateAsset(id=asset.id, withdrawal_threshold=2**64, liquidity_threshold=UNSET)
    assert await p.assets.update(bad) is AssetError.InvalidThreshold


async def test_soft_delete_hides_and_recreate_reactivates_with_new_thresholds() -> None:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2, liquidity_threshold=1))
    assert not isinstance(asset, AssetError)
    deleted = await p.assets.delete(asset.id)
    assert not isinstance(deleted, AssetError)
    assert deleted.deleted_at is not None
    assert await p.assets.get(asset.id) is AssetError.UnknownAsset
    assert await p.assets.by_code_and_scale("USD", 2) is None
    assert await p.assets.delete(asset.id) is AssetError.UnknownAsset
    request = page_request()
    assert isinstance(request, PageRequest)
    assert (await p.assets.page(request)).items == ()
    again = await p.assets.create(CreateAsset(code="USD", scale=2, liquidity_threshold=7))
    assert not isinstance(again, AssetError)
    assert (again.id, again.ledger, again.deleted_at) == (asset.id, asset.ledger, None)
    assert again.liquidity_threshold == 7


async def test_an_asset_used_by_a_peer_cannot_be_deleted() -> None:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2))
    assert not isinstance(asset, AssetError)
    peer = await p.peers.create(
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address="test.peer",
            http_outgoing=HttpOutgoing(auth_token="out", endpoint="http://peer:3002"),
        )
    )
    assert not isinstance(peer, PeerError)
    assert await p.assets.delete(asset.id) is AssetError.CannotDeleteInUseAsset
    assert await p.assets.delete("x") is AssetError.UnknownAsset


def test_every_error_has_a_code_and_a_message() -> None:
    codes = {"BAD_USER_INPUT", "DUPLICATE", "FORBIDDEN", "NOT_FOUND"}
    for asset_error in AssetError:
        assert asset_error.code in codes
        assert asset_error.message
    for peer_error in PeerError:
        assert peer_error.code in codes
        assert peer_error.message
    assert AssetError.DuplicateAsset.message == "Asset already exists"
    assert PeerError.UnknownPeer.code == "NOT_FOUND"
