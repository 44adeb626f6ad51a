"""Idempotency records in the `idempotency_keys` table: the `IdempotencyStore` port.

Theory of operation
===================

A key's record moves through the states of `ilpnode.services.idempotency`:

    (none) ──claim──▶ locked: no result ──complete──▶ done: result
       ▲                    │
       └─────release────────┘
    locked whose lock passed, or anything past its TTL: dead ──claim──▶ locked (replaced)

`claim` decides in one statement, so it is atomic across processes without any lock of ours:

    INSERT … ON CONFLICT (key) DO UPDATE SET <a fresh claim> WHERE <the stored record is dead>
    RETURNING key

A row back means the key is now ours (`Claimed`): it was free, or its record was dead (no result
and the lock passed, or the time to live passed) and has been replaced. No row means a live
record is in the way; the same transaction then reads it to tell `Busy`, `Replay` and `Mismatch`
apart. That read is stable: PostgreSQL locks the conflicting row even when the WHERE is false,
and SQLite's write lock (taken by the INSERT) is held until commit. Two concurrent claims of a free
key: PostgreSQL makes the second INSERT wait for the first transaction and then see its row, so
exactly one is `Claimed`.

`complete` and `release` touch only a record without a result, so they can never overwrite or
drop a stored success. They cannot tell whose claim a record is (the port passes only the key):
a mutation that outlives its lock (`LOCK_DURATION`) may have its key claimed again by another
request, whose record it would then complete or release.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.idempotency import (
    LOCK_DURATION,
    TIME_TO_LIVE,
    Busy,
    Claim,
    Claimed,
    Mismatch,
    Replay,
)
from ilpnode.storage.database import Database
from ilpnode.storage.schema.admin import idempotency_keys

__all__ = ["SqlIdempotencyStore"]

_keys = idempotency_keys.c


class SqlIdempotencyStore:
    """The `IdempotencyStore` port over the node's database (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(self, key: str, operation: str, arguments: str, *, now: datetime) -> Claim:
        """Claim `key` (see `IdempotencyStore.claim`). Raises only on database faults."""
        upsert = sqlite.insert if self._database.is_sqlite else postgresql.insert
        record = {
            "key": key,
            "operation": operation,
            "arguments": arguments,
            "result": None,
            "locked_until": now + LOCK_DURATION,
            "expires_at": now + TIME_TO_LIVE,
        }
        inserting = upsert(idempotency_keys).values(record)
        dead = or_(and_(_keys.result.is_(None), _keys.locked_until <= now), _keys.expires_at <= now)
        statement = inserting.on_conflict_do_update(
            index_elements=[_keys.key],
            set_={name: value for name, value in record.items() if name != "key"},
            where=dead,
        ).returning(_keys.key)
        async with self._transaction() as connection:
            if (await connection.execute(statement)).first() is not None:
                return Claimed()
            query = select(_keys.operation, _keys.arguments, _keys.result).where(_keys.key == key)
            stored = (await connection.execute(query)).one()
        if stored.result is None:
            return Busy()
        if (stored.operation, stored.arguments) == (operation, arguments):
            return Replay(stored.result)
        return Mismatch()

    async def complete(self, key: str, result: str) -> None:
        """Store the result of the claimed `key`; a record that has one already is kept."""
        async with self._transaction() as connection:
            await connection.execute(
                update(idempotency_keys)
                .where(_keys.key == key, _keys.result.is_(None))
                .values(result=result)
            )

    async def release(self, key: str) -> None:
        """Forget the claimed `key`; a record with a result is kept."""
        async with self._transaction() as connection:
            await connection.execute(
                delete(idempotency_keys).where(_keys.key == key, _keys.result.is_(None))
            )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._database.write_transaction() as connection:
            yield connection
