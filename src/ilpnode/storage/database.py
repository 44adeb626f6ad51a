"""The node's database: one SQLAlchemy async engine, SQLite (embedded default) or PostgreSQL.

Operators write Rafiki-style URLs (`postgresql://…`, `sqlite:///file`); `async_url` maps them to
the async drivers (asyncpg, aiosqlite). SQLite runs in WAL mode with `synchronous=FULL` so that a
committed transaction survives a power cut, and with a busy timeout so that short lock waits are
not errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = ["Database", "async_url", "asyncpg_dsn", "redacted_url"]

logger = logging.getLogger(__name__)

# How long a query in the health check may take before the database counts as down.
HEALTH_CHECK_TIMEOUT_SECONDS = 2.0
# How long SQLite waits for another connection's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 5_000


def async_url(url: str) -> URL:
    """Map an operator's database URL to the SQLAlchemy async driver URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def asyncpg_dsn(url: str) -> str:
    """The DSN for `asyncpg.connect` of an operator's `postgresql://…` URL (for the connections
    that bypass SQLAlchemy: the shared ledger's writer, the change feed's listener)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def redacted_url(url: str) -> str:
    """The URL with any password hidden, for logs."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """Owns the engine; `ping` answers the health check, `close` ends every connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(async_url(url), pool_pre_ping=True)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        database = make_url(url).database if self.is_sqlite else None
        self.sqlite_path: str | None = (
            database if database and database != ":memory:" and "mode=memory" not in url else None
        )
        """The SQLite file (None for PostgreSQL or an in-memory database)."""
        self._sqlite_writer = asyncio.Lock()
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite)

    @contextlib.asynccontextmanager
    async def writer(self) -> AsyncIterator[None]:
        """Hold while running a write transaction. On SQLite, one at a time per process:
        SQLite has one writer anyway, and a second transaction waiting for its lock would poll
        with sleeps of up to 100 ms (seen as p99 spikes of ~800 ms on the admin benchmark).
        Not re-entrant: never open a transaction inside another. PostgreSQL: no lock."""
        if not self.is_sqlite:
            yield
            return
        async with self._sqlite_writer:
            yield

    @contextlib.asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (under `writer()`): committed when the block ends, rolled back
        if it raises. On SQLite it starts with `BEGIN IMMEDIATE`, which takes the database's
        one write lock at once, so every statement in it reads what the ones before wrote and
        no other process writes in between."""
        async with self.writer(), self.engine.connect() as connection, connection.begin():
            if self.is_sqlite:
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    async def ping(self) -> bool:
        """True when a trivial query succeeds; never raises."""
        try:
            async with asyncio.timeout(HEALTH_CHECK_TIMEOUT_SECONDS):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:  # any driver or network fault means "not healthy"
            logger.warning("database health check failed: %s", error)
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
