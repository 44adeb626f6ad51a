"""Fees in SQL: the `FeeStore` port (SQLAlchemy Core).

Write transactions are the peering store's (`peering_repository`): one pooled connection, the
process's SQLite writer lock and `BEGIN IMMEDIATE` on SQLite, READ COMMITTED on PostgreSQL.
Setting a fee needs no more: the row is only added, the asset's foreign key keeps the asset from
vanishing under it, and no other row is changed. Reads use a plain transaction, which never waits
for a writer (SQLite in WAL mode). The newest fee of a type is the first by `(created_at, id)`
descending, the order of `Asset.fees`; the service makes a later fee's `created_at` later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.fees import Fee, FeeReads, FeeTransaction, FeeType, LatestFees
from ilpnode.services.peering import Page, PageRequest
from ilpnode.storage.database import Database
from ilpnode.storage.keyset_paging import keyset_page
from ilpnode.storage.schema.peering import assets, fees

__all__ = ["SqlFeeStore"]


class SqlFeeStore:
    """The `FeeStore` port over the node's database (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FeeTransaction]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._database.write_transaction() as connection:
            yield _SqlFees(connection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[FeeReads]:
        """A read-only transaction."""
        async with self._database.engine.connect() as connection, connection.begin():
            yield _SqlFees(connection)


class _SqlFees:
    """The port's operations on one open transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def asset_is_active(self, asset_id: UUID) -> bool:
        query = select(assets.c.id).where(assets.c.id == asset_id, assets.c.deleted_at.is_(None))
        return (await self._connection.execute(query)).first() is not None

    async def newest_fee_time(self, asset_id: UUID) -> datetime | None:
        query = (
            select(fees.c.created_at)
            .where(fees.c.asset_id == asset_id)
            .order_by(fees.c.created_at.desc())
            .limit(1)
        )
        newest: datetime | None = (await self._connection.execute(query)).scalar()
        return newest

    async def insert_fee(self, fee: Fee) -> None:
        await self._connection.execute(
            insert(fees).values(
                id=fee.id,
                asset_id=fee.asset_id,
                type=fee.type.value,
                fixed=fee.fixed,
                basis_points=fee.basis_points,
                created_at=fee.created_at,
            )
        )

    async def latest_fees(self, asset_id: UUID) -> LatestFees:
        found: dict[FeeType, Fee] = {}
        for fee_type in FeeType:
            query = (
                select(fees)
                .where(fees.c.asset_id == asset_id, fees.c.type == fee_type.value)
                .order_by(fees.c.created_at.desc(), fees.c.id.desc())
                .limit(1)
            )
            row = (await self._connection.execute(query)).first()
            if row is not None:
                found[fee_type] = _fee(row)
        return LatestFees(
            sending=found.get(FeeType.SENDING), receiving=found.get(FeeType.RECEIVING)
        )

    async def fee_page(self, asset_id: UUID, request: PageRequest) -> Page[Fee]:
        page = await keyset_page(self._connection, fees, request, fees.c.asset_id == asset_id)
        return page.map(_fee)


def _fee(row: Row[Any]) -> Fee:
    return Fee(
        id=row.id,
        asset_id=row.asset_id,
        type=FeeType(row.type),
        fixed=row.fixed,
        basis_points=row.basis_points,
        created_at=row.created_at,
    )
