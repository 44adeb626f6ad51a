"""`ensure_ledger_accounts`: give every asset and peer the ledger accounts it must have.

Why: services create ledger accounts outside database transactions (see `PeerService`), so a
crash or a ledger fault between an asset's commit and its account creation leaves an asset
without accounts. The node runs this at start; it reads every account in one lookup and
creates only the missing ones (creating an existing account again is a no-op anyway).
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from ilpnode.accounting import (
    AssetAccounts,
    LiquidityService,
    PeerAccount,
    UnknownAccount,
)
from ilpnode.ledger import Account
from ilpnode.services.peering.model import Asset
from ilpnode.services.peering.pagination import MAX_PAGE_SIZE, PageRequest, SortOrder
from ilpnode.services.peering.ports import PeeringStore

__all__ = ["ensure_ledger_accounts"]


async def ensure_ledger_accounts(*, store: PeeringStore, liquidity: LiquidityService) -> int:
    """Create the accounts that active assets and peers lack. Returns how many owners lacked
    them (0 in a healthy node)."""
    assets = await _all_assets(store)
    async with store.transaction() as tx:
        peers = [peer for peer, _ in await tx.all_peers()]
    owners: list[AssetAccounts | PeerAccount] = [
        AssetAccounts(asset_id=asset.id, ledger=asset.ledger) for asset in assets.values()
    ]
    owners += [
        PeerAccount.for_peer(peer_id=peer.id, asset_id=asset.id, ledger=asset.ledger)
        for peer in peers
        if (asset := assets.get(peer.asset_id)) is not None
    ]
    ids = [account.id for owner in owners for account in _accounts(owner)]
    missing = {
        result.account_id
        for result in await liquidity.balances(ids)
        if isinstance(result, UnknownAccount)
    }
    repaired = 0
    for owner in owners:
        if any(account.id in missing for account in _accounts(owner)):
            repaired += 1
            if isinstance(owner, AssetAccounts):
                await liquidity.create_asset_accounts(owner)
            else:
                await liquidity.create_peer_account(owner)
    return repaired


def _accounts(owner: AssetAccounts | PeerAccount) -> list[Account]:
    return list(owner.accounts()) if isinstance(owner, AssetAccounts) else [owner.account()]


async def _all_assets(store: PeeringStore) -> dict[UUID, Asset]:
    request = PageRequest(
        cursor=None, backward=False, limit=MAX_PAGE_SIZE, sort_order=SortOrder.ASC
    )
    assets: dict[UUID, Asset] = {}
    while True:
        async with store.transaction() as tx:
            page = await tx.asset_page(request)
        assets.update((asset.id, asset) for asset in page.items)
        if not page.has_next_page:
            return assets
        request = replace(request, cursor=page.items[-1].id)
