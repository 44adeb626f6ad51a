"""Every `ReplayGuard`: first use wins, a second is a replay, an expired key may be used again,
and of 20 concurrent first uses from several clients (as from several processes) exactly one wins;
in memory, in SQLite, in PostgreSQL and in Redis. A store that is down is `ReplayGuardUnavailable`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, insert, select

from ilpnode.services.replay_guard import MemoryReplayGuard, ReplayGuard, ReplayGuardUnavailable
from ilpnode.storage.database import Database
from ilpnode.storage.migrate import migrate
from ilpnode.storage.redis_replay_guard import RedisReplayGuard
from ilpnode.storage.replay_guard import PRUNE_BATCH, PRUNE_EVERY, SqlReplayGuard
from ilpnode.storage.schema.admin import admin_signature_replays
from tests.support import TEST_REDIS_URL, skip_without_redis

RACES = 20
CLIENTS = 4  # the racers are spread over this many guards, each with its own connections
NOW = 1_800_000_000_000


@dataclass
class Store:
    """One empty store of a kind; `client()` is a new client of it (as another process would
    have; the memory guard has only the one)."""

    kind: str
    client: Callable[[], Awaitable[ReplayGuard]]


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def store_kind(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, database URL or ""). Sync, so the session database is made outside a loop."""
    kind: str = request.param
    if kind == "postgresql":
        return kind, str(request.getfixturevalue("storage_pg_url"))
    return kind, f"sqlite:///{tmp_path / 'guard.sqlite3'}" if kind == "sqlite" else ""


@pytest.fixture
async def store(store_kind: tuple[str, str]) -> AsyncIterator[Store]:
    closers: list[Callable[[], Awaitable[None]]] = []
    kind, url = store_kind
    if kind == "memory":
        memory = MemoryReplayGuard()

        async def same() -> ReplayGuard:
            return memory

        yield Store(kind, same)
        return
    if kind == "redis":
        skip_without_redis()
        prefix = f"ilpnode-test:{secrets.token_hex(8)}:"  # this test's keys only

        async def redis_client() -> ReplayGuard:
            guard = RedisReplayGuard(TEST_REDIS_URL, prefix=prefix)
            closers.append(guard.close)
            return guard

        client = redis_client
    else:
        first = Database(url)
        closers.append(first.close)
        if first.is_sqlite:
            await migrate(first)
        else:
            async with first.engine.begin() as connection:
                await connection.execute(admin_signature_replays.delete())

        async def sql_client() -> ReplayGuard:
            database = Database(url)
            closers.append(database.close)
            return SqlReplayGuard(database)

        client = sql_client
    try:
        yield Store(kind, client)
    finally:
        for close in closers:
            await close()


async def test_first_use_wins_and_a_second_is_a_replay(store: Store) -> None:
    guard, other = await store.client(), await store.client()
    expires = NOW + 30_000

    assert await guard.first_use("a" * 64, expires_at_ms=expires, now_ms=NOW)
    assert not await guard.first_use("a" * 64, expires_at_ms=expires, now_ms=NOW + 1)
    assert not await other.first_use("a" * 64, expires_at_ms=expires, now_ms=NOW + 2)
    assert await other.first_use("b" * 64, expires_at_ms=expires, now_ms=NOW + 2)


async def test_concurrent_first_uses_exactly_one_wins(store: Store) -> None:
    guards = [await store.client() for _ in range(CLIENTS)]
    key = secrets.token_hex(32)

    results = await asyncio.gather(
        *(
            guards[i % CLIENTS].first_use(key, expires_at_ms=NOW + 30_000, now_ms=NOW)
            for i in range(RACES)
        )
    )

    assert results.count(True) == 1
    assert results.count(False) == RACES - 1


async def test_concurrent_first_uses_of_distinct_keys_all_win(store: Store) -> None:
    guards = [await store.client() for _ in range(CLIENTS)]

    results = await asyncio.gather(
        *(
            guards[i % CLIENTS].first_use(f"{i:064x}", expires_at_ms=NOW + 30_000, now_ms=NOW)
            for i in range(RACES)
        )
    )

    assert results == [True] * RACES


async def test_an_expired_key_may_be_used_again_once(store: Store) -> None:
    """An entry counts until its expiry inclusive; after that the key is new, and its renewed
    entry holds again. Redis keeps the time itself, so there the test waits out a short TTL."""
    guard, other = await store.client(), await store.client()
    if store.kind == "redis":
        now = int(time.time() * 1000)
        assert await guard.first_use("k", expires_at_ms=now + 50, now_ms=now)
        assert not await other.first_use("k", expires_at_ms=now + 50, now_ms=now)
        await asyncio.sleep(0.3)  # past the key's TTL (51 ms) with room to spare
        now = int(time.time() * 1000)
    else:
        now = NOW + 101
        assert await guard.first_use("k", expires_at_ms=NOW + 100, now_ms=NOW)
        assert not await other.first_use("k", expires_at_ms=NOW + 500, now_ms=NOW + 100)

    assert await other.first_use("k", expires_at_ms=now + 30_000, now_ms=now)
    assert not await guard.first_use("k", expires_at_ms=now + 30_000, now_ms=now + 1)


# --- the database guard's pruning ---------------------------------------------------------------


async def _rows(database: Database, *, expired_before: int | None = None) -> int:
    query = select(func.count()).select_from(admin_signature_replays)
    if expired_before is not None:
        query = query.where(admin_signature_replays.c.expires_at_ms < expired_before)
    async with database.engine.connect() as connection:
        count: int = (await connection.execute(query)).scalar_one()
    return count


async def test_expired_rows_are_pruned_a_bounded_batch_at_a_time(database: Database) -> None:
    expired = 2 * PRUNE_BATCH + 10
    async with database.engine.begin() as connection:
        await connection.execute(
            insert(admin_signature_replays),
            [{"digest": f"{i:064x}", "expires_at_ms": NOW - 1 - i} for i in range(expired)],
        )
    guard = SqlReplayGuard(database)

    assert await guard.first_use("new" + "0" * 61, expires_at_ms=NOW + 30_000, now_ms=NOW)
    assert await _rows(database, expired_before=NOW) == expired - PRUNE_BATCH
    for i in range(1, PRUNE_EVERY):  # the calls in between prune nothing
        assert await guard.first_use(f"{i:063x}n", expires_at_ms=NOW + 30_000, now_ms=NOW)
    assert await _rows(database, expired_before=NOW) == expired - PRUNE_BATCH
    assert await guard.first_use("last" + "0" * 60, expires_at_ms=NOW + 30_000, now_ms=NOW)
    assert await _rows(database, expired_before=NOW) == expired - 2 * PRUNE_BATCH
    assert await _rows(database) == expired - 2 * PRUNE_BATCH + PRUNE_EVERY + 1


# --- stores that are down -----------------------------------------------------------------------


async def test_an_unreachable_postgresql_is_unavailable() -> None:
    database = Database("postgresql://postgres@127.0.0.1:1/nothing")
    try:
        with pytest.raises(ReplayGuardUnavailable, match="the database is unreachable"):
            await SqlReplayGuard(database).first_use("k", expires_at_ms=NOW, now_ms=NOW)
    finally:
        await database.close()


async def test_a_sqlite_database_without_the_table_is_unavailable(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'not-migrated.sqlite3'}")
    try:
        with pytest.raises(ReplayGuardUnavailable, match="the database is unreachable"):
            await SqlReplayGuard(database).first_use("k", expires_at_ms=NOW, now_ms=NOW)
    finally:
        await database.close()


async def test_an_unreachable_redis_is_unavailable() -> None:
    guard = RedisReplayGuard("redis://:hunter2-password@127.0.0.1:1/0")
    try:
        with pytest.raises(ReplayGuardUnavailable, match="Redis is unreachable") as refused:
            await guard.first_use("k", expires_at_ms=NOW, now_ms=NOW)
        with pytest.raises(ReplayGuardUnavailable, match="Redis is unreachable"):
            await guard.check()
    finally:
        await guard.close()
    assert "hunter2" not in str(refused.value)
    assert guard.where == "redis://:***@127.0.0.1:1/0"


@pytest.mark.redis
async def test_redis_keys_carry_their_expiry() -> None:
    """Redis forgets a signature by itself: each key's TTL ends just after its expiry."""
    skip_without_redis()
    prefix = f"ilpnode-test:{secrets.token_hex(8)}:"
    guard = RedisReplayGuard(TEST_REDIS_URL, prefix=prefix)
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        assert await guard.first_use("k", expires_at_ms=NOW + 30_000, now_ms=NOW)
        ttl_ms = await client.pttl(prefix + "k")
    finally:
        await guard.close()
        await client.aclose()
    assert 29_000 < ttl_ms <= 30_001
