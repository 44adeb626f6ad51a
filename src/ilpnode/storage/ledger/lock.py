"""Who may open a database's ledger: one process with the embedded ledger, or any number of
processes with the shared ledger (LEDGER_BACKEND=postgres), never both kinds at once.

Why: the embedded ledger keeps every balance in its process's memory and writes only the
changes to the database. A second process on the same database (two `ilpnode run` started by
hand, or a shared-ledger process beside an embedded one) would accept packets against balances
the first has already spent, and both would journal their transfers: money invented or lost.

Theory of operation. A process takes the lock before it migrates the database and holds it until
its ledger is closed:

- SQLite (only the embedded ledger runs there): an exclusive `flock` on `<database file>.lock`
  beside the database, held by an open descriptor. The kernel drops it when the process ends,
  however it ends (kill -9 included), so a lock is never stale and the file may stay. The holder
  writes its pid, host and start time into the file; a refused process quotes them.
- PostgreSQL: a session-level advisory lock (`LEDGER_LOCK_ID`, per database) on a connection of
  its own, exclusive for the embedded ledger and shared for the shared ledger, so shared-ledger
  processes coexist while each kind excludes the other. PostgreSQL drops it when the session
  ends. The connection's `application_name` says who holds it; a refused process quotes it from
  `pg_stat_activity`.
- A session can end under a running process (the server restarted, the connection was cut), and
  the lock with it. The holder checks its connection every `LOCK_CHECK_SECONDS`; once it is
  broken, it reconnects (every `LOCK_RETRY_SECONDS`) and takes the lock again. If another process
  took it meanwhile, `on_lost` is called with a message: the node then stops serving. So the lock
  stops an operator from starting a second process by mistake; it cannot undo what a second
  process does between a session's end and the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from ilpnode.storage.database import Database, async_url, redacted_url

__all__ = [
    "LEDGER_LOCK_ID",
    "LOCK_CHECK_SECONDS",
    "LedgerLock",
    "LedgerLockHeld",
    "lock_file_path",
    "lock_ledger",
]

logger = logging.getLogger(__name__)

# Arbitrary but fixed: identifies the ledger's lock among advisory locks (see migrate.py).
LEDGER_LOCK_ID: Final = 0x11D_1ED6E
# How often a holder checks that its lock's connection is alive: the longest a broken session
# goes unnoticed.
LOCK_CHECK_SECONDS: Final = 1.0
# How often a holder whose connection broke tries to reconnect and take the lock again.
LOCK_RETRY_SECONDS: Final = 1.0
_FIX = (
    "the embedded ledger keeps balances in one process's memory: stop the other process, or run "
    "every process with LEDGER_BACKEND=postgres and a PostgreSQL DATABASE_URL"
)


class LedgerLockHeld(Exception):
    """Another process holds the ledger; the message names it and what to do."""


class LedgerLock(Protocol):
    """A held lock; `release` lets the next process in (idempotent)."""

    async def release(self) -> None: ...


def lock_file_path(sqlite_path: str) -> Path:
    """The lock file of a SQLite database: beside it, `<database file>.lock`."""
    return Path(f"{sqlite_path}.lock")


async def lock_ledger(
    database: Database, *, shared: bool, on_lost: Callable[[str], None]
) -> LedgerLock:
    """Take the ledger's lock: exclusive for the embedded ledger, `shared` for the shared one.

    `on_lost(message)` is called (at most once, from the event loop) if the lock is lost to
    another process while held (PostgreSQL only; see the module's docstring).

    Raises:
        LedgerLockHeld: another process holds the lock in a mode that excludes this one.
        OSError, SQLAlchemyError: the lock file or the database cannot be reached.
    """
    if not database.is_sqlite:
        return await _AdvisoryLock.acquire(database, shared=shared, on_lost=on_lost)
    if database.sqlite_path is None:  # an in-memory database: no other process can open it
        return _NoLock()
    return _FileLock.acquire(lock_file_path(database.sqlite_path), shared=shared)


def _holder(shared: bool) -> str:
    return f"ilpnode {'shared' if shared else 'embedded'} ledger, pid {os.getpid()} on " + (
        socket.gethostname()
    )


class _NoLock:
    async def release(self) -> None:
        return None


class _FileLock:
    def __init__(self, fd: int, *, shared: bool) -> None:
        self._fd: int | None = fd
        self._shared = shared

    @classmethod
    def acquire(cls, path: Path, *, shared: bool) -> _FileLock:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 1024, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LedgerLockHeld(
                f"the ledger of {path.with_suffix('')} is open in another process ({holder}; "
                f"it holds {path}): {_FIX}"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if not shared:
            since = datetime.now(UTC).isoformat(timespec="seconds")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{_holder(shared)}, since {since}\n".encode(), 0)
        return cls(fd, shared=shared)

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if not self._shared:  # while still held: the next holder writes its own line
            os.ftruncate(fd, 0)
        os.close(fd)  # drops the lock


class _AdvisoryLock:
    def __init__(
        self,
        engine: AsyncEngine,
        connection: AsyncConnection,
        *,
        shared: bool,
        where: str,
        on_lost: Callable[[str], None],
    ) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = connection
        self._shared = shared
        self._where = where
        self._on_lost = on_lost
        self._watch = asyncio.get_running_loop().create_task(
            self._watch_connection(), name="ledger-lock-watch"
        )

    @classmethod
    async def acquire(
        cls, database: Database, *, shared: bool, on_lost: Callable[[str], None]
    ) -> _AdvisoryLock:
        where = redacted_url(database.url)
        engine = create_async_engine(
            async_url(database.url),
            poolclass=NullPool,
            connect_args={"server_settings": {"application_name": _holder(shared)[:63]}},
        )
        try:
            connection = await _connect(engine)
        except BaseException:
            await engine.dispose()
            raise
        try:
            taken = await _try_lock(connection, shared=shared)
            holders = [] if taken else await _holders(connection)
        except BaseException:
            await connection.close()
            await engine.dispose()
            raise
        if not taken:
            await connection.close()
            await engine.dispose()
            raise LedgerLockHeld(_refusal(where, shared=shared, holders=holders))
        return cls(engine, connection, shared=shared, where=where, on_lost=on_lost)

    async def release(self) -> None:
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._watch
        await self._close_connection()
        await self._engine.dispose()

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.close()  # ends the session, which drops the lock
        except (SQLAlchemyError, OSError) as error:  # already broken: the session is gone anyway
            logger.debug("closing the ledger lock's connection: %s", error)

    async def _watch_connection(self) -> None:
        while True:
            await asyncio.sleep(LOCK_CHECK_SECONDS)
            if await self._alive():
                continue
            logger.warning(
                "the ledger lock's connection to %s broke: reconnecting to take the lock again",
                self._where,
            )
            await self._close_connection()
            taken = await self._retake()
            if not taken:
                message = (
                    f"the ledger lock of {self._where} was lost to another process: "
                    "this process stops serving; restart it once the other one is stopped"
                )
                logger.critical("%s", message)
                self._on_lost(message)
                return
            logger.warning("the ledger lock of %s is held again", self._where)

    async def _alive(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def _retake(self) -> bool:
        """Reconnect until the server answers; then whether the lock could be taken again."""
        while True:
            try:
                connection = await _connect(self._engine)
            except (SQLAlchemyError, OSError) as error:
                logger.debug("ledger lock: %s unreachable: %s", self._where, error)
                await asyncio.sleep(LOCK_RETRY_SECONDS)
                continue
            try:
                taken = await _try_lock(connection, shared=self._shared)
            except (SQLAlchemyError, OSError) as error:
                logger.debug("ledger lock: taking it again failed: %s", error)
                taken = None
            except BaseException:  # released meanwhile (cancelled): leave no connection open
                await connection.close()
                raise
            if taken:
                self._connection = connection
                return True
            await connection.close()
            if taken is False:
                return False
            await asyncio.sleep(LOCK_RETRY_SECONDS)


async def _connect(engine: AsyncEngine) -> AsyncConnection:
    connection = await engine.connect()
    # Autocommit: no transaction stays open on the lock's connection (a session lock needs none).
    return await connection.execution_options(isolation_level="AUTOCOMMIT")


async def _try_lock(connection: AsyncConnection, *, shared: bool) -> bool:
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    result = await connection.execute(text(f"SELECT {function}(:id)"), {"id": LEDGER_LOCK_ID})
    return bool(result.scalar_one())


async def _holders(connection: AsyncConnection) -> list[str]:
    """Who holds the lock, as pg_stat_activity shows them (what this role may see of them)."""
    rows = await connection.execute(
        text(
            "SELECT a.application_name, host(a.client_addr), a.backend_start, l.mode "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :high AND l.objid = :low "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "ORDER BY a.backend_start"
        ),
        {"high": LEDGER_LOCK_ID >> 32, "low": LEDGER_LOCK_ID & 0xFFFF_FFFF},
    )
    holders = []
    for name, address, since, mode in rows:
        kind = "embedded" if mode == "ExclusiveLock" else "shared"
        who = name or f"a process with the {kind} ledger"
        where = f" from {address}" if address else ""
        when = f" since {since.astimezone(UTC).isoformat(timespec='seconds')}" if since else ""
        holders.append(f"{who}{where}{when}")
    return holders


def _refusal(where: str, *, shared: bool, holders: list[str]) -> str:
    named = "; ".join(holders) if holders else "not visible to this database user"
    if shared:
        return (
            f"the database {where} is in use by a process with the embedded ledger ({named}): "
            "processes with LEDGER_BACKEND=postgres may share a database with each other only; "
            "stop that process first"
        )
    return f"the ledger of {where} is open in another process ({named}): {_FIX}"
