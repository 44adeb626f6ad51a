"""The fee service: set an asset's fees, read the ones in force and their history (Rafiki's
`FeeService`, `packages/backend/src/fee/service.ts`).

Checks, in Rafiki's order: the fixed part (InvalidFixedFee), the basis points
(InvalidBasisPointFee), then the asset (UnknownAsset). Decisions where Rafiki differs:

- An asset id that is not a UUID, or a soft-deleted asset, is UnknownAsset (Rafiki fails with a
  database error on the first, and sets a fee on the second). Re-creating a deleted asset brings
  its fees back with it: they belong to the same row.
- The newest fee is the one set last: a new fee's `created_at` is later than every other fee of
  its asset, even if the wall clock went back (then it is the newest one plus a microsecond).
  Rafiki orders by a `createdAt` from the clock alone.

The sending fee in force when a payment is made is what the payments this node sends from a
wallet address are charged (`services.outgoing_payments.fees`); the receiving fee is stored and
shown, not charged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID, uuid4

from ilpnode.clock import Clock
from ilpnode.services.fees.model import BASIS_POINTS_MAX, Fee, FeeError, LatestFees, SetFee
from ilpnode.services.fees.ports import FeeStore
from ilpnode.services.peering.pagination import Page, PageRequest
from ilpnode.services.peering.validation import is_valid_uint64, parse_uuid

__all__ = ["FeeService"]

# The smallest step both databases keep (PostgreSQL timestamps have microseconds).
_TICK: Final = timedelta(microseconds=1)


class FeeService:
    """Fees in the database (see the module docstring)."""

    def __init__(self, *, store: FeeStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def set(self, request: SetFee) -> Fee | FeeError:
        """Set the fee of one type for an asset: a new fee, in force from now on.

        Returns:
            The new fee, or InvalidFixedFee (not an integer in 0..2**64-1),
            InvalidBasisPointFee (not an integer in 0..10000), UnknownAsset (missing, deleted
            or not a UUID). Nothing is written on error. Raises only on infrastructure faults.
        """
        if not is_valid_uint64(request.fixed):
            return FeeError.InvalidFixedFee
        basis_points = request.basis_points
        if (
            not isinstance(basis_points, int)
            or isinstance(basis_points, bool)
            or not 0 <= basis_points <= BASIS_POINTS_MAX
        ):
            return FeeError.InvalidBasisPointFee
        asset_id = parse_uuid(request.asset_id)
        if asset_id is None:
            return FeeError.UnknownAsset
        async with self._store.transaction() as tx:
            if not await tx.asset_is_active(asset_id):
                return FeeError.UnknownAsset
            created_at = self._clock.now()
            newest = await tx.newest_fee_time(asset_id)
            if newest is not None and created_at <= newest:
                created_at = newest + _TICK
            fee = Fee(
                id=uuid4(),
                asset_id=asset_id,
                type=request.type,
                fixed=request.fixed,
                basis_points=basis_points,
                created_at=created_at,
            )
            await tx.insert_fee(fee)
        return fee

    async def latest(self, asset_id: UUID) -> LatestFees:
        """The sending and receiving fees in force for an asset (None where never set)."""
        async with self._store.reading() as reads:
            return await reads.latest_fees(asset_id)

    async def page(self, asset_id: UUID, request: PageRequest) -> Page[Fee]:
        """A page of every fee ever set for the asset (validate the request with
        `pagination.page_request`; Rafiki's default order is newest first)."""
        async with self._store.reading() as reads:
            return await reads.fee_page(asset_id, request)
