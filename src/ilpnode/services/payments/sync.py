"""Bringing the `WalletAddressDirectory` in line with the database: some wallet addresses
(`refresh`), or all (`reconcile`).

Both read what the database has now and install it (see `directory.py` for why an observation
is stamped before it reads); run twice they change nothing. The change feed calls `refresh` when
a process (this one included) changed a wallet address, and `reconcile` after it (re)connects and
periodically; the node calls `reconcile` at start-up. An asset's code, scale and ledger never
change and an asset in use cannot be deleted, so asset notices need no refresh here.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from ilpnode.accounting import WalletAddressAccount
from ilpnode.hosted_wallets import HostedWalletAddress
from ilpnode.services.payments.directory import WalletAddressDirectory
from ilpnode.services.payments.model import WalletAddress
from ilpnode.services.payments.ports import WalletAddressStore, WalletAddressTransaction
from ilpnode.services.peering import Asset, Change, SyncCounts

__all__ = ["hosted", "reconcile", "refresh"]


def hosted(wallet_address: WalletAddress, asset: Asset) -> HostedWalletAddress:
    """The directory entry of a stored wallet address and its asset."""
    return HostedWalletAddress(
        id=wallet_address.id,
        url=wallet_address.url,
        public_name=wallet_address.public_name,
        active=wallet_address.deactivated_at is None,
        asset_id=asset.id,
        asset_code=asset.code,
        asset_scale=asset.scale,
        account=WalletAddressAccount.for_wallet_address(
            wallet_address_id=wallet_address.id, asset_id=asset.id, ledger=asset.ledger
        ),
    )


async def refresh(
    *, store: WalletAddressStore, directory: WalletAddressDirectory, ids: Iterable[UUID]
) -> dict[UUID, Change]:
    """Make the directory match the database for these wallet addresses, in one read
    transaction. Returns what happened to each. Raises only on infrastructure faults (then the
    directory is unchanged)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    with directory.observing() as stamp:
        entries: dict[UUID, HostedWalletAddress | None] = {}
        async with store.transaction() as tx:
            assets: dict[UUID, Asset | None] = {}
            for wallet_address_id in wanted:
                stored = await tx.wallet_address_by_id(wallet_address_id)
                entries[wallet_address_id] = await _entry(tx, stored, assets)
        return {i: directory.install(stamp, i, entry) for i, entry in entries.items()}


async def reconcile(
    *, store: WalletAddressStore, directory: WalletAddressDirectory
) -> tuple[int, SyncCounts]:
    """Make the directory match the database for every wallet address. Returns (wallet addresses
    stored, what changed). Raises only on infrastructure faults (then nothing changed)."""
    with directory.observing() as stamp:
        async with store.transaction() as tx:
            rows = await tx.all_wallet_addresses()
            assets: dict[UUID, Asset | None] = {}
            entries = [(row.id, await _entry(tx, row, assets)) for row in rows]
        changes = [directory.install(stamp, i, entry) for i, entry in entries]
        stored = {row.id for row in rows}
        changes += [
            directory.install(stamp, i, None) for i in directory.installed_ids() if i not in stored
        ]
    directory.forget_tombstones()
    return len(rows), SyncCounts.of(changes)


async def _entry(
    tx: WalletAddressTransaction,
    stored: WalletAddress | None,
    assets: dict[UUID, Asset | None],
) -> HostedWalletAddress | None:
    if stored is None:
        return None
    if stored.asset_id not in assets:
        # Deleted or not, the asset's accounts are where the wallet address's money counts.
        assets[stored.asset_id] = await tx.asset_by_id(stored.asset_id, include_deleted=True)
    asset = assets[stored.asset_id]
    return None if asset is None else hosted(stored, asset)
