"""The embedded ledger: balances in memory, every change group-committed to a journal.

Theory of operation
===================

One process owns the ledger. A `LedgerEngine` (pure, in memory) decides every batch in the
event loop, with no I/O; the entries it accepted go to an in-memory buffer in the same
synchronous step, made durable one group at a time by a `Journal` (`journal`: the log file on
SQLite, `log_journal`; SQL rows on PostgreSQL, `row_journal`). This module holds the buffer,
the waiters and the recovery; `expiry_sweep` and `balance_reports` run beside the commits.

    callers ──▶ engine (decide) ──▶ buffer ──▶ pump: one commit per group ──▶ journal
                      ▲                                     │
                      └──── results ◀── wait until durable ◀┘

- **Group commit.** While one group is being committed, new entries gather in the buffer; the
  next commit takes all of them, so under load one commit (an fsync) carries many batches.
- **The pump** (`_pump`). A new entry schedules it for the next turn of the loop (so every
  caller of one turn rides in one group). When the journal can write at once (the log), the
  pump writes the group itself, synchronously, once the group before it is durable
  (`FRAMES_IN_FLIGHT_MAX`): what comes meanwhile gathers into one larger group, so a loaded node
  makes fewer frames, syncs and round trips to the sync process per packet. The answers come
  back in order (`_appended`); if one fails, every later
  group fails with it. A group alone (none in flight, no reservation held: a packet at light
  traffic) is synced within the write, sparing the round trip to the sync process. A
  compaction and, on PostgreSQL, every commit need awaits and one group at a time
  (`Journal.commit`): the writer task's, once no group is in flight.
- **Durability.** Mutating calls return only once everything enqueued before they returned is
  committed (that covers an `EXISTS` answer for an entry still in flight).
  `create_transfers(..., durable=False)` (a packet's reservation and its void) returns at once
  without scheduling the pump: its entries ride in the next group, or a timer flushes them
  within `DEFERRED_FLUSH_SECONDS` (a reservation alone arms none: the expiry sweep's group
  carries it within a second, if its post's does not first).
- **Start.** `open` rebuilds the engine (`Journal.rebuild`; anything wrong refuses to start:
  `LedgerCorruptionError`), then expires, durably, what fell due while the node was down.
- **Memory.** Once a group is durable the engine forgets the pending transfers of
  `forget_codes` (a packet's legs) that it resolved, with their posts, voids and expiries
  (`LedgerEngine.forget_resolved`); a rebuild forgets the same ones as it replays.
- **Failure.** If a commit fails, the engine is ahead of the journal. The ledger fails closed:
  every waiting and later call raises `LedgerUnavailableError` (their callers are told) while a
  recovery task rebuilds the engine from the journal, with back-off, and resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence

from ilpnode.clock import Clock
from ilpnode.deadline_timer import DeadlineTimer
from ilpnode.ledger import (
    Account,
    AccountId,
    CreateAccountResult,
    CreateTransferResult,
    JournalEntry,
    LedgerEngine,
    QuietBand,
    Transfer,
    TransferId,
    is_pending_transfer,
)
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.balance_reports import BalanceReports
from ilpnode.storage.ledger.expiry_sweep import sweep_expired
from ilpnode.storage.ledger.journal import Journal, LedgerCorruptionError
from ilpnode.storage.ledger.log_file import LedgerLog, ledger_log_path
from ilpnode.storage.ledger.log_journal import COMPACT_AFTER_BYTES, LogJournal
from ilpnode.storage.ledger.row_journal import RowJournal
from ilpnode.storage.ledger.unavailable import LedgerUnavailableError

__all__ = ["EmbeddedLedger", "LedgerCorruptionError", "LedgerUnavailableError"]

logger = logging.getLogger(__name__)

# Recovery after a failed commit retries with back-off between these bounds.
RECOVERY_DELAY_SECONDS_MIN = 0.5
RECOVERY_DELAY_SECONDS_MAX = 30.0
DEFERRED_FLUSH_SECONDS = 0.05  # `durable=False` changes on disk within (`_enqueue_deferred`)
# Groups written to the log and waiting for their sync, at most. One: with more, a node short of
# CPU made a frame, a sync and two pipe round trips for every few packets; the next group waits
# and grows instead (less CPU per packet at c=10 and c=100: docs/benchmarks.md).
FRAMES_IN_FLIGHT_MAX = 1


class EmbeddedLedger:
    """The `Ledger` port over an in-memory engine and a group-committed journal."""

    def __init__(
        self,
        journal: Journal,
        *,
        clock: Clock,
        engine: LedgerEngine,
        forget_codes: frozenset[int] = frozenset(),
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._engine = engine
        self._buffer: list[JournalEntry] = []
        self._enqueued = 0
        self._durable = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._wake = asyncio.Event()
        self._committing = False  # the writer task is committing a group
        self._frames_in_flight = 0  # groups `_pump` wrote that are not yet durable
        self._generation = 0  # moves on at each recovery: older frames' answers are ignored
        self._pump_scheduled = False
        self._failure: BaseException | None = None
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._deferred_flush: DeadlineTimer | None = None  # made with the loop (`_start_tasks`)
        self._flush_due = False  # the deferred flush's deadline is set for the buffer
        # Kept: asyncio.get_running_loop() makes a getpid system call on Python 3.11.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._forget_codes = forget_codes
        self._reports = BalanceReports()
        self.group_commits = 0
        """Groups committed (each one frame or one transaction)."""

    @classmethod
    async def open(
        cls,
        database: Database,
        *,
        clock: Clock,
        fsync_every_commit: bool = True,
        forget_codes: frozenset[int] = frozenset(),
        compact_after_bytes: int = COMPACT_AFTER_BYTES,
    ) -> EmbeddedLedger:
        """Rebuild from a migrated database, expire what fell due while down, start serving.

        `fsync_every_commit=False` (SQLite only): commits reach the operating system, not the
        disk; they survive the process being killed, not a power cut (LEDGER_DURABILITY).
        `forget_codes`: transfer codes whose pending transfers are forgotten once resolved and
        durable (see "Memory"); `lookup_transfers` no longer finds them.
        `compact_after_bytes`: see `log_journal`, "Compaction".

        Raises:
            LedgerCorruptionError: the journal cannot be replayed or disagrees with the balances.
        """
        path = database.sqlite_path
        journal: Journal = RowJournal(database, forget_codes=forget_codes)
        if path is not None:
            log = LedgerLog(ledger_log_path(path), fsync_every_commit=fsync_every_commit)
            journal = LogJournal(
                database, log, forget_codes=forget_codes, compact_after_bytes=compact_after_bytes
            )
        # No await in a handler (compiled code: see `connector.peer_client`).
        failure: BaseException | None = None
        try:
            engine = await journal.rebuild()
        except BaseException as error:
            failure = error
        if failure is not None:
            await journal.close()
            try:
                raise failure
            finally:
                failure = None  # its traceback holds this frame: no reference cycle
        journal.start()
        ledger = cls(journal, clock=clock, engine=engine, forget_codes=forget_codes)
        ledger._start_tasks()
        expired = await ledger.expire_due()
        if expired:
            logger.info("expired %d pending transfers whose timeout passed while down", expired)
        return ledger

    # -- the Ledger port ------------------------------------------------------------------------

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        self._check_available()
        results = self._engine.create_accounts(accounts, now=self._clock.now_ns())
        await self._wait_durable(self._enqueue())
        return results

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        self._check_available()
        results = self._engine.create_transfers(transfers, now=self._clock.now_ns())
        if durable:
            await self._wait_durable(self._enqueue())
        else:
            self._enqueue_deferred()
        return results

    async def lookup_accounts(self, ids: Sequence[AccountId]) -> list[Account]:
        self._check_available()
        return self._engine.lookup_accounts(ids)

    async def lookup_transfers(self, ids: Sequence[TransferId]) -> list[Transfer]:
        self._check_available()
        return self._engine.lookup_transfers(ids)

    # -- operations -----------------------------------------------------------------------------

    async def expire_due(self) -> int:
        """Release every pending transfer whose timeout has passed, durably; how many."""
        self._check_available()
        expired = self._engine.expire_pending(now=self._clock.now_ns())
        await self._wait_durable(self._enqueue())
        return len(expired)

    async def flush(self) -> None:
        """Wait until everything accepted so far is durable."""
        await self._wait_durable(self._enqueued)

    async def close(self) -> None:
        """Commit what is buffered, then stop the writer and the sweeper."""
        if self._closing:
            return
        if self._failure is None:
            with contextlib.suppress(LedgerUnavailableError):
                await self.flush()
        self._closing = True
        if self._deferred_flush is not None:
            self._deferred_flush.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._journal.close()

    def watch_balances(
        self, watched: dict[int, QuietBand], report: Callable[[list[Account]], None]
    ) -> None:
        """After each group commit, call `report` with the accounts of `watched` (id -> quiet
        band; the caller may change it any time) the group touched, but those in their band."""
        self._reports.watch(watched, report)

    @property
    def available(self) -> bool:
        """False while closed or recovering from a failed commit."""
        return self._failure is None and not self._closing

    @property
    def log(self) -> LedgerLog | None:
        """The ledger log (SQLite), or None (PostgreSQL): for metrics."""
        return self._journal.log

    @property
    def engine(self) -> LedgerEngine:
        """The live engine, for read-only checks (invariants, snapshots) in tests and tools."""
        return self._engine

    # -- group commit ---------------------------------------------------------------------------

    def _check_available(self) -> None:
        if self._closing:
            raise LedgerUnavailableError("the ledger is closed")
        if self._failure is not None:
            raise LedgerUnavailableError(f"the ledger is recovering from: {self._failure!r}")

    def _enqueue_deferred(self) -> None:
        # Buffered without scheduling the pump: the next durable call's group carries it (one
        # fsync per forwarded packet instead of two), or the timer flushes it (under load a group
        # that takes it only clears the deadline). Reservations alone arm no timer: their posts'
        # groups carry them, or the expiry sweep's (`expire_due`, every second); voids arm it.
        entries = self._engine.drain_journal()
        if not entries:
            return
        if not self._flush_due and not all(is_pending_transfer(entry) for entry in entries):
            self._flush_due = True
            if self._deferred_flush is not None:
                self._deferred_flush.set(self._running_loop().time() + DEFERRED_FLUSH_SECONDS)
        self._buffer.extend(entries)
        self._enqueued += len(entries)

    def _enqueue(self) -> int:
        # Called in the same synchronous step as the engine call that produced the entries, so
        # the buffer order is the engine's order.
        entries = self._engine.drain_journal()
        if entries:
            self._buffer.extend(entries)
            self._enqueued += len(entries)
            self._schedule_pump()
        return self._enqueued

    def _stop_deferred_flush(self, *, drop: bool) -> None:
        self._flush_due = False
        if self._deferred_flush is not None and drop:
            self._deferred_flush.cancel()
        elif self._deferred_flush is not None:
            self._deferred_flush.clear()

    def _schedule_pump(self) -> None:
        # One turn of the loop later, so that the entries of every caller of this turn ride in
        # one group.
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self._running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Write the buffer to the journal as the next group, or wake the writer task for it
        (see "The pump"). Each written group ends in `_appended`, in order."""
        self._pump_scheduled = False
        if self._committing or not self._buffer or self._failure is not None or self._closing:
            return
        journal = self._journal
        if not journal.can_write_now():
            if not self._frames_in_flight:
                self._wake.set()
            return  # else the last frame's answer comes back here
        if self._frames_in_flight >= FRAMES_IN_FLIGHT_MAX:
            return  # an answer comes back here
        entries, self._buffer = self._buffer, []
        # Alone (no other group in flight, no packet holding a reservation): sync in the call.
        alone = not self._frames_in_flight and self._engine.next_expires_at() is None
        self._stop_deferred_flush(drop=alone)  # alone: no deferred call is near
        self._frames_in_flight += 1
        generation = self._generation
        try:
            journal.write(
                entries, lambda error: self._appended(generation, entries, error), sync_now=alone
            )
        except Exception as error:
            self._frames_in_flight -= 1
            self._fail(error)

    def _appended(
        self, generation: int, entries: list[JournalEntry], error: OSError | None
    ) -> None:
        # In the sync process's reader callback: nothing may escape into the loop.
        if generation != self._generation:
            return  # a frame of the ledger before a recovery
        self._frames_in_flight -= 1
        if self._failure is not None:
            return  # failed already: everything after it was refused
        if error is not None:
            self._fail(error)
            return
        try:
            self._committed(entries)
        except Exception as bug:
            self._fail(bug)
            return
        if self._buffer:
            self._pump()

    def _committed(self, entries: list[JournalEntry]) -> None:
        self._durable += len(entries)
        self.group_commits += 1
        reports = self._reports
        if reports.watched:  # before forgetting: an expiry's accounts are its pending transfer's
            reports.after_commit(entries, self._engine)
        self._engine.forget_resolved(entries, codes=self._forget_codes)
        while self._waiters and self._waiters[0][0] <= self._durable:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)

    async def _wait_durable(self, target: int) -> None:
        if self._durable >= target:
            return
        if self._failure is not None:
            raise LedgerUnavailableError(f"commit failed: {self._failure!r}", outcome_unknown=True)
        future: asyncio.Future[None] = self._running_loop().create_future()
        self._waiters.append((target, future))
        self._schedule_pump()  # deferred entries may be all that is left to commit
        await future

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop or asyncio.get_running_loop()

    def _start_tasks(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._deferred_flush = DeadlineTimer(self._loop, self._schedule_pump)
        self._tasks = [
            asyncio.create_task(self._write_groups(), name="ledger-writer"),
            asyncio.create_task(sweep_expired(self, self._clock), name="ledger-sweeper"),
        ]

    async def _write_groups(self) -> None:
        # The groups `_pump` leaves to a task (`Journal.commit`): on PostgreSQL all of them, on
        # SQLite the one that compacts the log.
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._buffer and not (self._committing or self._frames_in_flight):
                if self._closing:
                    break
                if self._journal.can_write_now():
                    break  # the pump writes it
                entries, self._buffer = self._buffer, []
                self._stop_deferred_flush(drop=False)
                self._committing = True
                failure: Exception | None = None
                try:
                    # Synchronously after the cut: the engine is the state after `entries`.
                    await self._journal.commit(entries, self._engine)
                except Exception as error:
                    failure = error
                self._committing = False
                if failure is not None:
                    self._fail(failure)
                    failure = None  # its traceback holds this frame: no reference cycle
                    return
                self._committed(entries)
            self._pump()

    def _fail(self, error: Exception) -> None:
        if self._failure is not None:
            return  # one failure, one recovery
        logger.critical(
            "ledger commit failed; refusing ledger operations until rebuilt from the database",
            exc_info=error,
        )
        self._failure = error
        self._buffer.clear()
        self._flush_due = False
        while self._waiters:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_exception(
                    LedgerUnavailableError(f"commit failed: {error!r}", outcome_unknown=True)
                )
        if not self._closing:
            self._tasks.append(asyncio.create_task(self._recover(), name="ledger-recovery"))

    async def _recover(self) -> None:
        delay = RECOVERY_DELAY_SECONDS_MIN
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        while True:
            await asyncio.sleep(delay)
            try:
                engine = await self._journal.rebuild()
                self._journal.start()
            except Exception as error:
                logger.error("ledger recovery failed, retrying in %.1f s: %r", delay, error)
                delay = min(delay * 2, RECOVERY_DELAY_SECONDS_MAX)
                continue
            self._engine = engine
            self._enqueued = self._durable = 0
            self._committing = False
            self._frames_in_flight = 0
            self._generation += 1
            self._failure = None
            current = asyncio.current_task()
            self._tasks = [task for task in self._tasks if task is current]
            self._start_tasks()
            logger.warning("ledger rebuilt from the database; serving again")
            return
