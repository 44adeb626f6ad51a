"""The shared ledger: several node processes over one PostgreSQL database.

Theory of operation
===================

The state lives only in the database (`ledger_accounts` with its balance columns,
`ledger_transfers`, `ledger_expiries`). No process keeps balances in memory. Each batch runs in
one READ COMMITTED transaction that loads the slice of the ledger the batch can touch, seeds a
pure `LedgerEngine` with exactly that slice (`ledger.seed.seeded_engine`), runs the batch
through it and writes back what the engine journaled. The statuses, their precedence, linked
chains, timestamps and expiry rules are therefore the engine's own, never re-implemented here.

Every write of a process goes through its one `LedgerWriter` (`shared_writer`): one
connection, and the `create_transfers` calls that queue while a transaction runs go together
into the next one (group commit), each decided in turn on one engine, each with its own
results. The statements of a transfer batch (`shared_apply`):

1. **Read**, one statement, no locks: the accounts of the batch's plain and pending transfers
   plus the accounts of every pending transfer a post/void names (a sub-select on the immutable
   transfer rows), and, in the same statement, the stored transfers whose ids the batch uses or
   names as `pending_id`, every post/void of those, and their expiry records.
2. **Decide** in Python: `seeded_engine(...)`, `engine.create_transfers(call, now=clock)` per
   call. Failures change nothing and write nothing.
3. **Write**, in one round trip with COMMIT: lock the accounts whose balances change (`SELECT …
   ORDER BY id FOR UPDATE`: every writer locks in id order, one statement per transaction, so
   writers never deadlock on accounts); check that no pending transfer the batch resolves has
   expired (`ledger_check_unexpired`, migration 0006); INSERT the new transfer rows (arrays
   through `unnest`, `seq` from `ledger_journal_seq` in journal order) and UPDATE the balances
   *by* what the batch moved (`debits_pending = debits_pending + Δ`, …) and `last_timestamp`
   (the greater of the two). Then COMMIT; the results are returned only after it.

A packet's post or void skips step 1: the reservation it resolves was committed by this
process, which remembers it and its accounts' balances as that commit left them
(`shared_cache`); the batch's read leaves such transfers out, and a batch made only of them is
not read at all. What happened to them since in other processes, the write finds out as below
(a post/void meanwhile, an expiry); the balances it remembers may be stale, which a post or
void never depends on (the write moves them by the batch's deltas). An unflushed commit may be
lost with a server crash, which also ends the writer's connection: a new connection starts
with nothing remembered.

The locks are thus held only while the write runs in the server: never across a round trip,
the decision in Python, or the event loop of a busy process. (Until 2026-12-07 the read took
them, so the processes serving the same peers took turns, each waiting for the other's round
trips: `docs/benchmarks.md`.)

Why a write decided on a read without locks is right. Rows are never changed or deleted, only
added, and balances only ever move by deltas, so what can have changed since the read is rows
it missed and balances that moved:

- a transfer with an id the batch uses: the insert fails on the primary key and the batch is
  retried (it then reads the row: EXISTS, …);
- a post/void of a pending transfer the batch resolves: the unique index on `pending_id`;
  retried (PENDING_TRANSFER_ALREADY_POSTED, …);
- an expiry of one: the check runs after the write's locks, and an expiry sweep holds the same
  accounts' locks from before its read until its commit, so the check sees every expiry
  committed before the write, and a later sweep sees the write. It raises SQLSTATE IL001, the
  transaction fails, nothing is written, and the batch is run again;
- balances moved by another process: the deltas add up whatever moved, and what the engine
  checked against the balances it read (the flag limits, the u64 range), the database checks
  against the balances it writes: CHECK constraints (migrations 0001, 0012) refuse the write
  (SQLSTATE 23514), and the batch is run again under locks (below);
- a refusal on a stale read (EXCEEDS_CREDITS against a balance another process has raised
  since, say): if the engine refuses anything at all, or finds the read contradicting itself,
  the batch is decided again under locks, in the same transaction, before anything is written.

**Under locks** (that fallback, and every expiry sweep): the read takes the locks itself (`FOR
UPDATE`, id order, in the same statement) and returns the locked rows as they are once locked:
current balances. Its transfers are read with the snapshot of the statement's start, taken
*before* it waited for the locks, so they may miss rows, with the same consequences as above.
If the stale slice contradicts the current balances so that the engine refuses it, the transfers
are read again under the locks it holds (a current read: whoever resolves a pending transfer
holds its accounts' locks until commit) and decided again, in the same transaction. The sweeper
always reads after its locks (a separate statement). The write then needs no locks of its own.

So a transfer batch costs 2 round trips whatever its size and however many calls it holds (1
when it only posts and voids this process's own reservations, 3 when decided again under
locks): the read, then the write sent with COMMIT and the next transaction's BEGIN
(`shared_writer`). An account batch costs 2 as well (read; insert with
COMMIT), a lookup 1 (autocommit, on the SQLAlchemy pool), a sweep chunk 5 (the sweep lock, the
due ids, the lock, the read; the write with COMMIT).

Races that locks cannot order: two transactions inserting the same transfer or account id (the
existence read precedes the insert) or a `seq` collision after a mode switch. The primary keys
and unique indexes refuse the loser with a unique violation, and the whole batch is retried from
step 1 (at most `ATTEMPTS_MAX` times), where it then reads the winner's rows and answers
EXISTS, PENDING_TRANSFER_ALREADY_POSTED, …. Deadlocks and serialization failures are retried the
same way (the one deadlock left: two batches on disjoint accounts inserting the same two ids in
opposite orders wait on each other's uncommitted rows; PostgreSQL breaks it after
`deadlock_timeout`). A retried batch is recomputed from scratch, with a fresh `now`.

What the database itself guarantees, even against a buggy writer: CHECK constraints on
`ledger_accounts` (a flagged account never has debits over credits, pending included, or the
reverse; no balance below zero; each side within the u64 range), so no transaction can commit
an overspend; the partial unique
index on `ledger_transfers.pending_id` (a pending transfer is posted or voided at most once);
the primary key of `ledger_expiries` (expired at most once). That a post/void and an expiry never
both resolve one transfer rests on the lock discipline above and the write's expiry check after
its locks (they live in different tables).

Timestamps. Each engine is seeded with `last_timestamp` = the maximum of the read accounts'
`last_timestamp` column and of every record it loaded, and the write stores, per account, the
greater of the stored value and the timestamp of the batch's last event on it. So engine
timestamps increase along every pending transfer's life (its post/void/expiry is later), and per
account as long as batches on it do not overlap in time, even across processes whose clocks
disagree; two processes writing to one account at the same moment (each deciding on a read
without the other's commit) may interleave their timestamps on it. They are *not* globally
unique: two batches over disjoint accounts may get the same timestamp. `seq` is globally
unique and, per account, in commit order (it is drawn under the account locks); it is the
journal order. (`LedgerEngine.replay` needs globally increasing timestamps, so a database
written in shared mode cannot be replayed by the embedded ledger.)

Expiry. `ledger_pending_deadlines` (migration 0002) holds one row per unresolved pending transfer
with a timeout, kept by triggers on INSERT; the sweeper finds due transfers with an index range
scan on `expires_at` and expires them `SWEEP_BATCH_MAX` at a time, each chunk with the steps
lock, read (after the locks), decide, write, so a transfer resolved meanwhile is skipped. One
process sweeps at a time (a transaction-level advisory lock, tried, never waited for: a process
that finds it taken skips the round); were two to sweep, they would serialise on the account
locks and the later one would find nothing left to do. Every process runs a sweeper, so the
reservations of a process that died are expired by the survivors.
Until a due reservation is swept it still counts against the balance (conservative), but the
engine already refuses a post/void at or after the deadline with PENDING_TRANSFER_EXPIRED.
`expire_due()` sweeps now; the background task calls it at each next deadline (at least every
`SWEEP_INTERVAL_SECONDS_MAX`).

Failure. A database error aborts the transaction, nothing is written, and it is raised (see
`shared_writer` for which errors are retried, and for a lost connection: `DatabaseUnavailable`,
and a new connection for the next batch). If the connection fails after COMMIT was sent the
outcome is unknown; resubmitting the same batch (same ids) is safe and answers EXISTS for what
was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import asyncpg
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.selectable import TextualSelect

from ilpnode.clock import Clock
from ilpnode.ledger import (
    Account,
    AccountId,
    CreateAccountResult,
    CreateTransferResult,
    LedgerUnavailable,
    QuietBand,
    Transfer,
    TransferId,
)
from ilpnode.storage.database import Database, asyncpg_dsn
from ilpnode.storage.ledger.rows import account_from_row, transfer_from_row
from ilpnode.storage.ledger.shared_apply import create_accounts, expire_due_chunk
from ilpnode.storage.ledger.shared_sql import (
    _ADVANCE_SEQUENCE,
    _LOOKUP_TRANSFERS,
    _NEXT_DEADLINE,
    _READ_ACCOUNTS,
    WRITER_SETUP,
)
from ilpnode.storage.ledger.shared_writer import LedgerWriter

__all__ = ["COMMAND_TIMEOUT_SECONDS", "PostgresLedger"]

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS_MAX: Final = 1.0
"""The sweeper looks at least this often: another process may have added an earlier deadline."""
SWEEP_INTERVAL_SECONDS_MIN: Final = 0.01
"""…and at most this often, so a deadline it cannot clear (a stuck row) is not a busy loop."""
SWEEP_BATCH_MAX: Final = 100
"""Pending transfers expired per sweep transaction: keeps each one's locks short."""
COMMAND_TIMEOUT_SECONDS: Final = 10.0
"""A writer statement that takes longer counts as a broken connection: the node fails closed."""


async def _connect_writer(dsn: str) -> asyncpg.Connection:
    """A connection for the writer, its write statements prepared (`shared_sql.WRITER_SETUP`),
    NUMERIC values read as ints.

    Its statements are planned once per connection (generic plans), not once per transaction:
    planning was most of PostgreSQL's CPU per transaction. Every statement of the writer finds
    its rows by key, so sequential scans are off: a generic plan does not know how many ids an
    array holds, and, planned while a table was small, would scan it whole once it is large."""
    connection = await asyncpg.connect(
        dsn,
        command_timeout=COMMAND_TIMEOUT_SECONDS,
        server_settings={
            "plan_cache_mode": "force_generic_plan",
            "enable_seqscan": "off",
            # The writer waits for work inside a transaction that has not read anything
            # yet (no snapshot, no locks): an operator's idle timeout must not end it.
            "idle_in_transaction_session_timeout": "0",
            "application_name": f"ilpnode ledger writer pid {os.getpid()}",
        },
    )
    try:
        # NUMERIC (ids, amounts, balances: whole numbers) to and from Python ints through its
        # text form, not through `Decimal`.
        await connection.set_type_codec(
            "numeric", encoder=str, decoder=int, schema="pg_catalog", format="text"
        )
        await connection.execute(WRITER_SETUP)
    except BaseException:
        await connection.close()
        raise
    return connection


# -- the ledger --------------------------------------------------------------------------------


class PostgresLedger:
    """The `Ledger` port over a PostgreSQL database shared by several processes."""

    def __init__(self, database: Database, *, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        dsn = asyncpg_dsn(database.url)
        self._writer = LedgerWriter(lambda: _connect_writer(dsn), clock=clock)
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def commits(self) -> int:
        """Transactions this process's writer committed (each a group of calls)."""
        return self._writer.commits

    def watch_balances(
        self, watched: dict[int, QuietBand], report: Callable[[list[Account]], None]
    ) -> None:
        """After each commit of this process, call `report` with the accounts of `watched` (id
        -> quiet band, a dict the caller may change at any time) that it changed, as committed,
        unless within their band (`LedgerWriter.watch_balances`)."""
        self._writer.watch_balances(watched, report)

    @classmethod
    async def open(
        cls,
        database: Database,
        *,
        clock: Clock,
        sweep_interval_seconds: float | None = SWEEP_INTERVAL_SECONDS_MAX,
    ) -> PostgresLedger:
        """Start serving on a migrated PostgreSQL database.

        Args:
            database: a PostgreSQL database at the newest migration (not owned: not closed here).
            clock: the wall clock (ns); every batch reads it once, after taking its locks.
            sweep_interval_seconds: the longest the background sweeper sleeps; None runs no
                sweeper in this process (then call `expire_due`, or let another process sweep).
                With a sweeper, what fell due while no process was running is expired before
                `open` returns.

        Raises:
            ValueError: the database is not PostgreSQL.
        """
        if database.is_sqlite:
            raise ValueError("the shared ledger needs PostgreSQL; SQLite is for EmbeddedLedger")
        ledger = cls(database, clock=clock)
        async with database.engine.begin() as connection:
            await connection.execute(_ADVANCE_SEQUENCE)
        ledger._writer.start()
        if sweep_interval_seconds is not None:
            expired = await ledger.expire_due()
            if expired:
                logger.info("expired %d pending transfers that fell due while down", expired)
            ledger._sweeper = asyncio.create_task(
                ledger._sweep_forever(sweep_interval_seconds), name="pg-ledger-sweeper"
            )
        return ledger

    async def close(self) -> None:
        """Stop the sweeper, finish the queued calls. Every call that returned is committed."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self._writer.close()

    # -- the Ledger port ------------------------------------------------------------------------

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        """Create accounts (see `LedgerEngine.create_accounts`); returns once committed."""
        self._check_open()
        if not accounts:
            return []
        return await self._writer.run(
            lambda connection: create_accounts(connection, accounts, clock=self._clock)
        )

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        """Create transfers (see `LedgerEngine.create_transfers`) in the next group commit;
        returns once committed, and with `durable` (the default) once flushed too (see
        `shared_writer`)."""
        self._check_open()
        if not transfers:
            return []
        return await self._writer.transfers(transfers, durable=durable)

    async def lookup_accounts(self, ids: Sequence[AccountId]) -> list[Account]:
        """The accounts with these ids, in the order asked; unknown ids are omitted."""
        self._check_open()
        if not ids:
            return []
        rows = await self._autocommit_query(_READ_ACCOUNTS, _unique(ids))
        found = {row.id: account_from_row(row, with_balances=True) for row in rows}
        return [found[account_id] for account_id in ids if account_id in found]

    async def lookup_transfers(self, ids: Sequence[TransferId]) -> list[Transfer]:
        """The transfers with these ids, in the order asked; unknown ids are omitted."""
        self._check_open()
        if not ids:
            return []
        rows = await self._autocommit_query(_LOOKUP_TRANSFERS, _unique(ids))
        found = {row.id: transfer_from_row(row) for row in rows}
        return [found[transfer_id] for transfer_id in ids if transfer_id in found]

    # -- expiry ---------------------------------------------------------------------------------

    async def expire_due(self) -> int:
        """Expire every pending transfer whose deadline has passed by now; committed on return.

        Safe while other processes sweep or post/void the same transfers: each one is expired
        at most once, and one resolved meanwhile is left alone.

        Returns:
            How many pending transfers this call expired.
        """
        self._check_open()
        total = 0
        previous: list[int] | None = None
        while True:
            due, expired = await self._writer.run(
                lambda connection: expire_due_chunk(
                    connection, limit=SWEEP_BATCH_MAX, clock=self._clock
                )
            )
            total += expired
            if len(due) < SWEEP_BATCH_MAX:
                return total
            if expired == 0 and due == previous:
                logger.error("pending deadlines %s cannot be expired; skipping them", due[:10])
                return total
            previous = due

    async def _sweep_forever(self, interval_seconds: float) -> None:
        failures = 0  # in a row: while the database is away, only the first is a warning
        while True:
            delay = interval_seconds
            failure: Exception | None = None
            try:
                async with self._database.engine.connect() as connection:
                    connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    next_deadline = (await connection.execute(_NEXT_DEADLINE)).scalar_one()
                if next_deadline is not None:
                    delay = (next_deadline - self._clock.now_ns()) / 1e9
                delay = min(max(delay, SWEEP_INTERVAL_SECONDS_MIN), interval_seconds)
                await asyncio.sleep(delay)
                await self.expire_due()
            except Exception as error:  # a database fault: log it, keep the sweeper alive
                failure = error
            if failure is None:
                if failures:
                    logger.info("ledger sweep works again after %d failed rounds", failures)
                failures = 0
                continue
            failures += 1
            if not _unreachable(failure):
                logger.error(
                    "ledger sweep failed; retrying in %.1f s",
                    interval_seconds,
                    exc_info=failure,
                )
            elif failures == 1:
                logger.warning(
                    "ledger sweep failed, its database is unreachable (%s); retrying every %.1f s",
                    str(failure) or type(failure).__name__,
                    interval_seconds,
                )
            failure = None  # its traceback holds this frame
            await asyncio.sleep(interval_seconds)

    # -- plumbing -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the ledger is closed")

    async def _autocommit_query(self, query: TextualSelect, ids: list[int]) -> list[Row[Any]]:
        async with self._database.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return list((await connection.execute(query, {"ids": ids})).all())


def _unreachable(error: Exception) -> bool:
    """Whether `error` says the database cannot be reached (refused, lost, shutting down or
    starting up), rather than something a retry will not mend."""
    if isinstance(error, LedgerUnavailable | OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        return error.connection_invalidated or sqlstate.startswith(("08", "57"))
    return False


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))
