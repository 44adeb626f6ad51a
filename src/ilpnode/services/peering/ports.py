"""What the peering services need from storage: one transaction per service operation.

`PeeringStore.transaction()` opens a transaction; it commits when the `async with` block ends
normally and rolls back when it raises. Inside it, a constraint violation is *returned* as an
error value and undoes only the failed statement (a savepoint), so the transaction stays usable;
the service decides whether to roll back. `ilpnode.storage.peering_repository` implements this
with SQLAlchemy Core; the unit tests use an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol
from uuid import UUID

from ilpnode.services.peering.errors import AssetError, PeerError
from ilpnode.services.peering.model import Asset, Peer
from ilpnode.services.peering.pagination import Page, PageRequest

__all__ = ["PeeringStore", "PeeringTransaction", "ThresholdsObserver"]


class PeeringTransaction(Protocol):
    """The operations available inside one transaction."""

    async def insert_asset(self, asset: Asset) -> Asset | AssetError:
        """Insert `asset`, assigning its `ledger` (the value given is ignored): the next unused
        number (max + 1, never reused).

        Returns:
            The stored asset, or DuplicateAsset (same code and scale, deleted or not).
        """
        ...

    async def update_asset(self, asset: Asset) -> None:
        """Write every mutable field of an existing asset (thresholds, updated_at, deleted_at)."""
        ...

    async def asset_by_id(self, asset_id: UUID, *, include_deleted: bool = False) -> Asset | None:
        """The asset, or None (a soft-deleted one only if `include_deleted`)."""
        ...

    async def asset_by_code_and_scale(
        self, code: str, scale: int, *, include_deleted: bool = False
    ) -> Asset | None:
        """The asset with this code and scale, or None."""
        ...

    async def asset_in_use(self, asset_id: UUID) -> bool:
        """True if any peer or hosted wallet address uses the asset."""
        ...

    async def asset_page(self, request: PageRequest) -> Page[Asset]:
        """A page of the assets that are not deleted."""
        ...

    async def insert_peer(self, peer: Peer, token_hashes: Sequence[str]) -> PeerError | None:
        """Insert a peer and its incoming token digests.

        Returns:
            None, or DuplicatePeer (same asset and static address), DuplicateIncomingToken (a
            digest already stored), UnknownAsset (no such asset row).
        """
        ...

    async def update_peer(self, peer: Peer, token_hashes: Sequence[str] | None) -> PeerError | None:
        """Write every field of an existing peer; if `token_hashes` is not None, replace its
        incoming token digests with them.

        Returns:
            None, or DuplicatePeer, DuplicateIncomingToken, UnknownPeer (no such row).
        """
        ...

    async def peer_by_id(self, peer_id: UUID) -> Peer | None:
        """The peer, or None."""
        ...

    async def peer_by_static_address(self, asset_id: UUID, static_ilp_address: str) -> Peer | None:
        """The peer of this asset whose static address is exactly this one (the pair is unique),
        or None. Unlike the routing lookup, a peer that merely routes the address does not count.
        """
        ...

    async def token_hashes(self, peer_id: UUID) -> list[str]:
        """The digests of the peer's incoming tokens."""
        ...

    async def delete_peer(self, peer_id: UUID) -> bool:
        """Delete the peer and (cascade) its tokens; False if there was no such peer."""
        ...

    async def peer_page(self, request: PageRequest) -> Page[Peer]:
        """A page of peers."""
        ...

    async def all_peers(self) -> list[tuple[Peer, list[str]]]:
        """Every peer with its token digests (start-up loading)."""
        ...


class PeeringStore(Protocol):
    """Opens transactions (see the module docstring)."""

    def transaction(self) -> AbstractAsyncContextManager[PeeringTransaction]: ...


class ThresholdsObserver(Protocol):
    """Told when an asset's or a peer's liquidity thresholds may have changed (the liquidity
    webhooks, `services.webhooks.watch`)."""

    async def thresholds_changed(self, owner_id: UUID) -> None:
        """`owner_id` (an asset or a peer) was created, updated or deleted, and committed.
        Never raises."""
        ...


class NoThresholdsObserver:
    """The observer of a node without liquidity webhooks: does nothing."""

    async def thresholds_changed(self, owner_id: UUID) -> None:
        return None
