"""The embedded ledger: balances in memory, every change group-committed to the database.

Theory of operation
===================

One process owns the ledger. A `LedgerEngine` (pure, in memory) decides every batch at once, in
the event loop, with no I/O; the entries it accepted are appended to an in-memory buffer in the
same synchronous step. The buffer is made durable one group at a time:

    callers ──▶ engine (decide) ──▶ buffer ──▶ pump: one commit per group ──▶ log or database
                      ▲                                     │
                      └──── results ◀── wait until durable ◀┘

- **Group commit.** While one group is being committed, new entries gather in the buffer; the
  next commit takes all of them. Under load a group holds everything from the last few
  milliseconds, so the cost of a commit (an fsync) is shared; when idle a group is one batch.
- **The pump** (`_pump`). A new entry schedules it for the next turn of the loop (so every
  caller of one turn rides in one group). On SQLite it appends the group to the log itself,
  synchronously, and asks the sync process for a sync, even while an earlier group's sync is
  under way: the sync process takes every request waiting when its fdatasync ends and covers
  them with the next one. So under load the disk goes from one sync to the next, and does not
  wait for the event loop to notice an answer and write the next group (a delay per commit,
  behind the packets queued in the loop: docs/benchmarks.md). The answers come back
  in order (`_appended`); if one fails, every later group fails with it (the log zeroes all
  unsynced frames). A compaction and, on PostgreSQL, every commit need awaits and one group at
  a time; the pump hands those to the writer task once no frame is in flight.
- **Consistent balance snapshot** (PostgreSQL). The writer cuts a group synchronously, when the
  buffer holds every entry the engine has produced so far, so the engine's balances at that
  instant are exactly the balances after the group's last entry. They are written to
  `ledger_accounts` in the same transaction as the entries: the stored balances always match
  the stored journal.
- **Durability.** Mutating calls return only once everything enqueued before they returned is
  committed (that covers an `EXISTS` answer for an entry still in flight). `seq` = the entry's
  engine timestamp, which is unique and increasing. `create_transfers(..., durable=False)` (a
  packet's reservation and its void) returns at once and does not schedule the pump: its entries
  ride in the next group, or a timer flushes them within `DEFERRED_FLUSH_SECONDS`.
- **Start.** `open` rebuilds the engine (`ledger_rebuild`: the log's snapshot, if any, with
  its invariants checked, else the journal rows checked against the stored balances; then the
  log's frames, every entry re-validated; anything wrong refuses to start:
  `LedgerCorruptionError`), then expires the pending transfers whose timeout passed while the
  node was down, durably, before serving.
- **Expiry.** A sweeper task wakes at the next pending deadline (at least once a second) and calls
  `expire_due`, which releases due reservations and journals the expiries.
- **Commit.** On SQLite each group is one frame appended to the ledger log next to the
  database file (`ledger_log`: one `pwrite` on the event loop and, with
  `fsync_every_commit`, one fdatasync by its sync process while the loop goes on); on
  PostgreSQL one transaction through SQLAlchemy (`ledger_rows`), by the writer task. A database
  from before the log keeps its journal rows; they are replayed first, then the log.
- **Balance check.** On PostgreSQL (and for an SQLite database's rows from before the log) the
  balance columns are written with each group and compared with the replay at start. The log
  carries no balances: its frames are checksummed and every entry is re-validated on replay.
- **Memory.** With `forget_codes` (the node passes the code of a packet's legs), once a group
  is durable the engine forgets the pending transfers of those codes that the group resolved,
  with their posts, voids and expiries (`LedgerEngine.forget_resolved`): memory holds the
  accounts, the live reservations and the liquidity transfers, not every packet ever
  forwarded. A rebuild forgets the same ones as it replays, chunk by chunk.
- **Compaction** (SQLite). When the log's frames after its snapshot pass `compact_after_bytes`
  (and four times the snapshot's own size), the group being committed is written as a new log
  instead: a snapshot frame of the whole engine, cut synchronously with the group so it holds
  exactly the state after it (`LedgerLog.compact`, atomic). A start then loads the snapshot
  (`restored_engine`, which checks the invariants) and replays only the frames after it, and
  the log stays bounded. SQL rows from before the log are inside the first snapshot. A
  compaction that cannot make its new log (`CompactionSkipped`: no space, no hard links)
  changes nothing: the group is appended instead, and compaction is retried a minute later.
- **Balance reports.** `watch_balances(ids, report)`: after each group commit, `report` gets the
  balances (as of then) of the accounts in `ids` that the group touched: one set lookup per
  entry's account when `ids` is not empty, nothing at all when it is (the liquidity webhooks,
  `services.webhooks.watch`). A report that raises is logged; it never fails a commit.
- **Failure.** If a commit fails, the engine is ahead of the database. The ledger fails closed:
  every waiting and later call raises `LedgerUnavailableError`, and a recovery task rebuilds the
  engine from the database (with back-off) and resumes. Entries that were never committed are
  gone, and their callers were told so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence

from mypy_extensions import mypyc_attr

from ilpnode.ledger import (
    Account,
    AccountId,
    Clock,
    CreateAccountResult,
    CreateTransferResult,
    ExpiredTransfer,
    JournalEntry,
    LedgerEngine,
    LedgerSnapshot,
    Transfer,
    TransferId,
)

# From its own module, not the package: mypyc (compiling this module) refers to a base class
# through the module that defines it, and declares only the modules imported by name.
from ilpnode.ledger.errors import LedgerUnavailable
from ilpnode.storage.database import Database
from ilpnode.storage.ledger_log import CompactionSkipped, LedgerLog, ledger_log_path
from ilpnode.storage.ledger_rebuild import LedgerCorruptionError, encode_snapshot, rebuild_engine
from ilpnode.storage.ledger_rows import insert_entries, update_balances

__all__ = ["EmbeddedLedger", "LedgerCorruptionError", "LedgerUnavailableError"]

logger = logging.getLogger(__name__)

# The sweeper looks at least this often, so a deadline added while it sleeps is not missed long.
SWEEP_INTERVAL_SECONDS_MAX = 1.0
# Recovery after a failed commit retries with back-off between these bounds.
RECOVERY_DELAY_SECONDS_MIN = 0.5
RECOVERY_DELAY_SECONDS_MAX = 30.0
# Changes made with `durable=False` reach the disk at the latest this long after they were made.
DEFERRED_FLUSH_SECONDS = 0.05
# The log is compacted once its frames after the snapshot pass this size (about 70,000 packets,
# 2-3 s of replay at start here) and four times the snapshot's own size.
COMPACT_AFTER_BYTES = 16 << 20
COMPACT_SNAPSHOT_FACTOR = 4
# A compaction that could not make its new log (no space, no hard links) is retried this late;
# meanwhile commits are appended as usual.
COMPACT_RETRY_SECONDS = 60.0
# Groups written to the log and waiting for their sync, at most (a bound, not a tuning knob: the
# sync process takes all that wait, and under load a few are).
FRAMES_IN_FLIGHT_MAX = 64


# An ordinary class even when compiled: mypyc's native classes cannot subclass built-in
# exceptions.
@mypyc_attr(native_class=False)
class LedgerUnavailableError(LedgerUnavailable, RuntimeError):
    """A commit failed; the ledger refuses work until it has rebuilt itself from the database."""


class EmbeddedLedger:
    """The `Ledger` port over an in-memory engine and a group-committed journal."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Clock,
        engine: LedgerEngine,
        log: LedgerLog | None,
        forget_codes: frozenset[int] = frozenset(),
        compact_after_bytes: int = COMPACT_AFTER_BYTES,
    ) -> None:
        self._database = database
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
        self._deferred_flush: asyncio.TimerHandle | None = None
        # The loop the ledger's tasks run in, kept: asyncio.get_running_loop() makes a getpid
        # system call each time on Python 3.11, and a packet asked for it twice here.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._log = log
        self._forget_codes = forget_codes
        self._compact_after_bytes = compact_after_bytes
        self._compact_again_at = 0.0  # time.monotonic(): after a failed compaction
        self._watched: set[int] = set()  # account ids whose balances `_report` wants
        self._report: Callable[[list[Account]], None] | None = None
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
        `compact_after_bytes`: see "Compaction".

        Raises:
            LedgerCorruptionError: the journal cannot be replayed or disagrees with the balances.
        """
        path = database.sqlite_path
        log = (
            LedgerLog(ledger_log_path(path), fsync_every_commit=fsync_every_commit)
            if path is not None
            else None
        )
        # No await in a handler (compiled code: see `connector.peer_client`).
        failure: BaseException | None = None
        try:
            engine = await rebuild_engine(database, log, forget_codes)
        except BaseException as error:
            failure = error
        if failure is not None:
            if log is not None:
                await log.close()
            try:
                raise failure
            finally:
                failure = None  # its traceback holds this frame: no reference cycle
        if log is not None:
            log.start_sync()
        ledger = cls(
            database,
            clock=clock,
            engine=engine,
            log=log,
            forget_codes=forget_codes,
            compact_after_bytes=compact_after_bytes,
        )
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
        """Release every pending transfer whose timeout has passed; durable on return.

        Returns:
            How many pending transfers were expired.
        """
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
            self._deferred_flush = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._log is not None:
            await self._log.close()

    def watch_balances(self, ids: set[int], report: Callable[[list[Account]], None]) -> None:
        """After each group commit, call `report` with the accounts of `ids` (a set the caller
        may change at any time) that the group touched, as they are then."""
        self._watched = ids
        self._report = report

    @property
    def available(self) -> bool:
        """False while closed or recovering from a failed commit."""
        return self._failure is None and not self._closing

    @property
    def log(self) -> LedgerLog | None:
        """The ledger log (SQLite), or None (PostgreSQL): for metrics."""
        return self._log

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
        # fsync per forwarded packet instead of two), or the timer below flushes it.
        entries = self._engine.drain_journal()
        if not entries:
            return
        self._buffer.extend(entries)
        self._enqueued += len(entries)
        if self._deferred_flush is None:
            self._deferred_flush = self._running_loop().call_later(
                DEFERRED_FLUSH_SECONDS, self._flush_deferred
            )

    def _flush_deferred(self) -> None:
        self._deferred_flush = None
        self._schedule_pump()

    def _enqueue(self) -> int:
        # Called in the same synchronous step as the engine call that produced the entries, so
        # the buffer order is the engine's order.
        entries = self._engine.drain_journal()
        if entries:
            self._buffer.extend(entries)
            self._enqueued += len(entries)
            self._schedule_pump()
        return self._enqueued

    def _schedule_pump(self) -> None:
        # One turn of the loop later, so that the entries of every caller of this turn ride in
        # one group.
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self._running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Write the buffer to the log as the next group. Appends are made here, synchronously,
        while earlier groups may still be syncing: the sync process takes every request waiting
        when its last fdatasync ends, so under load it goes from one sync to the next without
        waiting for the event loop. Each group ends in `_appended`, in order. Compactions and
        PostgreSQL transactions need awaits and one group at a time: the writer task's, once
        no frame is in flight."""
        self._pump_scheduled = False
        if self._committing or not self._buffer or self._failure is not None or self._closing:
            return
        log = self._log
        if log is None or self._compaction_due(log):
            if not self._frames_in_flight:
                self._wake.set()
            return  # else the last frame's answer comes back here
        if self._frames_in_flight >= FRAMES_IN_FLIGHT_MAX:
            return  # an answer comes back here
        entries, self._buffer = self._buffer, []
        self._frames_in_flight += 1
        generation = self._generation
        try:
            log.write(entries, lambda error: self._appended(generation, entries, error))
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
        if self._watched:  # before forgetting: an expiry's accounts are its pending transfer's
            self._report_watched(entries)
        self._engine.forget_resolved(entries, codes=self._forget_codes)
        while self._waiters and self._waiters[0][0] <= self._durable:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)

    def _report_watched(self, entries: list[JournalEntry]) -> None:
        watched = self._watched
        touched: list[AccountId] = []
        for entry in entries:
            if isinstance(entry, Transfer):
                if entry.debit_account_id in watched:
                    touched.append(entry.debit_account_id)
                if entry.credit_account_id in watched:
                    touched.append(entry.credit_account_id)
            elif isinstance(entry, ExpiredTransfer):
                for pending in self._engine.lookup_transfers([entry.pending_id]):
                    for account_id in (pending.debit_account_id, pending.credit_account_id):
                        if account_id in watched:
                            touched.append(account_id)
        report = self._report
        if not touched or report is None:
            return
        try:
            report(self._engine.lookup_accounts(list(dict.fromkeys(touched))))
        except Exception:  # the watch's bug must not fail a commit that is durable already
            logger.exception("the balance report after a ledger commit failed")

    def _compaction_due(self, log: LedgerLog) -> bool:
        return (
            log.bytes_since_snapshot
            >= max(self._compact_after_bytes, COMPACT_SNAPSHOT_FACTOR * log.snapshot_bytes)
            and time.monotonic() >= self._compact_again_at
        )

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
        self._tasks = [
            asyncio.create_task(self._write_groups(), name="ledger-writer"),
            asyncio.create_task(self._sweep(), name="ledger-sweeper"),
        ]

    async def _write_groups(self) -> None:
        # The groups `_pump` leaves to a task: on PostgreSQL all of them, on SQLite the one
        # that compacts the log.
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (
                self._buffer
                and not self._committing
                and not self._frames_in_flight
                and not self._closing
            ):
                log = self._log
                if log is not None and not self._compaction_due(log):
                    break
                entries, self._buffer = self._buffer, []
                self._committing = True
                failure: Exception | None = None
                try:
                    await self._commit(entries)
                except Exception as error:
                    failure = error
                self._committing = False
                if failure is not None:
                    self._fail(failure)
                    failure = None  # its traceback holds this frame: no reference cycle
                    return
                self._committed(entries)
            self._pump()

    def _touched_accounts(self, entries: list[JournalEntry]) -> list[AccountId]:
        touched: dict[AccountId, None] = {}
        for entry in entries:
            if isinstance(entry, Transfer):
                touched[entry.debit_account_id] = None
                touched[entry.credit_account_id] = None
            elif isinstance(entry, Account):
                touched[entry.id] = None
            else:
                for pending in self._engine.lookup_transfers([entry.pending_id]):
                    touched[pending.debit_account_id] = None
                    touched[pending.credit_account_id] = None
        return list(touched)

    async def _commit(self, entries: list[JournalEntry]) -> None:
        # Called synchronously after the group was cut (no await before the balance lookup),
        # so the balances are exactly those after the group's last entry.
        if (log := self._log) is not None:
            if self._compaction_due(log):
                snapshot = self._snapshot(entries)
                # Immutable records: encoded off the event loop (a large ledger takes ms).
                frame = await asyncio.to_thread(encode_snapshot, snapshot)
                try:
                    await log.compact(frame)
                    return
                except CompactionSkipped as error:
                    logger.warning(
                        "ledger log compaction failed, appending instead; retrying in %.0f s: %s",
                        COMPACT_RETRY_SECONDS,
                        error,
                    )
                    self._compact_again_at = time.monotonic() + COMPACT_RETRY_SECONDS
            await log.append(entries)
            return
        balances = self._engine.lookup_accounts(self._touched_accounts(entries))
        created = {entry.id for entry in entries if isinstance(entry, Account)}
        new_accounts = {account.id: account for account in balances if account.id in created}
        existing = [account for account in balances if account.id not in created]
        async with self._database.engine.begin() as connection:
            await insert_entries(
                connection, ((entry.timestamp, entry) for entry in entries), new_accounts
            )
            await update_balances(connection, existing)

    def _snapshot(self, entries: list[JournalEntry]) -> LedgerSnapshot:
        # Synchronously after the cut: the engine's state is exactly the state after `entries`.
        # Forgotten first, so that the snapshot does not carry this group's resolved packets
        # (harmless if the group then fails: a failed commit rebuilds the engine).
        self._engine.forget_resolved(entries, codes=self._forget_codes)
        return self._engine.snapshot()

    def _fail(self, error: Exception) -> None:
        if self._failure is not None:
            return  # one failure, one recovery
        logger.critical(
            "ledger commit failed; refusing ledger operations until rebuilt from the database",
            exc_info=error,
        )
        self._failure = error
        self._buffer.clear()
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
                engine = await rebuild_engine(self._database, self._log, self._forget_codes)
                if self._log is not None:
                    self._log.start_sync()
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

    async def _sweep(self) -> None:
        while True:
            next_deadline = self._engine.next_expires_at()
            delay = SWEEP_INTERVAL_SECONDS_MAX
            if next_deadline is not None:
                delay = max(0.0, min(delay, (next_deadline - self._clock.now_ns()) / 1e9))
            await asyncio.sleep(delay)
            try:
                await self.expire_due()
            except LedgerUnavailableError:
                break  # recovery restarts the sweeper
