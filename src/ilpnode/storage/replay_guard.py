"""The Admin API's signature replay guard in the node's database: the default `ReplayGuard`.

Theory of operation
===================

One row per accepted signature in `admin_signature_replays`: its digest (primary key) and its
expiry in Unix ms. `first_use` decides in one statement, so it is atomic across every process
on the database without a lock of ours:

    INSERT … VALUES (digest, expiry)
    ON CONFLICT (digest) DO UPDATE SET expires_at_ms = <the new expiry>
        WHERE <the stored row has expired: expires_at_ms < now>
    RETURNING digest

A row back means the signature is new here (the digest was free, or its row had expired and is
now renewed); no row means a live row is in the way: a replay. Two concurrent first uses of one
digest: PostgreSQL makes the second INSERT wait for the first transaction, then sees its row and
returns nothing; SQLite runs one write transaction at a time. So exactly one wins. A row that
expired is replaced in place, so an expiry never lets two uses of one digest both win either.

Pruning. Rows past their expiry are dead weight (the signature check refuses their timestamps
anyway). Each process deletes at most `PRUNE_BATCH` of them, oldest first, on its first call and
then every `PRUNE_EVERY` calls, in the same transaction: bounded work per request, and the
deletions outpace the insertions, so the table stays about as large as the number of signatures
accepted within one time to live. On PostgreSQL the rows to delete are picked with `FOR UPDATE
SKIP LOCKED`, so two processes pruning at once never wait for each other (or deadlock).

Faults. Any database error or a store that does not answer within `STORE_TIMEOUT_SECONDS` is a
`ReplayGuardUnavailable`: the caller refuses the request (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from sqlalchemy import Delete, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.replay_guard import ReplayGuardUnavailable
from ilpnode.storage.database import Database
from ilpnode.storage.schema.admin import admin_signature_replays

__all__ = ["PRUNE_BATCH", "PRUNE_EVERY", "STORE_TIMEOUT_SECONDS", "SqlReplayGuard"]

logger = logging.getLogger(__name__)

# Prune on a process's first call and then on every 16th; at most 64 rows each time: up to four
# deletions per insertion, so expired rows never pile up, and a prune is one short statement.
PRUNE_EVERY: Final = 16
PRUNE_BATCH: Final = 64
# An Admin API request waits at most this long for the guard before it is refused with 503.
STORE_TIMEOUT_SECONDS: Final = 5.0

_rows = admin_signature_replays.c


class SqlReplayGuard:
    """The `ReplayGuard` port over the node's database (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._calls_until_prune = 0

    async def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """See `ReplayGuard.first_use`.

        Raises:
            ReplayGuardUnavailable: the database failed or did not answer in time.
        """
        prune = self._calls_until_prune == 0
        self._calls_until_prune = PRUNE_EVERY - 1 if prune else self._calls_until_prune - 1
        upsert = sqlite.insert if self._database.is_sqlite else postgresql.insert
        inserting = upsert(admin_signature_replays).values(digest=key, expires_at_ms=expires_at_ms)
        statement = inserting.on_conflict_do_update(
            index_elements=[_rows.digest],
            set_={"expires_at_ms": inserting.excluded.expires_at_ms},
            where=_rows.expires_at_ms < now_ms,
        ).returning(_rows.digest)
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS), self._transaction() as connection:
                first = (await connection.execute(statement)).first() is not None
                if prune:
                    await connection.execute(_prune(now_ms))
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning("replay guard: database failed: %r", error)
            raise ReplayGuardUnavailable(
                f"the database is unreachable ({type(error).__name__})"
            ) from error
        return first

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._database.write_transaction() as connection:
            yield connection


def _prune(now_ms: int) -> Delete:
    expired = (
        select(_rows.digest)
        .where(_rows.expires_at_ms < now_ms)
        .order_by(_rows.expires_at_ms)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite has one writer
    )
    return delete(admin_signature_replays).where(_rows.digest.in_(expired))
