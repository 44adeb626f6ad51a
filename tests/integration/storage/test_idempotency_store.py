"""`SqlIdempotencyStore`: every state of a key, dead records, and atomic claims across
connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert

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
from ilpnode.storage.idempotency_store import SqlIdempotencyStore
from ilpnode.storage.schema.admin import idempotency_keys
from tests.integration.storage.builders import T0

TICK = LOCK_DURATION / 1000
# Long enough for a blocked claim to show it is blocked, short against the busy timeout.
BLOCKED_SECONDS = 0.3
RACES = 20


async def test_claim_then_complete_then_replay(database: Database) -> None:
    store = SqlIdempotencyStore(database)
    assert await store.claim("k", "createAsset", '{"a":1}', now=T0) == Claimed()
    assert await store.claim("k", "createAsset", '{"a":1}', now=T0) == Busy()
    assert await store.claim("k", "createPeer", '{"b":2}', now=T0) == Busy()
    await store.complete("k", '{"ok":true}')

    later = T0 + TIME_TO_LIVE - TICK
    assert await store.claim("k", "createAsset", '{"a":1}', now=later) == Replay('{"ok":true}')
    assert await store.claim("k", "createAsset", '{"a":2}', now=later) == Mismatch()
    assert await store.claim("k", "createPeer", '{"a":1}', now=later) == Mismatch()
    assert await store.claim("other", "createAsset", '{"a":1}', now=later) == Claimed()


async def test_release_frees_the_key(database: Database) -> None:
    store = SqlIdempotencyStore(database)
    assert await store.claim("k", "op", "{}", now=T0) == Claimed()
    await store.release("k")
    assert await store.claim("k", "op", '{"x":1}', now=T0) == Claimed()
    await store.release("never-claimed")


async def test_a_stored_result_is_never_released_or_overwritten(database: Database) -> None:
    store = SqlIdempotencyStore(database)
    assert await store.claim("k", "op", "{}", now=T0) == Claimed()
    await store.complete("k", "1")
    await store.release("k")
    await store.complete("k", "2")
    assert await store.claim("k", "op", "{}", now=T0) == Replay("1")


async def test_a_record_whose_lock_passed_without_a_result_is_dead(database: Database) -> None:
    store = SqlIdempotencyStore(database)
    assert await store.claim("k", "op", '{"a":1}', now=T0) == Claimed()
    assert await store.claim("k", "op", '{"a":1}', now=T0 + LOCK_DURATION - TICK) == Busy()
    # The first claimant died; a new request (even with other arguments) takes the key over.
    assert await store.claim("k", "op2", '{"a":2}', now=T0 + LOCK_DURATION) == Claimed()
    assert await store.claim("k", "op2", '{"a":2}', now=T0 + LOCK_DURATION) == Busy()
    await store.complete("k", "done")
    now = T0 + LOCK_DURATION
    assert await store.claim("k", "op2", '{"a":2}', now=now) == Replay("done")
    assert await store.claim("k", "op", '{"a":1}', now=now) == Mismatch()


async def test_a_record_past_its_time_to_live_is_dead(database: Database) -> None:
    store = SqlIdempotencyStore(database)
    assert await store.claim("k", "op", "{}", now=T0) == Claimed()
    await store.complete("k", "old")
    assert await store.claim("k", "other", "{}", now=T0 + TIME_TO_LIVE) == Claimed()
    await store.complete("k", "new")
    assert await store.claim("k", "other", "{}", now=T0 + TIME_TO_LIVE) == Replay("new")


async def test_concurrent_claims_on_separate_connections_give_one_claimed(
    database: Database, database_url: str
) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        stores = SqlIdempotencyStore(first), SqlIdempotencyStore(second)
        for race in range(RACES):
            key = f"race-{race}"
            claims: list[Claim] = list(
                await asyncio.gather(*(s.claim(key, "op", "{}", now=T0) for s in stores))
            )
            assert sorted(type(c).__name__ for c in claims) == ["Busy", "Claimed"], claims
    finally:
        await first.close()
        await second.close()


async def test_a_claim_waits_for_an_uncommitted_record_then_sees_it(database: Database) -> None:
    """The interleaving a race may produce: the record is written but not yet committed while
    another claim arrives. The claim must wait (PostgreSQL: for the unique index entry; SQLite:
    for the write lock), then answer Busy, never Claimed."""
    store = SqlIdempotencyStore(database)
    record = {
        "key": "k",
        "operation": "op",
        "arguments": "{}",
        "result": None,
        "locked_until": T0 + LOCK_DURATION,
        "expires_at": T0 + TIME_TO_LIVE,
    }
    async with database.engine.connect() as connection, connection.begin():
        if database.is_sqlite:
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        await connection.execute(insert(idempotency_keys).values(record))
        claim = asyncio.create_task(store.claim("k", "op", "{}", now=T0))
        await asyncio.sleep(BLOCKED_SECONDS)
        assert not claim.done()
    assert await claim == Busy()
