"""The embedded ledger's journal as the ledger log file: the medium on SQLite (the default).

Each group is one frame appended to the log (`log_file.LedgerLog`: one `pwrite` on the event
loop and, with `fsync_every_commit`, one fdatasync by its sync process while the loop goes on).
Frames are written while earlier ones are still being synced (`can_write_now`, `write`): the
sync process takes every request waiting when its fdatasync ends and covers them all with the
next one.

Compaction. When the log's frames after its snapshot pass `compact_after_bytes` (and four times
the snapshot's own size), the next group goes through `commit` instead, once no frame is in
flight: a snapshot frame of the whole engine, cut synchronously with the group so it holds
exactly the state after it, replaces the log (`LedgerLog.compact`, atomic). A compaction that
cannot make its new log (`CompactionSkipped`: no space, no hard links) changes nothing: the
group is appended instead, and compaction is retried `COMPACT_RETRY_SECONDS` later.

Rebuild. Read the log (a torn last frame is cut off, damage refuses to start); if it starts
with a snapshot, load it (`restored_engine`, which checks every invariant); then replay the
frames after it, every entry re-validated. An SQLite database from before the log still holding
journal rows has them moved into the log first, once (`row_migration`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ilpnode.ledger import JournalEntry, JournalError, LedgerEngine, LedgerSnapshot
from ilpnode.ledger.seed import restored_engine
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.journal import LedgerCorruptionError, replay_in_chunks
from ilpnode.storage.ledger.log_codec import (
    DecodedLog,
    LogCorruptionError,
    LogSnapshot,
    encode_snapshot_frame,
)
from ilpnode.storage.ledger.log_file import CompactionSkipped, LedgerLog
from ilpnode.storage.ledger.row_migration import move_rows_into_log

__all__ = ["COMPACT_AFTER_BYTES", "LogJournal", "encode_snapshot", "read_log"]

logger = logging.getLogger(__name__)

# The log is compacted once its frames after the snapshot pass this size (about 70,000 packets,
# 2-3 s of replay at start here) and four times the snapshot's own size.
COMPACT_AFTER_BYTES = 16 << 20
COMPACT_SNAPSHOT_FACTOR = 4
# A compaction that could not make its new log (no space, no hard links) is retried this late;
# meanwhile commits are appended as usual.
COMPACT_RETRY_SECONDS = 60.0


class LogJournal:
    """The `Journal` on the ledger log: pipelined appends, compaction by snapshot."""

    def __init__(
        self,
        database: Database,
        log: LedgerLog,
        *,
        forget_codes: frozenset[int],
        compact_after_bytes: int = COMPACT_AFTER_BYTES,
    ) -> None:
        self._database = database
        self._log = log
        self._forget_codes = forget_codes
        self._compact_after_bytes = compact_after_bytes
        self._compact_again_at = 0.0  # time.monotonic(): after a failed compaction

    @property
    def log(self) -> LedgerLog | None:
        return self._log

    async def rebuild(self) -> LedgerEngine:
        log = self._log
        decoded = await move_rows_into_log(
            self._database, log, await read_log(log), self._forget_codes
        )
        snapshot = decoded.snapshot
        engine = LedgerEngine() if snapshot is None else _restore(snapshot, log)
        if decoded.torn_bytes:
            logger.warning(
                "ledger log %s: cut off %d bytes of a last write that never completed",
                log.path,
                decoded.torn_bytes,
            )
        unreplayable: JournalError | None = None
        try:
            replay_in_chunks(engine, decoded.entries, self._forget_codes)
        except JournalError as error:  # raised outside the handler (compiled: none in one)
            unreplayable = error
        if unreplayable is not None:
            message = f"the ledger log {log.path} cannot be replayed: {unreplayable}"
            raise LedgerCorruptionError(message) from unreplayable
        logger.info(
            "ledger rebuilt: %s, %d log entries",
            "from a snapshot" if decoded.snapshot is not None else "no snapshot",
            len(decoded.entries),
        )
        return engine

    def start(self) -> None:
        self._log.start_sync()

    def can_write_now(self) -> bool:
        return not self._compaction_due()

    def write(
        self,
        entries: list[JournalEntry],
        on_durable: Callable[[OSError | None], None],
        *,
        sync_now: bool = False,
    ) -> None:
        self._log.write(entries, on_durable, sync_now=sync_now)

    async def commit(self, entries: list[JournalEntry], engine: LedgerEngine) -> None:
        log = self._log
        if self._compaction_due():
            # Synchronously after the cut: the engine's state is exactly the state after
            # `entries`. Forgotten first, so that the snapshot does not carry this group's
            # resolved packets (harmless if the group then fails: a failed commit rebuilds).
            engine.forget_resolved(entries, codes=self._forget_codes)
            snapshot = engine.snapshot()
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

    async def close(self) -> None:
        await self._log.close()

    def _compaction_due(self) -> bool:
        log = self._log
        return (
            log.bytes_since_snapshot
            >= max(self._compact_after_bytes, COMPACT_SNAPSHOT_FACTOR * log.snapshot_bytes)
            and time.monotonic() >= self._compact_again_at
        )


async def read_log(log: LedgerLog) -> DecodedLog:
    """`log.read()` in a thread.

    Raises:
        LedgerCorruptionError: the log is damaged before its end.
    """
    damage: LogCorruptionError | None = None
    try:
        return await asyncio.to_thread(log.read)
    except LogCorruptionError as error:  # raised outside the handler (compiled: none in one)
        damage = error
    raise LedgerCorruptionError(f"the ledger log {log.path} is damaged: {damage}") from damage


def encode_snapshot(snapshot: LedgerSnapshot) -> bytes:
    """The snapshot frame of `snapshot` (pure: may run in a thread)."""
    return encode_snapshot_frame(
        last_timestamp=snapshot.last_timestamp,
        accounts=snapshot.accounts,
        transfers=snapshot.transfers,
        expired=snapshot.expired,
        forgotten=snapshot.forgotten,
    )


def _restore(snapshot: LogSnapshot, log: LedgerLog) -> LedgerEngine:
    try:
        return restored_engine(
            accounts=snapshot.accounts,
            transfers=snapshot.transfers,
            expired=snapshot.expired,
            forgotten=snapshot.forgotten,
            last_timestamp=snapshot.last_timestamp,
        )
    except ValueError as error:
        raise LedgerCorruptionError(f"the snapshot in {log.path} is unusable: {error}") from error
