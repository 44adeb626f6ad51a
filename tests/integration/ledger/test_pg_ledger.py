"""The shared PostgreSQL ledger's own promises: several processes, one database, no overspend.

Races are forced where they can be: a raw transaction holds the locks (or an uncommitted row)
that a ledger call then has to wait for, so the interleaving the test is about really happens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ilpnode.clock import Clock, SystemClock
from ilpnode.ledger import (
    REPORT_ALWAYS,
    Account,
    AccountId,
    CreateTransferResult,
    CreateTransferStatus,
    TransferId,
)
from ilpnode.storage.database import Database, asyncpg_dsn
from ilpnode.storage.ledger.embedded import EmbeddedLedger
from ilpnode.storage.ledger.shared import SWEEP_BATCH_MAX, PostgresLedger
from ilpnode.storage.ledger.shared_apply import apply_calls
from ilpnode.storage.ledger.shared_sql import _PG_LOCK_AND_READ, _PG_READ_SLICE
from tests.integration.ledger import (
    LEDGER,
    OTHER,
    PEER,
    SETTLEMENT,
    available,
    deposit,
    one,
    open_chart,
    stored_ledger_problems,
)
from tests.support import ManualClock
from tests.unit.ledger.builders import pending, post, transfer, void

pytestmark = pytest.mark.postgres

S = CreateTransferStatus
PROJECT_ROOT = Path(__file__).resolve().parents[3]
WORKER_START_TIMEOUT_SECONDS = 60
A4, A5 = AccountId(4), AccountId(5)

OpenLedger = Callable[..., Awaitable[PostgresLedger]]


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[Database]:
    """A separate engine on the test database, for direct SQL."""
    db = Database(pg_url)
    yield db
    await db.close()


@pytest.fixture
async def open_ledger(pg_url: str) -> AsyncIterator[OpenLedger]:
    """Opens ledgers on the test database, each on its own engine (its own connections)."""
    opened: list[tuple[Database, PostgresLedger]] = []

    async def open_one(
        clock: Clock, *, sweep_interval_seconds: float | None = None
    ) -> PostgresLedger:
        db = Database(pg_url)
        try:
            ledger = await PostgresLedger.open(
                db, clock=clock, sweep_interval_seconds=sweep_interval_seconds
            )
        except BaseException:
            await db.close()
            raise
        opened.append((db, ledger))
        return ledger

    yield open_one
    for db, ledger in reversed(opened):
        await ledger.close()
        await db.close()


async def scalar(database: Database, sql: str, **params: Any) -> Any:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(sql), params)).scalar_one()


def writer_statements(ledger: PostgresLedger, *, args: list[Any] | None = None) -> list[str]:
    """What the ledger's writer connection (the one all its writes use) sends from now on: each
    statement's SQL, whitespace collapsed (and, into `args`, its arguments)."""
    connection = ledger._writer._connection
    assert connection is not None
    statements: list[str] = []

    def log(entry: Any) -> None:
        statements.append(" ".join(entry.query.split()))
        if args is not None:
            args.append(entry.args)

    connection.add_query_logger(log)
    return statements


async def test_two_processes_spend_one_credit_line_exactly(
    pg_url: str, open_ledger: OpenLedger, database: Database
) -> None:
    ledger = await open_ledger(SystemClock())
    await open_chart(ledger, credit_line=100)
    per_worker = 150
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            # By path, not `-m`: `-m` imports this package (and `ilpnode.ledger` with it) before
            # the worker's `compiled.activate()`, which then refuses a stale build.
            str(PROJECT_ROOT / "tests" / "integration" / "ledger" / "pg_worker.py"),
            pg_url,
            str(id_base),
            str(per_worker),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        for id_base in (10_000, 20_000)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            ready = await asyncio.wait_for(worker.stdout.readline(), WORKER_START_TIMEOUT_SECONDS)
            if ready != b"ready\n":
                assert worker.stderr is not None
                failure = (await worker.stderr.read())[-2000:].decode(errors="replace")
                pytest.fail(f"a worker did not start: {ready!r}; its stderr: {failure}")
        runs = [asyncio.create_task(worker.communicate(b"go\n")) for worker in workers]
        lowest = available(await one(ledger, PEER))
        while not all(run.done() for run in runs):
            lowest = min(lowest, available(await one(ledger, PEER)))
            await asyncio.sleep(0.002)
        outputs = [await run for run in runs]
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()

    counts = []
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr.decode()
        counts.append(json.loads(stdout.decode().splitlines()[-1]))
    assert sum(c.get("CREATED", 0) for c in counts) == 100
    assert sum(c.get("EXCEEDS_CREDITS", 0) for c in counts) == 2 * per_worker - 100
    assert lowest >= 0
    peer = await one(ledger, PEER)
    assert (available(peer), peer.debits_posted + peer.debits_pending) == (0, 100)
    assert await stored_ledger_problems(database) == []


async def test_post_and_void_from_two_connections_one_wins(
    open_ledger: OpenLedger, database: Database
) -> None:
    clock = ManualClock()
    first, second = await open_ledger(clock), await open_ledger(clock)
    await open_chart(first, credit_line=1_000)
    pendings = range(100, 120)
    created = await first.create_transfers([pending(p, PEER, OTHER, 10) for p in pendings])
    assert all(r.ok for r in created)

    races = []
    for p in pendings:  # alternate which connection posts and which voids
        poster, voider = (first, second) if p % 2 else (second, first)
        races += [poster.create_transfers([post(p + 1_000, p)])]
        races += [voider.create_transfers([void(p + 2_000, p)])]
    results = await asyncio.gather(*races)

    posted = 0
    for index in range(0, len(results), 2):
        [post_result], [void_result] = results[index], results[index + 1]
        outcome = (post_result.status, void_result.status)
        assert outcome in (
            (S.CREATED, S.PENDING_TRANSFER_ALREADY_POSTED),
            (S.PENDING_TRANSFER_ALREADY_VOIDED, S.CREATED),
        )
        posted += post_result.status is S.CREATED
    peer = await one(first, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (0, 10 * posted)
    assert await stored_ledger_problems(database) == []


async def test_a_post_waits_for_a_concurrent_expiry_and_sees_it(
    open_ledger: OpenLedger, database: Database
) -> None:
    """The pending transfer's state is read after the account locks, never before."""
    clock = ManualClock()
    ledger = await open_ledger(clock)
    await open_chart(ledger, credit_line=100)
    [created] = await ledger.create_transfers([pending(10, PEER, OTHER, 30, timeout=1)])
    assert created.timestamp is not None

    # Another process, whose clock is 1 s ahead of ours, is sweeping pending 10 right now.
    [result] = await post_while_expired_meanwhile(ledger, database, created.timestamp)
    assert result.status is S.PENDING_TRANSFER_EXPIRED
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (0, 0)
    assert await stored_ledger_problems(database) == []


async def test_an_expiry_meanwhile_is_seen_even_when_other_reservations_cover_it(
    open_ledger: OpenLedger, database: Database
) -> None:
    """The batch's read predates its locks; its write finds the expiry it missed."""
    clock = ManualClock()
    ledger = await open_ledger(clock)
    await open_chart(ledger, credit_line=100)
    [created, _] = await ledger.create_transfers(
        [pending(10, PEER, OTHER, 30, timeout=1), pending(20, PEER, OTHER, 30, timeout=60)]
    )
    assert created.timestamp is not None
    # Another process, whose clock is 1 s ahead of ours, is sweeping pending 10 right now.
    [result] = await post_while_expired_meanwhile(ledger, database, created.timestamp)
    assert result.status is S.PENDING_TRANSFER_EXPIRED
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (30, 0)  # pending 20 only
    assert await stored_ledger_problems(database) == []


async def test_an_id_taken_meanwhile_is_retried_into_exists(
    open_ledger: OpenLedger, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Disjoint accounts do not serialise: the unique key catches the race, the retry answers."""
    caplog.set_level(logging.DEBUG, logger="ilpnode.storage.ledger.shared_writer")
    ledger = await open_ledger(ManualClock())
    await open_chart(ledger, credit_line=100)
    extra = [Account(id=A4, ledger=LEDGER, code=3), Account(id=A5, ledger=LEDGER, code=3)]
    assert all(r.ok for r in await ledger.create_accounts(extra))

    async with database.engine.connect() as other_process:
        for sql in (
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, "
            "user_data_128, user_data_64, user_data_32, timeout, ledger, code, flags, "
            "timestamp, seq) VALUES (50, 4, 5, 9, 0, 0, 0, 0, 1, 1, 0, 1, "
            "nextval('ledger_journal_seq'))",
            "UPDATE ledger_accounts SET debits_posted = 9 WHERE id = 4",
            "UPDATE ledger_accounts SET credits_posted = 9 WHERE id = 5",
        ):
            await other_process.execute(text(sql))
        racing = asyncio.create_task(ledger.create_transfers([transfer(50, PEER, OTHER, 9)]))
        await asyncio.sleep(0.2)
        assert not racing.done(), "the insert must wait for the uncommitted row with its id"
        await other_process.commit()
    [result] = await racing
    assert result.status is S.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    assert "lost a race (23505)" in caplog.text
    assert (await one(ledger, PEER)).debits_posted == 0
    assert await stored_ledger_problems(database) == []


async def test_check_constraints_refuse_an_overspend_written_directly(
    open_ledger: OpenLedger, database: Database
) -> None:
    ledger = await open_ledger(ManualClock())
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 40)])
    overspends = {
        "debits_must_not": "UPDATE ledger_accounts "
        "SET debits_posted = credits_posted - debits_pending + 1 WHERE id = 2",
        "credits_must_not": "UPDATE ledger_accounts "
        "SET credits_posted = debits_posted + 1 WHERE id = 1",
        "balances_not_negative": "UPDATE ledger_accounts SET debits_pending = -1 WHERE id = 3",
    }
    for constraint, sql in overspends.items():
        async with database.engine.begin() as connection:
            with pytest.raises(IntegrityError) as refused:
                await connection.execute(text(sql))
            await connection.rollback()
        assert getattr(refused.value.orig, "sqlstate", None) == "23514"  # check_violation
        assert constraint in str(refused.value)
    # Exactly at the limit is allowed: the constraint is the same boundary as the engine's.
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE ledger_accounts SET debits_posted = 60 WHERE id = 2"))
        await connection.rollback()
    peer = await one(ledger, PEER)
    assert (peer.debits_posted, peer.debits_pending, available(peer)) == (0, 40, 60)


async def test_two_sweepers_expire_each_transfer_once(
    open_ledger: OpenLedger, database: Database
) -> None:
    clock = ManualClock()
    first, second = await open_ledger(clock), await open_ledger(clock)
    await open_chart(first, credit_line=10_000)
    count = 2 * SWEEP_BATCH_MAX + 50  # several chunks each
    results = await first.create_transfers(
        [pending(100 + i, PEER, OTHER, 3, timeout=1) for i in range(count)]
    )
    assert all(r.ok for r in results)
    assert await first.expire_due() == 0  # nothing due yet
    clock.advance(2)

    expired = await asyncio.gather(first.expire_due(), second.expire_due())
    assert sum(expired) == count
    assert await scalar(database, "SELECT count(*) FROM ledger_expiries") == count
    assert await scalar(database, "SELECT count(*) FROM ledger_pending_deadlines") == 0
    peer, other = await first.lookup_accounts([PEER, OTHER])
    assert (peer.debits_pending, other.credits_pending, available(peer)) == (0, 0, 10_000)
    late = await second.create_transfers([post(99_999, 100)])
    assert late[0].status is S.PENDING_TRANSFER_EXPIRED
    assert await stored_ledger_problems(database) == []


async def test_the_background_sweeper_releases_due_reservations(open_ledger: OpenLedger) -> None:
    clock = ManualClock()
    ledger = await open_ledger(clock, sweep_interval_seconds=0.05)
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 60, timeout=1)])
    clock.advance(2)
    deadline = time.monotonic() + 5
    while (await one(ledger, PEER)).debits_pending and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert available(await one(ledger, PEER)) == 100


async def test_a_batch_is_two_round_trips(pg_url: str) -> None:
    database = Database(pg_url)
    ledger = await PostgresLedger.open(database, clock=ManualClock(), sweep_interval_seconds=None)
    try:
        await open_chart(ledger)  # connects the writer
        statements = writer_statements(ledger)
        await ledger.create_transfers([deposit(1, 100), pending(2, PEER, OTHER, 5), post(3, 2)])
        # Two round trips: the read (no locks); the write with COMMIT and the next BEGIN.
        assert len(statements) == 2, statements
        assert statements[0].startswith("WITH named AS MATERIALIZED ( SELECT")
        assert "FOR UPDATE" not in statements[0]
        # The write locks its accounts first; as it resolves pending 2, it then checks for an
        # expiry the read may have missed.
        assert statements[1].startswith("EXECUTE ilpnode_lock_written('{")
        assert (
            "; EXECUTE ilpnode_check_unexpired('{2}'); EXECUTE ilpnode_write_transfers("
            in (statements[1])
        )
        assert statements[1].endswith("; COMMIT; BEGIN ISOLATION LEVEL READ COMMITTED")
        assert "synchronous_commit" not in statements[1]  # a post: flushed before it returns
        statements.clear()
        await ledger.create_transfers([pending(4, PEER, OTHER, 5)], durable=False)
        assert "ilpnode_check_unexpired" not in statements[1]  # it resolves nothing
        assert statements[1].endswith(
            "; SET LOCAL synchronous_commit TO OFF; COMMIT; BEGIN ISOLATION LEVEL READ COMMITTED"
        )
        # A batch the engine refuses anything of, on a read without locks that may be stale,
        # is decided again on a read under locks: three round trips.
        statements.clear()
        [refused, spent] = await ledger.create_transfers(
            [transfer(5, PEER, OTHER, 91), transfer(6, PEER, OTHER, 90)]
        )
        assert (refused.status, spent.status) == (S.EXCEEDS_CREDITS, S.CREATED)
        assert len(statements) == 3, statements
        assert "FOR UPDATE" not in statements[0]
        assert statements[1].startswith("WITH named AS MATERIALIZED ( SELECT")
        assert "FOR UPDATE" in statements[1]
        assert "ilpnode_lock_written" not in statements[2]  # it holds the locks already
        assert "EXECUTE ilpnode_write_transfers(" in statements[2]
    finally:
        await ledger.close()
        await database.close()


async def test_a_write_decided_without_locks_that_another_process_outspent_is_decided_again(
    open_ledger: OpenLedger, database: Database
) -> None:
    """Between a batch's read (no locks) and its write, another process spends the credit: the
    CHECK constraint refuses the write, and the batch is decided again under locks."""
    first, second = await open_ledger(ManualClock()), await open_ledger(ManualClock())
    await open_chart(first, credit_line=100)
    attempts: list[bool] = []
    spent: list[bool] = []

    async def apply_while_the_other_spends(
        connection: asyncpg.Connection, calls: Any, **options: Any
    ) -> Any:
        decided = await apply_calls(connection, calls, **options)
        attempts.append(decided.optimistic)
        if decided.optimistic and not spent:
            spent.append(True)
            [other] = await second.create_transfers([transfer(90, PEER, OTHER, 80)])
            assert other.status is S.CREATED
        return decided

    first._writer._apply = apply_while_the_other_spends
    [result] = await first.create_transfers([transfer(50, PEER, OTHER, 30)])
    assert result.status is S.EXCEEDS_CREDITS  # 30 more than the 20 left
    assert attempts == [True, False]
    peer = await one(first, PEER)
    assert (peer.debits_posted, available(peer)) == (80, 20)
    # When it fits, the optimistic write goes through whatever committed since its read: the
    # balances move by what the batch moved, not to what its read plus the batch made them.
    attempts.clear()
    [result] = await first.create_transfers([transfer(51, PEER, OTHER, 15)])
    assert result.status is S.CREATED
    assert attempts == [True]
    assert (await one(first, PEER)).debits_posted == 95
    assert await stored_ledger_problems(database) == []


async def test_a_post_of_its_own_reservation_is_one_round_trip_and_a_race_there_is_read_again(
    open_ledger: OpenLedger, database: Database
) -> None:
    """The post or void of a pending transfer this process created is decided on what its own
    commit left, without a read; what another process did meanwhile (a void, an expiry) the
    database refuses, and the batch is decided again on a read."""
    ours_clock, their_clock = ManualClock(), ManualClock()
    ours, theirs = await open_ledger(ours_clock), await open_ledger(their_clock)
    await open_chart(ours, credit_line=100)
    reserved = await ours.create_transfers(
        [pending(p, PEER, OTHER, 20, timeout=60 if p < 30 else 1) for p in (10, 20, 30)]
    )
    assert all(result.ok for result in reserved)
    read_args: list[Any] = []
    statements = writer_statements(ours, args=read_args)

    [posted] = await ours.create_transfers([post(11, 10)])
    assert posted.status is S.CREATED
    assert len(statements) == 1, statements  # the write, with COMMIT: no read
    assert statements[0].startswith("EXECUTE ilpnode_lock_written(")

    [voided] = await theirs.create_transfers([void(21, 20)])  # another process, meanwhile
    assert voided.status is S.CREATED
    statements.clear()
    [late] = await ours.create_transfers([post(22, 20)])
    assert late.status is S.PENDING_TRANSFER_ALREADY_VOIDED
    assert [statement.split()[0] for statement in statements] == [
        "EXECUTE",  # refused by the unique index on pending_id
        "ROLLBACK;",
        "WITH",  # read again
        "WITH",  # the engine refuses on it: decided under locks
        "COMMIT;",  # nothing to write
    ], statements

    # A batch that also holds something else reads that, and not what it remembers.
    [reserved_again] = await ours.create_transfers([pending(40, PEER, OTHER, 20, timeout=60)])
    assert reserved_again.status is S.CREATED
    statements.clear()
    read_args.clear()
    results = await asyncio.gather(
        ours.create_transfers([pending(50, PEER, OTHER, 20)]),
        ours.create_transfers([post(41, 40)]),
    )
    assert [result.status for [result] in results] == [S.CREATED, S.CREATED]
    [read, write] = statements  # one transaction for both calls
    assert read.startswith("WITH named")
    assert "ilpnode_write_transfers" in write
    assert "40" not in str(read_args[0]), read_args
    assert "41" not in str(read_args[0]), read_args

    their_clock.advance(2)  # their sweeper expires pending 30; our clock says it is not due
    assert await theirs.expire_due() == 1
    [expired] = await ours.create_transfers([post(31, 30)])
    assert expired.status is S.PENDING_TRANSFER_EXPIRED  # IL001 after the write's locks, then read
    peer = await one(ours, PEER)
    assert (peer.debits_pending, peer.debits_posted, available(peer)) == (20, 40, 40)
    assert await stored_ledger_problems(database) == []


async def test_balance_reports_after_a_write_without_locks_are_the_committed_balances(
    open_ledger: OpenLedger,
) -> None:
    """A write decided without locks knows the balances its read would give, not the committed
    ones: they are read again, by the next batch's read when one is queued (no round trip of
    their own), else as soon as the writer is idle."""
    first, second = await open_ledger(ManualClock()), await open_ledger(ManualClock())
    await open_chart(first, credit_line=100)
    reports: list[list[tuple[int, int]]] = []
    first.watch_balances(
        {PEER: REPORT_ALWAYS},
        lambda accounts: reports.append([(a.id, a.credits_posted) for a in accounts]),
    )
    queued: list[asyncio.Task[list[CreateTransferResult]]] = []

    async def apply_while_the_other_deposits(
        connection: asyncpg.Connection, calls: Any, **options: Any
    ) -> Any:
        decided = await apply_calls(connection, calls, **options)
        if not queued and decided.optimistic:
            await second.create_transfers([deposit(91, 7)])  # after the read, before the write
            queued.append(asyncio.create_task(first.create_transfers([deposit(93, 1)])))
            await asyncio.sleep(0.05)  # queued behind this batch
        return decided

    first._writer._apply = apply_while_the_other_deposits
    statements = writer_statements(first)
    [result] = await first.create_transfers([deposit(92, 5)])
    assert result.status is S.CREATED
    [[queued_result]] = [await task for task in queued]
    assert queued_result.status is S.CREATED
    deadline = time.monotonic() + 5  # the last one is reported after the caller is answered
    while len(reports) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    # The engine saw 100 + 5; committed were 100 + 7 + 5, then 1 more.
    assert reports == [[(PEER, 112)], [(PEER, 113)]]
    kinds = [statement.split()[0] for statement in statements]
    # read, write; the queued batch's read (which observed PEER), write; the idle read.
    assert kinds == ["WITH", "EXECUTE", "WITH", "EXECUTE", "SELECT"], statements


async def test_balance_reports_leave_out_balances_within_their_quiet_band(
    open_ledger: OpenLedger,
) -> None:
    """Judged on the committed balance, whether the write took locks or not: a balance still
    within its band is not reported (104), one past it is (105)."""
    ledger = await open_ledger(ManualClock())
    await open_chart(ledger, credit_line=100)
    reports: list[list[tuple[int, int]]] = []
    ledger.watch_balances(
        {PEER: (0, 104)},
        lambda accounts: reports.append([(a.id, available(a)) for a in accounts]),
    )

    for id_, amount in ((92, 4), (93, 1)):
        [result] = await ledger.create_transfers([deposit(id_, amount)])
        assert result.status is S.CREATED
    deadline = time.monotonic() + 5  # a write without locks is reported after a read
    while not reports and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # nothing else comes

    assert reports == [[(PEER, 105)]]


BULK = 10_000_000  # ids of the rows the next test adds (beyond any the tests use)


async def test_the_writer_plans_each_statement_once_and_never_scans_a_table(pg_url: str) -> None:
    """Generic plans, made once per connection, must find rows by key however the tables grow:
    a plan made while a table was small must not scan it whole once it is large."""
    database = Database(pg_url)
    ledger = await PostgresLedger.open(database, clock=ManualClock(), sweep_interval_seconds=None)
    try:
        await open_chart(ledger, credit_line=10**9)
        for first in range(100, 110, 2):
            await ledger.create_transfers([pending(first, PEER, OTHER, 1)])
            await ledger.create_transfers([post(first + 1, first)])
        writer_connection = ledger._writer._connection
        assert writer_connection is not None
        settings = await writer_connection.fetchrow(
            "SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')"
        )
        assert settings is not None
        assert tuple(settings) == ("force_generic_plan", "off")
        for name in ("ilpnode_write_transfers", "ilpnode_check_unexpired"):
            prepared = await writer_connection.fetchval(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = $1", name
            )
            assert prepared == 1, name
        # The reads' plans (without locks, and under locks), made and cached while the tables
        # are small...
        reads = [
            await writer_connection.prepare(q.sql) for q in (_PG_READ_SLICE, _PG_LOCK_AND_READ)
        ]
        args = _PG_LOCK_AND_READ.args({"account_ids": [PEER], "pending_ids": [100], "ids": [101]})
        for read in reads:
            await read.fetch(*args)
        async with database.engine.begin() as connection:  # ...then ledger_transfers grows
            await connection.execute(
                text(
                    "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id,"
                    " amount, pending_id, user_data_128, user_data_64, user_data_32, timeout,"
                    ' ledger, code, flags, "timestamp", seq)'
                    f" SELECT g, {PEER}, {OTHER}, 1, NULL, 0, 0, 0, 0, 1, 1, 0, g, -g"
                    f" FROM generate_series({BULK}, {BULK + 100_000}) AS g"
                )
            )
        for read in reads:
            plan = "\n".join(
                row[0]
                for row in await writer_connection.fetch(
                    f"EXPLAIN EXECUTE {read.get_name()}('{{{PEER}}}', '{{100}}', '{{101}}')"
                )
            )
            assert "Seq Scan on ledger_transfers" not in plan, plan
            assert "Index" in plan, plan
        [held] = await ledger.create_transfers([pending(200, PEER, OTHER, 1)])
        [done] = await ledger.create_transfers([post(201, 200)])
        assert held.status is done.status is S.CREATED
        async with database.engine.begin() as connection:  # the bulk rows moved no balance
            await connection.execute(text(f"DELETE FROM ledger_transfers WHERE id >= {BULK}"))
        assert await stored_ledger_problems(database) == []
    finally:
        await ledger.close()
        await database.close()


async def test_a_durable_call_returns_once_its_commit_is_flushed(pg_url: str) -> None:
    """Right after a durable call returns, the WAL is flushed as far as it is written (nothing
    else writes meanwhile here, but for PostgreSQL's own background records, now and then);
    a reservation (`durable=False`) is answered before its flush, by the walwriter up to
    ~0.2 s later."""
    database = Database(pg_url)
    ledger = await PostgresLedger.open(database, clock=ManualClock(), sweep_interval_seconds=None)
    observer = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        await open_chart(ledger, credit_line=10**9)
        flushed_after_post = 0
        flushed_after_reservation = 0
        for first in range(100, 140, 2):
            await ledger.create_transfers([pending(first, PEER, OTHER, 1)], durable=False)
            flushed_after_reservation += await observer.fetchval(
                "SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"
            )
            await ledger.create_transfers([post(first + 1, first)])
            flushed_after_post += await observer.fetchval(
                "SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"
            )
        assert flushed_after_post >= 18, flushed_after_post  # of 20: leeway for background WAL
        assert flushed_after_reservation <= 10, flushed_after_reservation  # the check can fail
    finally:
        await observer.close()
        await ledger.close()
        await database.close()


async def test_concurrent_calls_share_one_transaction_with_their_own_results(
    open_ledger: OpenLedger,
) -> None:
    ledger = await open_ledger(ManualClock())
    await open_chart(ledger, credit_line=10)
    before = ledger.commits
    # 40 calls at once against a credit line of 10: each call its own result, in call order.
    results = await asyncio.gather(
        *(ledger.create_transfers([transfer(100 + n, PEER, OTHER, 1)]) for n in range(40))
    )
    statuses = [result.status for [result] in results]
    assert statuses == [S.CREATED] * 10 + [S.EXCEEDS_CREDITS] * 30
    assert ledger.commits - before <= 2  # one group commit (two if the first ran alone)
    assert available(await one(ledger, PEER)) == 0
    # A call that failed changes nothing; a later one in the same group sees the earlier ones.
    [deposited], [spent] = await asyncio.gather(
        ledger.create_transfers([deposit(200, 5)]),
        ledger.create_transfers([transfer(201, PEER, OTHER, 5)]),
    )
    assert (deposited.status, spent.status) == (S.CREATED, S.CREATED)
    assert available(await one(ledger, PEER)) == 0


async def test_timestamps_increase_per_account_when_clocks_disagree(
    open_ledger: OpenLedger, database: Database
) -> None:
    ahead = ManualClock()
    behind = ManualClock(ahead.now_ns() - 60 * 10**9)
    fast, slow = await open_ledger(ahead), await open_ledger(behind)
    await open_chart(fast, credit_line=100)
    [reserved] = await fast.create_transfers([pending(10, PEER, OTHER, 50, timeout=30)])
    [spent] = await slow.create_transfers([transfer(11, PEER, OTHER, 5)])
    [posted] = await slow.create_transfers([post(12, 10)])
    [topped_up] = await slow.create_transfers([deposit(13, 1, to=OTHER)])
    assert [r.status for r in (reserved, spent, posted, topped_up)] == [S.CREATED] * 4
    stamps = [r.timestamp or 0 for r in (reserved, spent, posted)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3
    [first_deposit] = await fast.lookup_transfers([TransferId(1)])
    assert (topped_up.timestamp or 0) > first_deposit.timestamp  # SETTLEMENT's previous event

    # `seq` (the journal order) agrees with the timestamps on every account.
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT seq, timestamp FROM ledger_transfers "
                    "WHERE debit_account_id = 2 OR credit_account_id = 2 ORDER BY seq"
                )
            )
        ).all()
    assert [row.timestamp for row in rows] == sorted(row.timestamp for row in rows)


async def test_shared_mode_continues_a_database_written_by_the_embedded_ledger(
    pg_url: str, open_ledger: OpenLedger, database: Database
) -> None:
    clock = ManualClock()
    embedded_db = Database(pg_url)
    embedded = await EmbeddedLedger.open(embedded_db, clock=clock)
    try:
        await open_chart(embedded, credit_line=100)
        await embedded.create_transfers([pending(10, PEER, OTHER, 40, timeout=5)])
    finally:
        await embedded.close()
        await embedded_db.close()
    embedded_seq = await scalar(database, "SELECT max(seq) FROM ledger_transfers")

    clock.advance(10)  # pending 10 fell due while no process was running
    shared = await open_ledger(clock, sweep_interval_seconds=60)  # sweeps once in `open`
    peer = await one(shared, PEER)
    assert (peer.debits_pending, available(peer)) == (0, 100)
    [result] = await shared.create_transfers([transfer(11, PEER, OTHER, 100)])
    assert result.status is S.CREATED
    assert await scalar(database, "SELECT seq FROM ledger_transfers WHERE id = 11") > embedded_seq
    assert await stored_ledger_problems(database) == []


async def test_open_needs_postgresql_and_close_ends_service(
    tmp_path: Path, open_ledger: OpenLedger
) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            await PostgresLedger.open(sqlite, clock=ManualClock())
    finally:
        await sqlite.close()
    ledger = await open_ledger(ManualClock(), sweep_interval_seconds=1.0)
    await ledger.close()
    with pytest.raises(RuntimeError, match="closed"):
        await ledger.lookup_accounts([SETTLEMENT])


async def post_while_expired_meanwhile(
    ledger: PostgresLedger, database: Database, created_at: int
) -> list[CreateTransferResult]:
    """Post pending 10 (30 from PEER to OTHER) while another process, holding the accounts'
    locks, expires it: the post waits for the locks, then its read predates the expiry."""
    async with database.engine.connect() as sweeper:
        await sweeper.execute(
            text("SELECT id FROM ledger_accounts WHERE id IN (2, 3) ORDER BY id FOR UPDATE")
        )
        await sweeper.execute(
            text(
                "INSERT INTO ledger_expiries (pending_id, timestamp, seq) "
                "VALUES (10, :ts, nextval('ledger_journal_seq'))"
            ),
            {"ts": created_at + 10**9},
        )
        for sql in (
            "UPDATE ledger_accounts SET debits_pending = debits_pending - 30 WHERE id = 2",
            "UPDATE ledger_accounts SET credits_pending = credits_pending - 30 WHERE id = 3",
        ):
            await sweeper.execute(text(sql))
        posting = asyncio.create_task(ledger.create_transfers([post(11, 10)]))
        await asyncio.sleep(0.2)
        assert not posting.done(), "the post must wait for the account locks"
        await sweeper.commit()
    return await posting
