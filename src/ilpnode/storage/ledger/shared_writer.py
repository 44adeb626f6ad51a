"""Group commit for the shared ledger: one writer connection per process, many calls per
transaction.

Theory of operation
===================

Callers do not open transactions of their own. `transfers(batch)` queues the call and waits;
one writer task per process takes every queued call (up to `BATCH_TRANSFERS_MAX` transfers)
and applies them all in one transaction on its own connection (`shared_apply.apply_calls`),
in two round trips:

    (BEGIN: sent with the previous COMMIT)
    read the union of the calls' accounts and the transfers they name, without locks
                                                          -- one statement, one round trip
    decide each call, in queue order, on one seeded engine
    lock the changed accounts (id order); write every new row and balance change;
    COMMIT; BEGIN                                         -- one simple query, one round trip
    answer each caller with its own results

The account locks are held only while that last simple query runs in the server, never across
a round trip, the decision or this process's event loop (`shared` says why the write is right
on a read without locks). Posts and voids of this process's own reservations are decided on
what it remembers of them (`shared_cache.OwnCommits`, forgotten with each new connection): a
batch of only those skips the read. A batch the engine refuses anything of is decided again
on a read that takes the locks, in the same transaction (three round trips), and so is a batch
whose optimistic write a CHECK constraint refused (SQLSTATE 23514: another process spent
first), in a new attempt.

The connection therefore always waits inside an opened transaction that has run nothing yet
(no snapshot, no lock: `pg_stat_activity` shows it idle in transaction). The write travels as
SQL text with its values inlined (numbers only, ours), since the simple query protocol, the one
that takes several statements at once, takes no parameters.

A later call in a batch sees the effects of the earlier ones, exactly as if each had committed
on its own in queue order, so per-call results and exactness are those of one call per
transaction. While a transaction runs, new calls queue up behind it: under load the batches
grow and the round trips per packet shrink; alone, a call waits for nobody.

A batch whose calls all pass `durable=False` (a packet's reservation, its void) commits with
`synchronous_commit` off: PostgreSQL answers before the commit is flushed, yet every other
transaction sees it at once, and the WAL is flushed in order, so once any later commit is
durable, this one is too (the post of the reservation, say). A server crash can lose only such
a batch, which is what `Ledger.create_transfers(durable=False)` allows: a lost reservation is
simply absent, a lost void leaves a reservation that expires.

`run(job)` queues work that needs the connection to itself (creating accounts, an expiry
sweep chunk): it runs alone, in queue order, in its own transaction.

Failures, by kind:

- A lost race (unique violation, serialization failure, deadlock: another process committed
  the same id first, or locked in another order; an expiry the read missed; an optimistic
  write outspent): the whole transaction again from scratch, at most `ATTEMPTS_MAX` times; the
  retry reads the winner's rows and answers EXISTS etc. (after an outspent write, under locks).
- Any other database error in a batch of several calls: each call again on its own, so only a
  faulty call fails and the others are not punished for it.
- The connection fails (the server restarted, the network broke). During the read (with or
  without locks), nothing was written: the batch runs again once, on a new connection. Otherwise
  (or if that fails too) every caller of the batch gets the error: during the write and COMMIT
  the outcome is unknown (`outcome_unknown`; resubmitting the same ids is safe, and a post or
  void of the same pending transfer tells what happened). The connection is dropped, and the
  next batch connects again. While the server cannot be reached, each batch fails after one
  connect attempt, at most one attempt per `RECONNECT_INTERVAL_SECONDS` (the calls in between
  fail at once): the node fails closed and recovers by itself. The error is
  `DatabaseUnavailable`, a `LedgerUnavailable`: callers reject or answer 503 without a
  traceback. An outage is two log lines: a warning when the connection is lost or cannot be
  opened, and when a connection succeeds again, how long it took.
- A caller cancelled while it waits: its call still runs (a reservation then simply expires; a
  post is booked); only its answer is dropped.

`watch_balances(watched, report)`: after each commit, once its callers are answered, `report`
gets the committed balances of the accounts in `watched` that the transaction changed (the
liquidity webhooks), but for those within their quiet band (`ilpnode.ledger.watching`); for a
transaction decided without locks, with the next transaction's read or, if none follows soon, a
read of their own while idle (`shared_reports`). Nothing when `watched` is empty.

`close()` stops taking calls, lets the writer finish what was queued, and closes the connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

import asyncpg

from ilpnode.clock import Clock
from ilpnode.ledger import Account, CreateTransferResult, QuietBand, Transfer
from ilpnode.storage.ledger.shared_apply import Decided, apply_calls
from ilpnode.storage.ledger.shared_cache import OwnCommits
from ilpnode.storage.ledger.shared_errors import (
    DatabaseUnavailable,
    is_connection_failure,
    is_outspent,
    is_race,
    unavailable,
)
from ilpnode.storage.ledger.shared_reports import CommitReports

__all__ = [
    "ATTEMPTS_MAX",
    "BATCH_TRANSFERS_MAX",
    "RECONNECT_INTERVAL_SECONDS",
    "DatabaseUnavailable",
    "LedgerWriter",
]

logger = logging.getLogger(__name__)

ATTEMPTS_MAX: Final = 5
"""A transaction that lost a race is run at most this many times."""
BATCH_TRANSFERS_MAX: Final = 2_000
"""Transfers per group commit: bounds a transaction's statement size and lock time."""
RECONNECT_INTERVAL_SECONDS: Final = 0.5
"""While the database is unreachable, at most one connect attempt per this interval."""


# The writer's connection is always in a transaction (see the module docstring).
_BEGIN: Final = "BEGIN ISOLATION LEVEL READ COMMITTED"

_T = TypeVar("_T")
Connect = Callable[[], Awaitable[asyncpg.Connection]]
Job = Callable[[asyncpg.Connection], Awaitable[Decided[_T]]]
Apply = Callable[..., Awaitable[Decided[list[list[CreateTransferResult]]]]]
"""`apply_calls`'s shape: (connection, calls, *, clock, optimistic, ...) -> results per call."""


@dataclass(slots=True)
class _TransferCall:
    transfers: Sequence[Transfer]
    durable: bool
    future: asyncio.Future[list[CreateTransferResult]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass(slots=True)
class _JobCall(Generic[_T]):
    job: Job[_T]
    future: asyncio.Future[_T] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass(slots=True)
class _Outcome(Generic[_T]):
    value: _T | None = None
    error: Exception | None = None
    committed: Decided[_T] | None = None
    """What was committed (for the balance reports, made after the callers are answered)."""


def _settle(future: asyncio.Future[_T], value: _T) -> None:
    if not future.done():  # its caller may have been cancelled
        future.set_result(value)


def _fail(future: asyncio.Future[_T], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


class LedgerWriter:
    """The one writer of a process's shared-ledger changes (see the module docstring)."""

    def __init__(self, connect: Connect, *, clock: Clock, apply: Apply = apply_calls) -> None:
        self._connect = connect
        self._clock = clock
        self._apply = apply
        self._queue: collections.deque[_TransferCall | _JobCall[object]] = collections.deque()
        self._wake = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._last_connect_failure = -float("inf")
        self._unreachable_since: float | None = None
        """When the current outage began (the first failure since the last good connect)."""
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        """Transactions committed (group commits), for benchmarks and metrics."""
        self._reports = CommitReports()
        self._own = OwnCommits()
        self._retrying = False
        """The batch being run lost a race: read what it needs, trust no memory."""
        self._locked_retry = False
        """The batch being run lost an optimistic write: decide it under locks."""

    def start(self) -> None:
        """Start the writer task (on the running event loop)."""
        self._task = asyncio.create_task(self._write_forever(), name="pg-ledger-writer")

    def watch_balances(
        self, watched: dict[int, QuietBand], report: Callable[[list[Account]], None]
    ) -> None:
        """After each commit, call `report` with the accounts of `watched` (id -> quiet band, a
        dict the caller may change at any time) that the transaction changed, as committed,
        unless within their band."""
        self._reports.watch(watched, report)

    async def close(self) -> None:
        """Finish every queued call, then close the connection."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._drop_connection()

    async def transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        """Apply `transfers` in the next group commit; their results once committed (with
        `durable=False`, committed but perhaps not yet flushed: see the module docstring)."""
        call = _TransferCall(transfers, durable)
        self._enqueue(call)
        return await call.future

    async def run(self, job: Job[_T]) -> _T:
        """Run `job` alone in a transaction of its own; its result once committed."""
        call: _JobCall[_T] = _JobCall(job)
        self._enqueue(call)  # type: ignore[arg-type]  # the queue holds jobs of any result
        return await call.future

    def _enqueue(self, call: _TransferCall | _JobCall[object]) -> None:
        if self._closing:
            raise RuntimeError("the ledger is closed")
        self._queue.append(call)
        self._wake.set()

    # -- the writer task --------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            if not self._queue:
                if self._reports.pending:
                    self._wake.clear()
                    await self._reports.report_when_idle(self._wake, lambda: self._connection)
                    continue
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            head = self._queue[0]
            if isinstance(head, _JobCall):
                self._queue.popleft()
                await self._run_job(head)
            else:
                await self._run_transfers(self._take_transfer_calls())

    def _take_transfer_calls(self) -> list[_TransferCall]:
        calls: list[_TransferCall] = []
        size = 0
        while self._queue:
            head = self._queue[0]
            if not isinstance(head, _TransferCall):
                break
            if calls and size + len(head.transfers) > BATCH_TRANSFERS_MAX:
                break
            calls.append(head)
            size += len(head.transfers)
            self._queue.popleft()
        return calls

    async def _run_transfers(self, calls: list[_TransferCall]) -> None:
        observe = self._reports.to_observe()
        outcome = await self._attempt(
            lambda connection: self._apply(
                connection,
                calls,
                clock=self._clock,
                optimistic=not self._locked_retry,
                observe=observe,
                own=None if self._retrying else self._own,
            ),
            durable=any(call.durable for call in calls),
        )
        if outcome.error is None:
            assert outcome.value is not None
            for call, results in zip(calls, outcome.value, strict=True):
                _settle(call.future, results)
            self._note_commit(outcome.committed, calls)
        elif len(calls) > 1 and not isinstance(outcome.error, DatabaseUnavailable):
            # One faulty call must not fail the others: each again, on its own.
            for call in calls:
                await self._run_transfers([call])
        else:
            for call in calls:
                _fail(call.future, outcome.error)

    async def _run_job(self, call: _JobCall[object]) -> None:
        outcome = await self._attempt(call.job)
        if outcome.error is None:
            _settle(call.future, outcome.value)
            self._note_commit(outcome.committed, ())
        else:
            _fail(call.future, outcome.error)

    async def _attempt(self, work: Job[_T], *, durable: bool = True) -> _Outcome[_T]:
        """Run `work` in the open transaction and commit what it decided; again while it loses
        races: its result or its error.

        `work` only reads (taking locks); what it decided to write goes in one round trip with
        COMMIT and the next transaction's BEGIN. So a connection that fails during `work` (the
        server restarted while it was idle) wrote nothing, and the work is run again once on a
        new connection; one that fails during that last round trip leaves the outcome unknown.
        """
        failure: Exception | None = None
        fresh_connection_tried = False
        attempt_number = 0
        self._locked_retry = False
        while attempt_number < ATTEMPTS_MAX:
            attempt_number += 1
            self._retrying = attempt_number > 1
            connection = await self._connection_or_none()
            if connection is None:
                return _Outcome(error=DatabaseUnavailable("the ledger database is unreachable"))
            decided: Decided[_T] | None = None
            committing = False
            try:
                decided = await work(connection)
            except Exception as error:
                failure = error
            if decided is None:
                assert failure is not None
                if is_connection_failure(failure) and not fresh_connection_tried:
                    await self._drop_connection()
                    fresh_connection_tried, failure = True, None
                    attempt_number -= 1
                    continue
            else:
                unflushed = "" if durable else "SET LOCAL synchronous_commit TO OFF; "
                write = f"{decided.write}; " if decided.write else ""
                committing = True
                try:
                    await connection.execute(f"{write}{unflushed}COMMIT; {_BEGIN}")
                except Exception as error:
                    failure = error
                if failure is None:
                    self.commits += 1
                    return _Outcome(value=decided.value, committed=decided)
            failure = await self._after_failure(connection, failure, committing=committing)
            outspent = decided is not None and decided.optimistic and is_outspent(failure)
            self._locked_retry = self._locked_retry or outspent
            if not ((is_race(failure) or outspent) and attempt_number < ATTEMPTS_MAX):
                return _Outcome(error=failure)
            sqlstate = getattr(failure, "sqlstate", None)
            logger.debug("ledger batch lost a race (%s), retrying: %s", sqlstate, failure)
            failure = None
        raise AssertionError("unreachable: the last attempt returns")

    def _note_commit(self, committed: Decided[_T] | None, calls: Sequence[_TransferCall]) -> None:
        if committed is None:
            return
        self._own.after_commit(
            (transfer for call in calls for transfer in call.transfers),
            committed.journaled,
            committed.accounts,
        )
        self._reports.after_commit(committed)

    async def _after_failure(
        self, connection: asyncpg.Connection, failure: Exception, *, committing: bool
    ) -> Exception:
        """Roll back and begin again (or drop a broken connection); the error as callers
        should see it (a connection lost during COMMIT leaves the outcome unknown)."""
        if is_connection_failure(failure):
            self._lost(failure)
            await self._drop_connection()
            return unavailable(failure, committing=committing)
        lost: Exception | None = None
        try:
            await connection.execute(f"ROLLBACK; {_BEGIN}")
        except Exception as error:  # the connection is unusable, whatever the error says
            lost = error
        if lost is not None:
            self._lost(lost)
            await self._drop_connection()
            return unavailable(lost)
        return failure

    async def _connection_or_none(self) -> asyncpg.Connection | None:
        connection = self._connection
        if connection is not None and not connection.is_closed():
            return connection
        if time.monotonic() - self._last_connect_failure < RECONNECT_INTERVAL_SECONDS:
            return None
        failure: Exception | None = None
        try:
            connection = await self._connect()
            await connection.execute(_BEGIN)
            self._connection = connection
            # What the last connection committed unflushed may be gone with a server crash.
            self._own.forget_all()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            failure = error
        if failure is not None:
            self._last_connect_failure = time.monotonic()
            self._lost(failure)
            return None
        if self._unreachable_since is not None:
            logger.info(
                "the ledger reached its database again after %.1f s",
                time.monotonic() - self._unreachable_since,
            )
            self._unreachable_since = None
        return self._connection

    def _lost(self, error: BaseException) -> None:
        """Note a failed or lost connection; only the first of an outage is logged."""
        if self._unreachable_since is not None:
            logger.debug("the ledger still cannot reach its database: %s", error)
            return
        self._unreachable_since = time.monotonic()
        logger.warning(
            "the ledger lost its database (%s): failing its calls (packets are rejected T00)"
            " and reconnecting every %.1f s",
            str(error) or type(error).__name__,
            RECONNECT_INTERVAL_SECONDS,
        )

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it is broken already; nothing to save
                await asyncio.wait_for(connection.close(), timeout=1)
