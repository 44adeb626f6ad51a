"""What the fee service needs from storage (`ilpnode.storage.fee_repository` implements it).

`FeeStore.transaction()` opens a write transaction (committed when the `async with` block ends
normally, rolled back when it raises); `FeeStore.reading()` a read-only one, which never waits
for a writer.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from ilpnode.services.fees.model import Fee, LatestFees
from ilpnode.services.peering.pagination import Page, PageRequest

__all__ = ["FeeReads", "FeeStore", "FeeTransaction"]


class FeeReads(Protocol):
    """The reads, available in either kind of transaction."""

    async def latest_fees(self, asset_id: UUID) -> LatestFees:
        """The newest fee of each type of the asset, by `(created_at, id)`."""
        ...

    async def fee_page(self, asset_id: UUID, request: PageRequest) -> Page[Fee]:
        """A page of the asset's fees, every type, ordered by `(created_at, id)`; a cursor that
        is not one of this asset's fees gives an empty page."""
        ...


class FeeTransaction(FeeReads, Protocol):
    """The operations of a write transaction."""

    async def asset_is_active(self, asset_id: UUID) -> bool:
        """True if the asset exists and is not deleted."""
        ...

    async def newest_fee_time(self, asset_id: UUID) -> datetime | None:
        """The `created_at` of the asset's newest fee of any type, or None."""
        ...

    async def insert_fee(self, fee: Fee) -> None:
        """Store a new fee (its asset exists: checked in the same transaction)."""
        ...


class FeeStore(Protocol):
    """Opens transactions (see the module docstring)."""

    def transaction(self) -> AbstractAsyncContextManager[FeeTransaction]: ...

    def reading(self) -> AbstractAsyncContextManager[FeeReads]: ...
