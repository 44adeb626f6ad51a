"""The embedded ledger's journal on SQLite: an append-only file of checksummed frames.

Every forwarded packet adds two journal entries (its reservation, then its post or void).
Stored as SQLite rows they cost two B-tree inserts, three index updates and a balance update
each, and SQLite's commit writes and syncs several pages; here a group commit is one `write` of
one frame (`ledger_log_codec`) and, for `LEDGER_DURABILITY=power-loss`, one `fdatasync`. Both
run on a thread of their own and release the GIL, so the event loop keeps forwarding packets
while the disk works.

The file lives next to the database (`<database>-ledger.log`) and belongs to it: back up,
move and delete the two together. Accounts, transfers and expiries all go to the log;
SQLite keeps the assets and peers. The balances are not stored separately: the engine rebuilds
them by replaying the log, re-validating every entry (`LedgerEngine.replay`).

Failure: if a write or sync fails, the frame is cut off again (`ftruncate` to the last frame
that was written whole) so that a rebuild sees exactly what callers were told is durable.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ilpnode.ledger import JournalEntry
from ilpnode.storage.ledger_log_codec import FILE_HEADER, DecodedLog, decode_log, encode_frame

__all__ = ["LedgerLog", "ledger_log_path"]


def ledger_log_path(sqlite_path: str) -> Path:
    """Where the ledger log of the SQLite database at `sqlite_path` lives."""
    return Path(f"{sqlite_path}-ledger.log")


class LedgerLog:
    """Appends frames to one log file, one at a time, from a dedicated thread."""

    def __init__(self, path: Path, *, fsync_every_commit: bool = True) -> None:
        self.path = path
        self._fsync = fsync_every_commit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-log")
        self._fd: int | None = None
        self._size = 0  # end of the last frame written whole

    def read(self) -> DecodedLog:
        """Every entry in the log (creating an empty log if there is none); a torn tail (a
        frame cut short by a crash, never acknowledged) is cut off so appends follow the last
        good frame.

        Raises:
            LogCorruptionError: the log is damaged before its end.
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self.path.exists():
            self._create()
        decoded = decode_log(self.path.read_bytes())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        if decoded.torn_bytes:
            os.ftruncate(self._fd, decoded.good_end)
            os.fsync(self._fd)
        self._size = decoded.good_end
        return decoded

    def _create(self) -> None:
        temporary = self.path.with_name(self.path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, FILE_HEADER)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new name survives a power cut too
        finally:
            os.close(directory)

    async def append(self, entries: list[JournalEntry]) -> None:
        """Append `entries` as one frame; returns once it is written (and synced, if set).

        Raises:
            OSError: the write or the sync failed; the log is as it was before the call.
        """
        frame = encode_frame(entries)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._write, frame)

    def _write(self, frame: bytes) -> None:
        fd = self._fd
        if fd is None:
            raise RuntimeError("the ledger log is not open (read it first)")
        try:
            view = memoryview(frame)
            position = self._size
            while view:
                written = os.pwrite(fd, view, position)
                view = view[written:]
                position += written
            if self._fsync:
                os.fdatasync(fd)
        except BaseException:
            os.ftruncate(fd, self._size)
            raise
        self._size = position

    async def close(self) -> None:
        """Close the file and stop the thread (after a write in progress)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
