"""The embedded ledger's journal on SQLite: an append-only file of checksummed frames.

Every forwarded packet adds two journal entries (its reservation, then its post or void).
Stored as SQLite rows they cost two B-tree inserts, three index updates and a balance update
each, and SQLite's commit writes and syncs several pages; here a group commit is one `pwrite`
of one frame (`log_codec`), a copy into the page cache made on the event loop's thread,
and, for `LEDGER_DURABILITY=power-loss`, one `fdatasync` made by a small process of its own
(`sync_helper`, asked and answered over a pipe the event loop watches). The sync runs
beside the event loop, which keeps forwarding packets while the disk works, and it never
waits for the GIL (a thread did, for up to 5 ms per commit behind a busy loop).

The file lives next to the database (`<database>-ledger.log`) and belongs to it: back up,
move and delete the two together. Accounts, transfers and expiries all go to the log;
SQLite keeps the assets and peers. The balances are not stored separately: the engine rebuilds
them by replaying the log, re-validating every entry (`LedgerEngine.replay`).

Compaction (`compact`): the log is replaced, atomically, by a new one that starts with a
snapshot frame of the whole ledger (the commit that triggers it included); the frames before it
are gone. The new file is written and synced beside the log (`<log>.new`), the old one kept as
a hard link (`<log>.old`) while `rename` puts the new one in its place, and the directory is
synced: a crash at any point leaves the old log or the new one, whole. If the directory sync
fails, the old log is put back. Leftover `.new`/`.old` files of a crash are removed at `read`.

Failure: if a write or sync fails (or the sync process is gone), the frame is cut off again
(zeroed, and synced) so that a rebuild sees exactly what callers were told is durable, and the
next sync starts a new process. A torn last frame found at start is zeroed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from mypy_extensions import mypyc_attr

from ilpnode.ledger import JournalEntry
from ilpnode.storage.ledger.log_codec import FILE_HEADER, DecodedLog, decode_log, encode_frame
from ilpnode.storage.ledger.sync_process import SyncProcess, settle

_logger = logging.getLogger(__name__)

__all__ = ["CompactionSkipped", "LedgerLog", "ledger_log_path"]

# The file grows by zero-filled chunks of this size ahead of the frames: a frame then overwrites
# blocks the file system already holds, and its fdatasync has no metadata to commit (a
# shorter sync per append: docs/benchmarks.md). One chunk holds ~4,000 packets.
PREALLOCATE_BYTES = 1 << 20


def ledger_log_path(sqlite_path: str) -> Path:
    """Where the ledger log of the SQLite database at `sqlite_path` lives."""
    return Path(f"{sqlite_path}-ledger.log")


# An ordinary class even when compiled: mypyc's native classes cannot subclass built-in
# exceptions.
@mypyc_attr(native_class=False)
class CompactionSkipped(OSError):
    """The new log could not be made (no space, no hard links, …): nothing changed, the old log
    is in place and open, and the commit can be appended to it instead."""


class LedgerLog:
    """Appends frames to one log file, one at a time; `read` it first."""

    def __init__(self, path: Path, *, fsync_every_commit: bool = True) -> None:
        self.path = path
        self._fsync = fsync_every_commit
        self._fd: int | None = None
        self._size = 0  # end of the last frame made durable
        self._written = 0  # end of the last frame written (durable or not yet)
        self._epoch = 0  # moves on when unsynced frames are cut off, or the log is re-read
        self._allocated = 0  # the file's size: frames, then zeros
        self._sync: SyncProcess | None = None
        self._entries_start = len(FILE_HEADER)  # end of the snapshot frame, if there is one
        self.compactions = 0
        """Times the log was replaced by a snapshot (`compact`)."""
        self.syncs = 0
        """Completed syncs (one per commit with `fsync_every_commit`)."""
        self._retired: set[asyncio.Future[None]] = set()  # dead sync processes being reaped

    def read(self) -> DecodedLog:
        """Every entry in the log (creating an empty log if there is none); a torn tail (a
        frame cut short by a crash, never acknowledged) is cut off so appends follow the last
        good frame. Blocking file I/O: run it in a thread.

        Raises:
            LogCorruptionError: the log is damaged before its end.
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        for leftover in (self._new_path, self._old_path):  # of a compaction cut short
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        if not self.path.exists():
            self._create()
        decoded = decode_log(self.path.read_bytes())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        if decoded.torn_bytes:  # zeroed, so that it reads as padding from now on
            _pwrite_all(self._fd, bytes(decoded.torn_bytes), decoded.good_end)
            os.fsync(self._fd)
        self._size = self._written = decoded.good_end
        self._epoch += 1
        self._allocated = os.fstat(self._fd).st_size
        self._entries_start = decoded.entries_start
        return decoded

    @property
    def _new_path(self) -> Path:
        return self.path.with_name(self.path.name + ".new")

    @property
    def _old_path(self) -> Path:
        return self.path.with_name(self.path.name + ".old")

    @property
    def size(self) -> int:
        """Bytes of the log up to its last durable frame (the zeros after it not counted)."""
        return self._size

    @property
    def bytes_since_snapshot(self) -> int:
        """Bytes of frames after the snapshot (or the header): what a start replays."""
        return self._size - self._entries_start

    @property
    def snapshot_bytes(self) -> int:
        """Size of the snapshot frame the log starts with (0 without one)."""
        return self._entries_start - len(FILE_HEADER)

    def _create(self) -> None:
        temporary = self.path.with_name(self.path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, FILE_HEADER)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        _fsync_directory(self.path.parent)  # the new name survives a power cut too

    def start_sync(self) -> None:
        """Start the sync process now, so that the first commit does not wait for it to start
        (a Python start-up: tens of milliseconds). On the event loop's thread; a no-op without
        `fsync_every_commit` or when it runs already."""
        if self._fsync and self._sync is None:
            self._sync = SyncProcess(self.path)

    def write(
        self,
        entries: list[JournalEntry],
        on_durable: Callable[[OSError | None], None],
        *,
        sync_now: bool = False,
    ) -> None:
        """Append `entries` as one frame now; `on_durable(None)` once it is durable, or
        `on_durable(error)` if it never will be (its bytes are zeroed again by then). Without
        `fsync_every_commit` that is at once, inside this call. Else it comes from the sync
        process's answer, on the event loop: frames may be written while earlier ones are
        still being synced (one fdatasync covers every frame written before it), and they are
        answered in order. When one fails, every frame not yet durable fails with it.

        `sync_now` (the caller has nothing else to do meanwhile: a lone packet at light
        traffic): when no earlier frame waits for the sync process, fdatasync here, on the
        event loop, and answer within the call. The loop is blocked for the sync, but is spared
        the round trip to the sync process (two pipe writes, a wake-up of each process), which
        costs more CPU than the wait when nothing else is going on.

        Raises:
            OSError: the write itself failed; every frame not yet durable is cut off (their
                `on_durable` get an error), `on_durable` of this one is not called.
        """
        fd = self._fd
        if fd is None:
            raise RuntimeError("the ledger log is not open (read it first)")
        frame = encode_frame(entries)
        epoch, start = self._epoch, self._written
        sync = self._sync
        inline = sync_now and (sync is None or not sync.waiting)
        try:
            if start + len(frame) > self._allocated:
                self._preallocate(fd, start + len(frame))
            end = self._written = _pwrite_all(fd, frame, start)
            if self._fsync and not inline:
                self.start_sync()
                assert self._sync is not None
                self._sync.request(lambda error: self._synced(epoch, end, error, on_durable))
        except BaseException:
            self._written = max(self._written, start + len(frame))  # a write cut short too
            self._cut_off_unsynced(fd)
            raise
        if not self._fsync:
            self._size = end
            on_durable(None)
        elif inline:
            failure: OSError | None = None
            try:
                os.fdatasync(fd)
            except OSError as error:
                failure = error
            self._synced(epoch, end, failure, on_durable)

    def _synced(
        self,
        epoch: int,
        end: int,
        error: OSError | None,
        on_durable: Callable[[OSError | None], None],
    ) -> None:
        if epoch != self._epoch:  # cut off (or the log re-read) since it was written
            on_durable(error or OSError("an earlier frame of the ledger log failed"))
            return
        if error is None:
            self._size = end
            self.syncs += 1
        elif (fd := self._fd) is not None:
            try:
                self._cut_off_unsynced(fd)
            except OSError as cut_error:  # the ledger fails closed on `error` all the same
                _logger.error("cannot cut unsynced frames off the ledger log: %s", cut_error)
        on_durable(error)

    def _cut_off_unsynced(self, fd: int) -> None:
        # Zeros over every frame not yet durable, where padding was (a frame never made durable
        # must not be read back). The frames still waiting for an answer fail by their epoch.
        # A dead sync process is let go: the next commit starts a new one.
        self._epoch += 1
        unsynced = min(self._written, self._allocated) - self._size
        self._written = self._size
        if unsynced > 0:
            _pwrite_all(fd, bytes(unsynced), self._size)
        os.ftruncate(fd, self._allocated)
        with contextlib.suppress(OSError):  # best effort: the ledger fails closed anyway
            os.fsync(fd)
        if self._sync is not None and not self._sync.alive:
            self._retired.add(asyncio.ensure_future(self._sync.close()))
            self._retired = {task for task in self._retired if not task.done()}
            self._sync = None

    async def append(self, entries: list[JournalEntry]) -> None:
        """`write`, awaited: returns once the frame is durable.

        Raises:
            OSError: the write or the sync failed; the log is as it was before the call.
        """
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.write(entries, lambda error: settle(durable, error))
        await durable

    async def compact(self, snapshot_frame: bytes) -> None:
        """Replace the log by one holding only `snapshot_frame` (the whole ledger, including
        what this commit adds; see "Compaction"). Returns once the new log is in place (and
        synced, if set). Not while a frame written before it is still being synced.

        Raises:
            CompactionSkipped: the new log could not be made; nothing changed.
            OSError: the directory sync after the swap failed; the old log was put back, but
                the disk is failing: treat it as a failed commit.
        """
        old_fd = self._fd
        if old_fd is None:
            raise RuntimeError("the ledger log is not open (read it first)")
        size = len(FILE_HEADER) + len(snapshot_frame)
        allocated = size + PREALLOCATE_BYTES
        self._fd = await asyncio.to_thread(self._replace_file, snapshot_frame, allocated)
        self.compactions += 1
        os.close(old_fd)
        self._size = self._written = self._entries_start = size
        self._allocated = allocated
        if self._sync is not None:
            try:
                await self._sync.reopen()  # it held the old file
            except OSError as error:  # the new log is durable already: only the process is lost
                lost: OSError | None = error
            else:
                lost = None
            if lost is not None:  # closed outside the handler (compiled code: no await in one)
                _logger.warning("ledger sync process lost at compaction: %s", lost)
                await self._sync.close()
                self._sync = None  # the next commit starts a new one

    def _replace_file(self, snapshot_frame: bytes, allocated: int) -> int:
        """In a thread (blocking file I/O): make the new log and swap it in; returns its file
        descriptor, open for writing (opened before the swap: nothing can fail after it)."""
        new_path, old_path = self._new_path, self._old_path
        fd = -1
        try:
            fd = os.open(new_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            end = _pwrite_all(fd, FILE_HEADER + snapshot_frame, 0)
            _pwrite_all(fd, bytes(allocated - end), end)
            if self._fsync:
                os.fsync(fd)
            with contextlib.suppress(FileNotFoundError):
                old_path.unlink()
            os.link(self.path, old_path)
            os.replace(new_path, self.path)
        except BaseException as error:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                new_path.unlink()
            with contextlib.suppress(OSError):
                old_path.unlink()
            if isinstance(error, OSError):
                message = f"cannot make a new ledger log: {error}"
                raise CompactionSkipped(error.errno, message) from error
            raise
        try:
            if self._fsync:
                _fsync_directory(self.path.parent)
        except BaseException:
            os.close(fd)
            os.replace(old_path, self.path)  # the old log back: the commit did not happen
            with contextlib.suppress(OSError):
                _fsync_directory(self.path.parent)
            raise
        with contextlib.suppress(OSError):  # a leftover is removed at the next start
            old_path.unlink()
        return fd

    def _preallocate(self, fd: int, needed: int) -> None:
        # On the event loop's thread: a copy of zeros into the page cache, once per chunk; the
        # next sync writes it out (and the new file size) together with its frame.
        start = self._allocated
        stop = max(needed, start + PREALLOCATE_BYTES)
        _pwrite_all(fd, bytes(stop - start), start)
        self._allocated = stop

    async def close(self) -> None:
        """Stop the sync process and close the file."""
        if self._sync is not None:
            await self._sync.close()
            self._sync = None
        for retired in list(self._retired):
            await retired
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _fsync_directory(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _pwrite_all(fd: int, data: bytes, position: int) -> int:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view = view[written:]
        position += written
    return position
