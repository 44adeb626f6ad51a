"""The ledger's lock (`storage.ledger.lock`): one embedded-ledger process per database, or any
number of shared-ledger processes, never both; a holder whose session broke takes it again or
says it lost it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ilpnode.storage.database import Database
from ilpnode.storage.ledger.lock import (
    LEDGER_LOCK_ID,
    LedgerLock,
    LedgerLockHeld,
    lock_file_path,
    lock_ledger,
)
from tests.support import migrated_throwaway_database


def _never_lost(message: str) -> None:
    pytest.fail(f"the lock was reported lost: {message}")


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'node.sqlite3'}")
    yield database
    await database.close()


async def test_a_second_embedded_ledger_on_a_sqlite_file_is_refused_naming_the_holder(
    sqlite_database: Database, tmp_path: Path
) -> None:
    first = await lock_ledger(sqlite_database, shared=False, on_lost=_never_lost)
    try:
        with pytest.raises(LedgerLockHeld) as refused:
            await lock_ledger(sqlite_database, shared=False, on_lost=_never_lost)
    finally:
        await first.release()

    message = str(refused.value)
    assert f"the ledger of {tmp_path / 'node.sqlite3'} is open in another process" in message
    assert f"ilpnode embedded ledger, pid {os.getpid()} on " in message
    assert "LEDGER_BACKEND=postgres" in message
    assert lock_file_path(str(tmp_path / "node.sqlite3")) == tmp_path / "node.sqlite3.lock"


async def test_a_released_sqlite_lock_lets_the_next_process_in(sqlite_database: Database) -> None:
    first = await lock_ledger(sqlite_database, shared=False, on_lost=_never_lost)
    await first.release()
    await first.release()  # idempotent

    second = await lock_ledger(sqlite_database, shared=False, on_lost=_never_lost)
    await second.release()


async def test_an_in_memory_sqlite_database_needs_no_lock() -> None:
    database = Database("sqlite+aiosqlite:///:memory:")
    try:
        first = await lock_ledger(database, shared=False, on_lost=_never_lost)
        second = await lock_ledger(database, shared=False, on_lost=_never_lost)
        await first.release()
        await second.release()
    finally:
        await database.close()


@pytest.fixture(scope="module")
def lock_pg_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


@pytest.fixture
async def pg_database(lock_pg_url: str) -> AsyncIterator[Database]:
    database = Database(lock_pg_url)
    yield database
    await database.close()


async def _holders(database: Database) -> list[tuple[str, str, int]]:
    """(application_name, mode, backend pid) of every session holding the ledger lock."""
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT a.application_name, l.mode, a.pid FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :low "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"low": LEDGER_LOCK_ID & 0xFFFF_FFFF},
        )
        return [(name, mode, pid) for name, mode, pid in rows]


async def _terminate_holders(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :low "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"low": LEDGER_LOCK_ID & 0xFFFF_FFFF},
        )
        await connection.commit()


@pytest.mark.postgres
async def test_embedded_excludes_embedded_on_postgresql_naming_the_holder(
    pg_database: Database,
) -> None:
    first = await lock_ledger(pg_database, shared=False, on_lost=_never_lost)
    try:
        with pytest.raises(LedgerLockHeld) as refused:
            await lock_ledger(pg_database, shared=False, on_lost=_never_lost)
        holders = await _holders(pg_database)
    finally:
        await first.release()

    message = str(refused.value)
    assert "is open in another process (ilpnode embedded ledger, pid" in message
    assert f"pid {os.getpid()} on " in message
    assert " since " in message
    assert "LEDGER_BACKEND=postgres" in message
    assert [mode for _name, mode, _pid in holders] == ["ExclusiveLock"]
    assert await _holders(pg_database) == []  # released with its session


@pytest.mark.postgres
async def test_shared_holders_coexist_and_exclude_the_embedded_ledger(
    pg_database: Database,
) -> None:
    locks: list[LedgerLock] = []
    try:
        locks.append(await lock_ledger(pg_database, shared=True, on_lost=_never_lost))
        locks.append(await lock_ledger(pg_database, shared=True, on_lost=_never_lost))
        with pytest.raises(LedgerLockHeld) as refused:
            await lock_ledger(pg_database, shared=False, on_lost=_never_lost)
    finally:
        for lock in locks:
            await lock.release()

    assert "ilpnode shared ledger, pid" in str(refused.value)
    assert "LEDGER_BACKEND=postgres" in str(refused.value)


@pytest.mark.postgres
async def test_the_embedded_ledger_excludes_shared_holders(pg_database: Database) -> None:
    embedded = await lock_ledger(pg_database, shared=False, on_lost=_never_lost)
    try:
        with pytest.raises(LedgerLockHeld) as refused:
            await lock_ledger(pg_database, shared=True, on_lost=_never_lost)
    finally:
        await embedded.release()

    message = str(refused.value)
    assert "is in use by a process with the embedded ledger (ilpnode embedded ledger" in message
    assert "stop that process first" in message


@pytest.mark.postgres
async def test_a_broken_session_takes_the_lock_again(pg_database: Database) -> None:
    lock = await lock_ledger(pg_database, shared=False, on_lost=_never_lost)
    try:
        [(_name, _mode, session)] = await _holders(pg_database)
        await _terminate_holders(pg_database)
        for _ in range(100):  # the check runs every LOCK_CHECK_SECONDS
            await asyncio.sleep(0.05)
            holders = await _holders(pg_database)
            if holders:
                break
    finally:
        await lock.release()

    [(name, mode, new_session)] = holders
    assert new_session != session  # a new connection took it
    assert mode == "ExclusiveLock"
    assert name.startswith(f"ilpnode embedded ledger, pid {os.getpid()}")


@pytest.mark.postgres
async def test_a_lock_taken_by_another_process_meanwhile_is_reported_lost(
    pg_database: Database,
) -> None:
    lost: list[str] = []
    lock = await lock_ledger(pg_database, shared=False, on_lost=lost.append)
    thief = await pg_database.engine.connect()
    try:
        # Waits for the lock, so it gets it the moment the holder's session ends.
        waiting = asyncio.create_task(
            thief.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LEDGER_LOCK_ID})
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await _terminate_holders(pg_database)
        await waiting
        for _ in range(100):
            await asyncio.sleep(0.05)
            if lost:
                break
    finally:
        await lock.release()
        await thief.close()

    assert len(lost) == 1
    assert "was lost to another process: this process stops serving" in lost[0]
