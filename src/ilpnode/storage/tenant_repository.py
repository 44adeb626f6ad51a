"""The operator tenant's creation time in SQL (the `TenantStore` port): table `operator_tenant`,
one row, written by migration 0007 and, should the row be missing, by the first read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ilpnode.storage.database import Database
from ilpnode.storage.schema.admin import operator_tenant

__all__ = ["SqlTenantStore"]

_ROW_ID = 1


class SqlTenantStore:
    """`TenantStore` over the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def created_at(self, now: datetime) -> datetime:
        """The stored creation time, or `now` once stored (another process storing its own
        first wins, and both answer the stored one)."""
        stored = await self._read()
        if stored is not None:
            return stored
        try:
            async with self._database.writer(), self._database.engine.begin() as connection:
                await connection.execute(insert(operator_tenant).values(id=_ROW_ID, created_at=now))
        except IntegrityError:
            pass  # another process stored it first: read theirs below
        stored = await self._read()
        if stored is None:  # pragma: no cover - the row was just written
            raise RuntimeError("the operator tenant's row vanished")
        return stored

    async def _read(self) -> datetime | None:
        async with self._database.engine.connect() as connection:
            query = select(operator_tenant.c.created_at).where(operator_tenant.c.id == _ROW_ID)
            stored: datetime | None = (await connection.execute(query)).scalar()
            return stored
