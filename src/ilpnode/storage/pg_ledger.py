"""The shared ledger: several node processes over one PostgreSQL database.

Theory of operation
===================

The state lives only in the database (`ledger_accounts` with its balance columns,
`ledger_transfers`, `ledger_expiries`). No process keeps balances in memory. Each batch runs in
one READ COMMITTED transaction that loads the slice of the ledger the batch can touch, seeds a
pure `LedgerEngine` with exactly that slice (`ledger.seed.seeded_engine`), runs the batch
through it and writes back what the engine journaled. The statuses, their precedence, linked
chains, timestamps and expiry rules are therefore the engine's own, never re-implemented here.

A `create_transfers` batch, statement by statement:

1. **Lock.** `SELECT … FROM ledger_accounts WHERE id = ANY(…) ORDER BY id FOR UPDATE` over the
   debit/credit accounts of the batch's plain and pending transfers plus the accounts of every
   pending transfer a post/void names (found by a sub-select on the immutable transfer rows, in
   the same statement). Rows are locked in id order by every writer, in one statement per
   transaction, so writers never deadlock on accounts. The locked rows are the current balances.
2. **Read** (a new statement, so a new snapshot, taken *after* the locks): the stored transfers
   whose ids the batch uses or names as `pending_id`, every post/void of those, and their expiry
   records. Whoever resolves a pending transfer holds its accounts' locks until commit, so once we
   hold them, what we read is the final word on each pending transfer we may resolve.
3. **Decide** in Python: `seeded_engine(...)`, `engine.create_transfers(batch, now=clock)`.
   The clock is read after the locks. Failures change nothing and write nothing.
4. **Write**, one statement: data-modifying CTEs INSERT the new transfer rows (arrays through
   `unnest`, `seq` from `ledger_journal_seq` in journal order) and UPDATE the balances and
   `last_timestamp` of the touched accounts. Then COMMIT; the results are returned only after it.

So a transfer batch costs 5 round trips (BEGIN, lock, read, write, COMMIT) whatever its size, an
account batch 4 (BEGIN, read, insert, COMMIT), a lookup 1 (autocommit), a sweep transaction 6.
The locks are held for the last 4. (`Database` turns `pool_pre_ping` on, which with asyncpg
adds BEGIN, a ping and ROLLBACK, 3 more round trips, to every connection checkout.)

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
reverse; no balance below zero), so no transaction can commit an overspend; the partial unique
index on `ledger_transfers.pending_id` (a pending transfer is posted or voided at most once);
the primary key of `ledger_expiries` (expired at most once). That a post/void and an expiry never
both resolve one transfer rests on the lock discipline above (they live in different tables).

Timestamps. Each engine is seeded with `last_timestamp` = the maximum of the locked accounts'
`last_timestamp` column and of every record it loaded, and the write stores, per account, the
timestamp of its last event. So engine timestamps are strictly increasing per account and along
every pending transfer's life (its post/void/expiry is later), even across processes whose clocks
disagree. They are *not* globally unique: two batches over disjoint accounts may get the same
timestamp. `seq` is globally unique and, per account, in commit order (it is drawn under the
account locks); it is the journal order. (`LedgerEngine.replay` needs globally increasing
timestamps, so a database written in shared mode cannot be replayed by the embedded ledger.)

Expiry. `ledger_pending_deadlines` (migration 0002) holds one row per unresolved pending transfer
with a timeout, kept by triggers on INSERT; the sweeper finds due transfers with an index range
scan on `expires_at` and expires them `SWEEP_BATCH_MAX` at a time, each chunk with the same lock /
re-read / decide / write steps, so a transfer resolved meanwhile is skipped. Several processes may
sweep at once: they serialise on the account locks and the later one finds nothing left to do.
Until a due reservation is swept it still counts against the balance (conservative), but the
engine already refuses a post/void at or after the deadline with PENDING_TRANSFER_EXPIRED.
`expire_due()` sweeps now; the background task calls it at each next deadline (at least every
`SWEEP_INTERVAL_SECONDS_MAX`).

Failure. A database error aborts the transaction, nothing is written, and it is raised. If the
connection fails after COMMIT was sent the outcome is unknown; resubmitting the same batch (same
ids) is safe and answers EXISTS for what was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TextualSelect

from ilpnode.ledger import (
    Account,
    AccountId,
    Clock,
    CreateAccountResult,
    CreateTransferResult,
    ExpiredTransfer,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.ledger.seed import seeded_engine
from ilpnode.storage.database import Database
from ilpnode.storage.ledger_rows import account_from_row, transfer_from_row
from ilpnode.storage.pg_ledger_sql import (
    _ACCOUNT_ROW,
    _ADVANCE_SEQUENCE,
    _DUE,
    _EXPIRY_ROW,
    _INSERT_ACCOUNTS,
    _LOCK_ACCOUNTS,
    _LOOKUP_TRANSFERS,
    _NEXT_DEADLINE,
    _READ_ACCOUNTS,
    _READ_TRANSFERS,
    _TRANSFER_ROW,
    _WRITE_EXPIRIES,
    _WRITE_TRANSFERS,
    _Columns,
)

__all__ = ["ATTEMPTS_MAX", "PostgresLedger"]

logger = logging.getLogger(__name__)

ATTEMPTS_MAX: Final = 5
"""A batch that lost a race (unique violation, deadlock) is run at most this many times."""
SWEEP_INTERVAL_SECONDS_MAX: Final = 1.0
"""The sweeper looks at least this often: another process may have added an earlier deadline."""
SWEEP_INTERVAL_SECONDS_MIN: Final = 0.01
"""…and at most this often, so a deadline it cannot clear (a stuck row) is not a busy loop."""
SWEEP_BATCH_MAX: Final = 100
"""Pending transfers expired per sweep transaction: keeps each one's locks short."""

# unique_violation, serialization_failure, deadlock_detected: a race lost, safe to re-run.
_RETRYABLE_SQLSTATES: Final = frozenset({"23505", "40001", "40P01"})
_RESOLVES = TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER

_T = TypeVar("_T")

# -- the ledger --------------------------------------------------------------------------------


class PostgresLedger:
    """The `Ledger` port over a PostgreSQL database shared by several processes."""

    def __init__(self, database: Database, *, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False

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
        if sweep_interval_seconds is not None:
            expired = await ledger.expire_due()
            if expired:
                logger.info("expired %d pending transfers that fell due while down", expired)
            ledger._sweeper = asyncio.create_task(
                ledger._sweep_forever(sweep_interval_seconds), name="pg-ledger-sweeper"
            )
        return ledger

    async def close(self) -> None:
        """Stop the sweeper. Every call that returned is already committed."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    # -- the Ledger port ------------------------------------------------------------------------

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        """Create accounts (see `LedgerEngine.create_accounts`); returns once committed."""
        self._check_open()
        if not accounts:
            return []
        ids = _unique(account.id for account in accounts)

        async def attempt(connection: AsyncConnection) -> list[CreateAccountResult]:
            rows = (await connection.execute(_READ_ACCOUNTS, {"ids": ids})).all()
            engine = seeded_engine(
                accounts=[account_from_row(row, with_balances=True) for row in rows],
                transfers=(),
                expired=(),
                last_timestamp=0,
            )
            results = engine.create_accounts(accounts, now=self._clock.now_ns())
            created = [entry for entry in engine.drain_journal() if isinstance(entry, Account)]
            if created:
                await connection.execute(_INSERT_ACCOUNTS, _columns(created, _ACCOUNT_ROW))
            return results

        return await self._transaction(attempt)

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        """Create transfers (see `LedgerEngine.create_transfers`); returns once committed, also
        with `durable=False` (the shared ledger decides in the database)."""
        del durable
        self._check_open()
        if not transfers:
            return []
        account_ids = _unique(
            account_id
            for transfer in transfers
            if not transfer.flags & _RESOLVES
            for account_id in (transfer.debit_account_id, transfer.credit_account_id)
        )
        pending_ids = _unique(
            transfer.pending_id
            for transfer in transfers
            if transfer.flags & _RESOLVES and transfer.pending_id
        )
        ids = _unique([*(transfer.id for transfer in transfers), *pending_ids])

        async def attempt(connection: AsyncConnection) -> list[CreateTransferResult]:
            engine = await _load(connection, account_ids, pending_ids, ids)
            results = engine.create_transfers(transfers, now=self._clock.now_ns())
            await _write(connection, engine)
            return results

        return await self._transaction(attempt)

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
            chunk = functools.partial(self._expire_chunk, now=self._clock.now_ns())
            due, expired = await self._transaction(chunk)
            total += expired
            if len(due) < SWEEP_BATCH_MAX:
                return total
            if expired == 0 and due == previous:
                logger.error("pending deadlines %s cannot be expired; skipping them", due[:10])
                return total
            previous = due

    async def _expire_chunk(
        self, connection: AsyncConnection, *, now: int
    ) -> tuple[list[int], int]:
        """Expire up to SWEEP_BATCH_MAX transfers due at `now`: (the due ids, how many expired)."""
        rows = await connection.execute(_DUE, {"now": now, "limit": SWEEP_BATCH_MAX})
        due: list[int] = [row.pending_id for row in rows]
        if not due:
            return due, 0
        engine = await _load(connection, [], due, due)
        expired = engine.expire_pending(now=self._clock.now_ns())
        await _write(connection, engine)
        return due, len(expired)

    async def _sweep_forever(self, interval_seconds: float) -> None:
        while True:
            delay = interval_seconds
            try:
                async with self._database.engine.connect() as connection:
                    connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    next_deadline = (await connection.execute(_NEXT_DEADLINE)).scalar_one()
                if next_deadline is not None:
                    delay = (next_deadline - self._clock.now_ns()) / 1e9
                delay = min(max(delay, SWEEP_INTERVAL_SECONDS_MIN), interval_seconds)
                await asyncio.sleep(delay)
                await self.expire_due()
            except Exception:  # a database fault: log it, keep the sweeper alive
                logger.exception("ledger sweep failed; retrying in %.1f s", interval_seconds)
                await asyncio.sleep(interval_seconds)

    # -- plumbing -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the ledger is closed")

    async def _transaction(self, attempt: Callable[[AsyncConnection], Awaitable[_T]]) -> _T:
        """Run `attempt` in a transaction; re-run it from scratch when it lost a race."""
        for attempt_number in range(1, ATTEMPTS_MAX + 1):
            try:
                async with self._database.engine.begin() as connection:
                    return await attempt(connection)
            except DBAPIError as error:
                sqlstate = getattr(error.orig, "sqlstate", None)
                if sqlstate not in _RETRYABLE_SQLSTATES or attempt_number == ATTEMPTS_MAX:
                    raise
                logger.debug("ledger batch lost a race (%s), retrying: %s", sqlstate, error.orig)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _autocommit_query(self, query: TextualSelect, ids: list[int]) -> list[Row[Any]]:
        async with self._database.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return list((await connection.execute(query, {"ids": ids})).all())


async def _load(
    connection: AsyncConnection,
    account_ids: list[int],
    pending_ids: list[int],
    ids: list[int],
) -> LedgerEngine:
    """Lock the accounts, then read the transfers: an engine seeded with the batch's slice."""
    locked: Sequence[Row[Any]] = ()
    if account_ids or pending_ids:
        locked = (
            await connection.execute(
                _LOCK_ACCOUNTS, {"account_ids": account_ids, "pending_ids": pending_ids}
            )
        ).all()
    rows = (await connection.execute(_READ_TRANSFERS, {"ids": ids})).all() if ids else []
    return seeded_engine(
        accounts=[account_from_row(row, with_balances=True) for row in locked],
        transfers=[transfer_from_row(row) for row in rows],
        expired=[
            ExpiredTransfer(pending_id=TransferId(row.id), timestamp=row.expired_at)
            for row in rows
            if row.expired_at is not None
        ],
        last_timestamp=max((row.last_timestamp for row in locked), default=0),
    )


async def _write(connection: AsyncConnection, engine: LedgerEngine) -> None:
    """Write what the engine journaled (transfers or expiries) and the new balances."""
    entries = engine.drain_journal()
    if not entries:
        return
    touched: dict[AccountId, int] = {}  # account -> timestamp of its last event
    for entry in entries:
        if isinstance(entry, Transfer):
            moved = entry
        elif isinstance(entry, ExpiredTransfer):
            [moved] = engine.lookup_transfers([entry.pending_id])
        else:
            raise AssertionError(f"a transfer batch or sweep journaled {entry!r}")
        touched[moved.debit_account_id] = entry.timestamp
        touched[moved.credit_account_id] = entry.timestamp
    accounts = engine.lookup_accounts(list(touched))
    balances = {
        f"b_{name}": [getattr(account, name) for account in accounts]
        for name in ("id", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
    }
    balances["b_last_timestamp"] = [touched[account.id] for account in accounts]
    transfers = [entry for entry in entries if isinstance(entry, Transfer)]
    expiries = [entry for entry in entries if isinstance(entry, ExpiredTransfer)]
    if transfers and expiries:
        raise AssertionError("a batch journals transfers or expiries, never both")
    if transfers:
        rows = _columns(transfers, _TRANSFER_ROW)
        # NULL, not 0: the partial unique index on pending_id must skip plain transfers.
        rows["pending_id"] = [pending_id or None for pending_id in rows["pending_id"]]
        await connection.execute(_WRITE_TRANSFERS, {**rows, **balances})
    else:
        await connection.execute(_WRITE_EXPIRIES, {**_columns(expiries, _EXPIRY_ROW), **balances})


def _columns(records: Sequence[object], columns: _Columns) -> dict[str, list[int | None]]:
    """One list per column: the records' fields of the same names, as plain ints."""
    return {name: [int(getattr(record, name)) for record in records] for name in columns}


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))
