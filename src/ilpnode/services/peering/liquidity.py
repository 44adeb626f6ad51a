"""Peer and asset liquidity as the Admin API offers it (rafiki-peering §2.8, deposits and
withdrawals): resolve the peer or asset, then move money with `LiquidityService`.

Check order (Rafiki's): a zero amount is refused first (AmountZero), then the peer or asset must
exist, then the ledger decides (bad id, reused id, insufficient balance, …). A deposit to an
unknown peer answers `PeerError.UnknownPeer` ("unknown peer"), a withdrawal from one
`LiquidityError.UnknownPeer` ("Unknown peer"): the two catalogs Rafiki uses there.

[quirk fixed] Rafiki's `depositPeerLiquidity` swallows transfer errors that have no
`LiquidityError` name and answers success; every error is reported here.
"""

from __future__ import annotations

from uuid import UUID

from ilpnode.accounting import (
    AssetAccounts,
    LiquidityAccount,
    LiquidityError,
    LiquidityResult,
    LiquidityService,
    PeerAccount,
)
from ilpnode.services.peering.errors import PeerError
from ilpnode.services.peering.ports import PeeringStore
from ilpnode.services.peering.validation import parse_uuid

__all__ = ["PeeringLiquidity"]


class PeeringLiquidity:
    """Deposits and withdrawals on the liquidity accounts of peers and assets."""

    def __init__(self, *, store: PeeringStore, liquidity: LiquidityService) -> None:
        self._store = store
        self._liquidity = liquidity

    async def deposit_to_peer(
        self, *, peer_id: UUID | str, amount: int, transfer_id: UUID | str
    ) -> LiquidityResult | LiquidityError | PeerError:
        """`depositPeerLiquidity`: settlement -> the peer's liquidity account, posted."""
        if amount == 0:
            return LiquidityError.AmountZero
        account = await self._peer_account(peer_id)
        if account is None:
            return PeerError.UnknownPeer
        return await self._liquidity.deposit(
            transfer_id=transfer_id, account=account, amount=amount
        )

    async def deposit_to_asset(
        self, *, asset_id: UUID | str, amount: int, transfer_id: UUID | str
    ) -> LiquidityResult | LiquidityError:
        """`depositAssetLiquidity`: settlement -> the asset's liquidity account, posted."""
        if amount == 0:
            return LiquidityError.AmountZero
        account = await self._asset_account(asset_id)
        if account is None:
            return LiquidityError.UnknownAsset
        return await self._liquidity.deposit(
            transfer_id=transfer_id, account=account, amount=amount
        )

    async def withdraw_from_peer(
        self, *, peer_id: UUID | str, amount: int, transfer_id: UUID | str, timeout_seconds: int
    ) -> LiquidityResult | LiquidityError:
        """`createPeerLiquidityWithdrawal`: pending if `timeout_seconds` > 0, else posted."""
        if amount == 0:
            return LiquidityError.AmountZero
        account = await self._peer_account(peer_id)
        if account is None:
            return LiquidityError.UnknownPeer
        return await self._liquidity.create_withdrawal(
            transfer_id=transfer_id, account=account, amount=amount, timeout_seconds=timeout_seconds
        )

    async def withdraw_from_asset(
        self, *, asset_id: UUID | str, amount: int, transfer_id: UUID | str, timeout_seconds: int
    ) -> LiquidityResult | LiquidityError:
        """`createAssetLiquidityWithdrawal`: pending if `timeout_seconds` > 0, else posted."""
        if amount == 0:
            return LiquidityError.AmountZero
        account: LiquidityAccount | None = await self._asset_account(asset_id)
        if account is None:
            return LiquidityError.UnknownAsset
        return await self._liquidity.create_withdrawal(
            transfer_id=transfer_id, account=account, amount=amount, timeout_seconds=timeout_seconds
        )

    async def post_withdrawal(self, withdrawal_id: UUID | str) -> LiquidityResult | LiquidityError:
        """`postLiquidityWithdrawal`: commit a pending withdrawal."""
        return await self._liquidity.post_withdrawal(withdrawal_id)

    async def void_withdrawal(self, withdrawal_id: UUID | str) -> LiquidityResult | LiquidityError:
        """`voidLiquidityWithdrawal`: roll a pending withdrawal back."""
        return await self._liquidity.void_withdrawal(withdrawal_id)

    async def _peer_account(self, peer_id: UUID | str) -> PeerAccount | None:
        id_ = parse_uuid(peer_id)
        if id_ is None:
            return None
        async with self._store.transaction() as tx:
            peer = await tx.peer_by_id(id_)
            # A peer's asset cannot be deleted while the peer exists; include_deleted is for
            # robustness only.
            asset = (
                None if peer is None else await tx.asset_by_id(peer.asset_id, include_deleted=True)
            )
        if peer is None or asset is None:
            return None
        return PeerAccount.for_peer(peer_id=peer.id, asset_id=asset.id, ledger=asset.ledger)

    async def _asset_account(self, asset_id: UUID | str) -> AssetAccounts | None:
        id_ = parse_uuid(asset_id)
        if id_ is None:
            return None
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(id_)
        return None if asset is None else AssetAccounts(asset_id=asset.id, ledger=asset.ledger)
