"""The asset service: create, update, soft-delete, read (rafiki-peering §2.7, §2.8).

Decisions where Rafiki is quirky:

- Uniqueness: (code, scale) is unique over *all* rows, deleted ones included (as Rafiki's
  UNIQUE(code, scale, tenantId)). Creating an asset whose code and scale match a soft-deleted one
  re-activates that row: same id, same ledger number, same ledger accounts (so history and any
  balance stay attached). [quirk fixed] The thresholds given to the re-creating call are applied
  (Rafiki ignores them).
- `update`: omitted fields (`UNSET`) are unchanged, an explicit None clears. [quirk fixed] Rafiki
  clears every omitted threshold.
- `by_code_and_scale` hides soft-deleted assets. [quirk fixed]
- ilpnode: `liquidity_high_threshold` (the liquidity webhooks' high mark) must be greater than
  `liquidity_threshold` when both are set, after the patch (InvalidLiquidityHighThreshold).
  The `ThresholdsObserver` hears of every create, update and delete once committed.
- Ledger accounts are created inside the database transaction, after the insert and before the
  commit: creation is idempotent, so if the commit fails the accounts are simply reused by the
  next attempt (re-activation or a retry with the same row); if the ledger fails, nothing is
  committed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from ilpnode.accounting import (
    AccountBalance,
    AssetAccounts,
    LiquidityService,
    UnknownAccount,
)
from ilpnode.clock import Clock
from ilpnode.services.peering.errors import AssetError
from ilpnode.services.peering.model import UNSET, Asset, Patch
from ilpnode.services.peering.pagination import Page, PageRequest
from ilpnode.services.peering.ports import NoThresholdsObserver, PeeringStore, ThresholdsObserver
from ilpnode.services.peering.validation import (
    is_valid_asset_code,
    is_valid_scale,
    is_valid_uint64,
    parse_uuid,
)

__all__ = ["AssetService", "CreateAsset", "UpdateAsset"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAsset:
    """`createAsset` input. Thresholds are 0..2**64-1 or None."""

    code: str
    scale: int
    withdrawal_threshold: int | None = None
    liquidity_threshold: int | None = None
    liquidity_high_threshold: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAsset:
    """`updateAsset` input: `UNSET` keeps a threshold, None clears it."""

    id: UUID | str
    withdrawal_threshold: Patch[int | None] = UNSET
    liquidity_threshold: Patch[int | None] = UNSET
    liquidity_high_threshold: Patch[int | None] = UNSET


class AssetService:
    """Assets in the database, with their ledger accounts (see the module docstring)."""

    def __init__(
        self,
        *,
        store: PeeringStore,
        liquidity: LiquidityService,
        clock: Clock,
        thresholds: ThresholdsObserver | None = None,
    ):
        self._store = store
        self._liquidity = liquidity
        self._clock = clock
        self._thresholds = thresholds or NoThresholdsObserver()

    async def create(self, request: CreateAsset) -> Asset | AssetError:
        """Create (or re-activate) an asset and its liquidity and settlement accounts.

        Returns:
            The asset, or InvalidAssetCode, InvalidAssetScale, InvalidThreshold,
            InvalidLiquidityHighThreshold, DuplicateAsset (an active asset has this code and
            scale). Nothing is written on error. Raises only on infrastructure faults.
        """
        if not is_valid_asset_code(request.code):
            return AssetError.InvalidAssetCode
        if not is_valid_scale(request.scale):
            return AssetError.InvalidAssetScale
        thresholds = (
            request.withdrawal_threshold,
            request.liquidity_threshold,
            request.liquidity_high_threshold,
        )
        for threshold in thresholds:
            if threshold is not None and not is_valid_uint64(threshold):
                return AssetError.InvalidThreshold
        if not _ordered(request.liquidity_threshold, request.liquidity_high_threshold):
            return AssetError.InvalidLiquidityHighThreshold
        now = self._clock.now()
        async with self._store.transaction() as tx:
            existing = await tx.asset_by_code_and_scale(
                request.code, request.scale, include_deleted=True
            )
            if existing is not None:
                if existing.deleted_at is None:
                    return AssetError.DuplicateAsset
                asset = replace(
                    existing,
                    withdrawal_threshold=request.withdrawal_threshold,
                    liquidity_threshold=request.liquidity_threshold,
                    liquidity_high_threshold=request.liquidity_high_threshold,
                    deleted_at=None,
                    updated_at=now,
                )
                await tx.update_asset(asset)
            else:
                inserted = await tx.insert_asset(
                    Asset(
                        id=uuid4(),
                        code=request.code,
                        scale=request.scale,
                        ledger=1,  # assigned by the store
                        withdrawal_threshold=request.withdrawal_threshold,
                        liquidity_threshold=request.liquidity_threshold,
                        liquidity_high_threshold=request.liquidity_high_threshold,
                        created_at=now,
                        updated_at=now,
                    )
                )
                if isinstance(inserted, AssetError):
                    return inserted  # a concurrent create won: the block ends, nothing written
                asset = inserted
        # After the commit: never call the ledger inside a transaction (see `PeerService`). If
        # this fails, the node creates the missing accounts at its next start
        # (`ensure_ledger_accounts`); creating existing ones again is a no-op.
        await self._liquidity.create_asset_accounts(
            AssetAccounts(asset_id=asset.id, ledger=asset.ledger)
        )
        await self._thresholds.thresholds_changed(asset.id)
        return asset

    async def update(self, request: UpdateAsset) -> Asset | AssetError:
        """Patch an asset's thresholds (`UNSET` unchanged, None cleared).

        Returns:
            The updated asset, or UnknownAsset (missing, deleted or not a UUID),
            InvalidThreshold, InvalidLiquidityHighThreshold (checked against the thresholds
            the asset ends up with). Raises only on infrastructure faults.
        """
        asset_id = parse_uuid(request.id)
        if asset_id is None:
            return AssetError.UnknownAsset
        patches = (
            request.withdrawal_threshold,
            request.liquidity_threshold,
            request.liquidity_high_threshold,
        )
        for threshold in patches:
            if threshold is not UNSET and threshold is not None and not is_valid_uint64(threshold):
                return AssetError.InvalidThreshold
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(asset_id)
            if asset is None:
                return AssetError.UnknownAsset
            if request.withdrawal_threshold is not UNSET:
                asset = replace(asset, withdrawal_threshold=request.withdrawal_threshold)
            if request.liquidity_threshold is not UNSET:
                asset = replace(asset, liquidity_threshold=request.liquidity_threshold)
            if request.liquidity_high_threshold is not UNSET:
                asset = replace(asset, liquidity_high_threshold=request.liquidity_high_threshold)
            if not _ordered(asset.liquidity_threshold, asset.liquidity_high_threshold):
                return AssetError.InvalidLiquidityHighThreshold  # the block ends, nothing written
            asset = replace(asset, updated_at=self._clock.now())
            await tx.update_asset(asset)
        await self._thresholds.thresholds_changed(asset.id)
        return asset

    async def delete(self, asset_id: UUID | str) -> Asset | AssetError:
        """Soft-delete an asset (its row, ledger number and accounts stay).

        Returns:
            The deleted asset (with `deleted_at`), or UnknownAsset, CannotDeleteInUseAsset (a
            peer uses it). Raises only on infrastructure faults.
        """
        id_ = parse_uuid(asset_id)
        if id_ is None:
            return AssetError.UnknownAsset
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(id_)
            if asset is None:
                return AssetError.UnknownAsset
            if await tx.asset_in_use(id_):
                return AssetError.CannotDeleteInUseAsset
            now = self._clock.now()
            asset = replace(asset, deleted_at=now, updated_at=now)
            await tx.update_asset(asset)
        await self._thresholds.thresholds_changed(asset.id)
        return asset

    async def get(self, asset_id: UUID | str) -> Asset | AssetError:
        """The asset, or UnknownAsset (missing, deleted or not a UUID)."""
        id_ = parse_uuid(asset_id)
        if id_ is None:
            return AssetError.UnknownAsset
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(id_)
        return AssetError.UnknownAsset if asset is None else asset

    async def by_code_and_scale(self, code: str, scale: int) -> Asset | None:
        """The active asset with this code and scale, or None (Rafiki's nullable query)."""
        async with self._store.transaction() as tx:
            return await tx.asset_by_code_and_scale(code, scale)

    async def page(self, request: PageRequest) -> Page[Asset]:
        """A page of active assets (validate the request with `pagination.page_request`)."""
        async with self._store.transaction() as tx:
            return await tx.asset_page(request)

    async def liquidity(self, asset: Asset) -> int | None:
        """The balance of the asset's liquidity account, or None if the account is missing."""
        accounts = AssetAccounts(asset_id=asset.id, ledger=asset.ledger)
        result = await self._liquidity.balance(accounts.liquidity_account_id)
        return None if isinstance(result, UnknownAccount) else _balance(result)


def _balance(result: AccountBalance) -> int:
    return result.balance


def _ordered(low: int | None, high: int | None) -> bool:
    """The high threshold above the low one, or either unset."""
    return low is None or high is None or high > low
