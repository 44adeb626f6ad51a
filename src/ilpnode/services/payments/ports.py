"""What the wallet address service needs from storage: one transaction per operation, and the
node's stored STREAM secret.

As for the peering store (`services.peering.ports`): `WalletAddressStore.transaction()` commits
when the `async with` block ends normally and rolls back when it raises; a constraint violation
is *returned* as an error value and undoes only the failed statement. Implemented by
`ilpnode.storage.wallet_address_repository` (SQLAlchemy Core).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol
from uuid import UUID

from ilpnode.services.payments.errors import WalletAddressError
from ilpnode.services.payments.model import WalletAddress
from ilpnode.services.peering import Asset, Page, PageRequest

__all__ = ["SecretStore", "WalletAddressStore", "WalletAddressTransaction"]


class WalletAddressTransaction(Protocol):
    """The operations available inside one transaction."""

    async def insert_wallet_address(
        self, wallet_address: WalletAddress
    ) -> WalletAddressError | None:
        """Insert a wallet address.

        Returns:
            None, or DuplicateWalletAddress (the URL is taken), UnknownAsset (no such asset row).
        """
        ...

    async def update_wallet_address(self, wallet_address: WalletAddress) -> bool:
        """Write the mutable fields (public name, deactivated_at, updated_at); False if there is
        no such wallet address."""
        ...

    async def wallet_address_by_id(self, wallet_address_id: UUID) -> WalletAddress | None:
        """The wallet address, or None."""
        ...

    async def wallet_address_by_url(self, url: str) -> WalletAddress | None:
        """The wallet address with exactly this URL, or None."""
        ...

    async def wallet_address_page(self, request: PageRequest) -> Page[WalletAddress]:
        """A page of wallet addresses (keyset paging on `(created_at, id)`)."""
        ...

    async def all_wallet_addresses(self) -> list[WalletAddress]:
        """Every wallet address, oldest first (start-up loading, reconciling)."""
        ...

    async def asset_by_id(self, asset_id: UUID, *, include_deleted: bool = False) -> Asset | None:
        """The asset, or None (a soft-deleted one only if `include_deleted`)."""
        ...


class WalletAddressStore(Protocol):
    """Opens transactions (see the module docstring)."""

    def transaction(self) -> AbstractAsyncContextManager[WalletAddressTransaction]: ...


class SecretStore(Protocol):
    """Secrets the node generates once and keeps in its database (shared by every process)."""

    async def keep_first(self, name: str, candidate: str) -> str:
        """Store `candidate` under `name` unless a value is stored already; return the stored
        value (`candidate` if it was stored now). Atomic: of processes racing to store one,
        every one gets the same value back."""
        ...
