"""What the wallet address service needs from storage: one transaction per operation, the
node's stored STREAM secret, and the list of payments received.

As for the peering store (`services.peering.ports`): `WalletAddressStore.transaction()` commits
when the `async with` block ends normally and rolls back when it raises; a constraint violation
is *returned* as an error value and undoes only the failed statement. Implemented by
`ilpnode.storage.wallet_address_repository` (SQLAlchemy Core).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol
from uuid import UUID

from ilpnode.services.payments.errors import WalletAddressError
from ilpnode.services.payments.model import ReceivedPayment, WalletAddress
from ilpnode.services.peering import Asset, Page, PageRequest

__all__ = [
    "ReceivedPaymentStore",
    "SecretStore",
    "WalletAddressStore",
    "WalletAddressTransaction",
]


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


class ReceivedPaymentStore(Protocol):
    """The payments received, one row per STREAM connection (`received_payments.py`)."""

    async def add(self, payments: Sequence[ReceivedPayment]) -> None:
        """Add what each of `payments` received since the last call, in one transaction:
        a new connection is inserted; a known one gets `total_received` and `packets` added,
        the earlier `first_packet_at` and the later `last_packet_at`. Additive, so that every
        process receiving on one connection adds its share. `payments` have distinct ids.

        Raises:
            Only on infrastructure faults (nothing is written then).
        """
        ...

    async def page(self, wallet_address_id: UUID, request: PageRequest) -> Page[ReceivedPayment]:
        """A page of the wallet address's payments (keyset paging on `(first_packet_at, id)`)."""
        ...
