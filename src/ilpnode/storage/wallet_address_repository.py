"""Wallet addresses in SQL: the `WalletAddressStore` port (SQLAlchemy Core).

Transactions, savepoints and constraint names work as in `peering_repository` (read its module
docstring): one transaction per `transaction()` block (`BEGIN IMMEDIATE` on SQLite), every write
in a SAVEPOINT, a violated constraint recognised by its name and returned as the port's error.
Each write sends a `wallet_address:<id>` change notice (PostgreSQL), delivered at commit to every
process's change feed, which refreshes that wallet address in its directory. Paging is the
peering repository's keyset paging on `(created_at, id)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Row, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.payments import WalletAddress, WalletAddressError
from ilpnode.services.payments.ports import WalletAddressTransaction
from ilpnode.services.peering import Asset, Page, PageRequest
from ilpnode.storage.change_notice import CHANNEL, NoticeKind, encode_notice
from ilpnode.storage.database import Database
from ilpnode.storage.keyset_paging import keyset_page
from ilpnode.storage.peering_repository import SqlPeeringTransaction, constraint_name
from ilpnode.storage.schema.payments import wallet_addresses

__all__ = ["SqlWalletAddressStore", "SqlWalletAddressTransaction"]

_SQLITE_FOREIGN_KEY: Final = "FOREIGN KEY constraint failed"

_ERRORS: Final[Mapping[str, WalletAddressError]] = {
    "uq_wallet_addresses_url": WalletAddressError.DuplicateWalletAddress,
    "fk_wallet_addresses_asset_id_assets": WalletAddressError.UnknownAsset,
    # The asset is the row's only reference.
    _SQLITE_FOREIGN_KEY: WalletAddressError.UnknownAsset,
}


class SqlWalletAddressStore:
    """The `WalletAddressStore` port over the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WalletAddressTransaction]:
        """One database transaction: committed when the block ends, rolled back if it raises."""
        async with self._database.write_transaction() as connection:
            yield SqlWalletAddressTransaction(connection)


class SqlWalletAddressTransaction:
    """The `WalletAddressTransaction` operations on one open transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._assets = SqlPeeringTransaction(connection)

    async def insert_wallet_address(
        self, wallet_address: WalletAddress
    ) -> WalletAddressError | None:
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(
                    insert(wallet_addresses).values(_values(wallet_address))
                )
        except IntegrityError as error:
            name = constraint_name(error)
            if name is None or name not in _ERRORS:
                raise
            return _ERRORS[name]
        await self._notify(wallet_address.id)
        return None

    async def update_wallet_address(self, wallet_address: WalletAddress) -> bool:
        result = await self._connection.execute(
            update(wallet_addresses)
            .where(wallet_addresses.c.id == wallet_address.id)
            .values(
                public_name=wallet_address.public_name,
                updated_at=wallet_address.updated_at,
                deactivated_at=wallet_address.deactivated_at,
            )
        )
        if result.rowcount == 0:
            return False
        await self._notify(wallet_address.id)
        return True

    async def wallet_address_by_id(self, wallet_address_id: UUID) -> WalletAddress | None:
        query = select(wallet_addresses).where(wallet_addresses.c.id == wallet_address_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _wallet_address(row)

    async def wallet_address_by_url(self, url: str) -> WalletAddress | None:
        query = select(wallet_addresses).where(wallet_addresses.c.url == url)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _wallet_address(row)

    async def wallet_address_page(self, request: PageRequest) -> Page[WalletAddress]:
        page = await keyset_page(self._connection, wallet_addresses, request, None)
        return page.map(_wallet_address)

    async def all_wallet_addresses(self) -> list[WalletAddress]:
        query = select(wallet_addresses).order_by(
            wallet_addresses.c.created_at, wallet_addresses.c.id
        )
        return [_wallet_address(row) for row in await self._connection.execute(query)]

    async def asset_by_id(self, asset_id: UUID, *, include_deleted: bool = False) -> Asset | None:
        return await self._assets.asset_by_id(asset_id, include_deleted=include_deleted)

    async def _notify(self, wallet_address_id: UUID) -> None:
        """Tell every listening process, at commit, that this row changed (PostgreSQL only)."""
        if self._connection.dialect.name == "postgresql":
            await self._connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {
                    "channel": CHANNEL,
                    "payload": encode_notice(NoticeKind.WALLET_ADDRESS, wallet_address_id),
                },
            )


def _values(wallet_address: WalletAddress) -> dict[str, Any]:
    return {
        "id": wallet_address.id,
        "url": wallet_address.url,
        "asset_id": wallet_address.asset_id,
        "public_name": wallet_address.public_name,
        "created_at": wallet_address.created_at,
        "updated_at": wallet_address.updated_at,
        "deactivated_at": wallet_address.deactivated_at,
    }


def _wallet_address(row: Row[Any]) -> WalletAddress:
    return WalletAddress(
        id=row.id,
        url=row.url,
        asset_id=row.asset_id,
        public_name=row.public_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deactivated_at=row.deactivated_at,
    )
