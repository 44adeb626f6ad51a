"""The ledger log's sync process, seen from the node: `SyncProcess` starts
`sync_helper.py` as a child and turns its answers into callbacks and awaitables.

Why a process: see the helper's docstring. Requests and answers are single bytes over two pipes,
answered in the order asked; the answers are read by the event loop's reader callback, so a
sync costs the loop no wake-up of its own. A failed sync, or a helper that exits, fails every
request still waiting, and the process is not used again (`alive`); the log starts a new one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path

__all__ = ["SYNC_HELPER", "SyncProcess", "settle"]

SYNC_HELPER = Path(__file__).with_name("sync_helper.py")
# A sync process that does not exit within this long after its input closed is killed.
_HELPER_EXIT_SECONDS = 5.0


def settle(future: asyncio.Future[None], error: OSError | None) -> None:
    """Turn an answer callback's outcome into `future`'s (unless it was cancelled meanwhile)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class SyncProcess:
    """`sync_helper` as a child process: `await sync()` returns once it has fdatasynced
    the log (everything written before the call). Made and used on the event loop's thread."""

    def __init__(self, path: Path) -> None:
        self._loop = asyncio.get_running_loop()
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SYNC_HELPER), str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            start_new_session=True,  # a terminal's Ctrl-C is for the node, which stops it
        )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._requests = self._process.stdin.fileno()
        self._answers = self._process.stdout.fileno()
        os.set_blocking(self._answers, False)
        self._waiters: deque[Callable[[OSError | None], None]] = deque()
        self.alive = True
        """False once the process has failed a sync, exited or been closed."""
        self._reading = True
        self._loop.add_reader(self._answers, self._on_answers)

    @property
    def waiting(self) -> int:
        """Requests asked and not yet answered."""
        return len(self._waiters)

    @property
    def pid(self) -> int:
        return self._process.pid

    def request(self, answered: Callable[[OSError | None], None]) -> None:
        """Ask for a sync of everything written so far; `answered(None)` once it is done, or
        `answered(error)`, from the event loop's reader callback, in the order asked.

        Raises: OSError: the process is gone (`answered` is not called).
        """
        self._send(b"s", answered)

    async def sync(self) -> None:
        """Raises: OSError: the sync failed, or the process is gone."""
        await self._ask(b"s")

    async def reopen(self) -> None:
        """Have it open the log's path again (after a compaction replaced the file), and sync.

        Raises: OSError: as for `sync`.
        """
        await self._ask(b"r")

    async def _ask(self, request: bytes) -> None:
        future: asyncio.Future[None] = self._loop.create_future()
        self._send(request, lambda error: settle(future, error))
        await future

    def _send(self, request: bytes, answered: Callable[[OSError | None], None]) -> None:
        if not self.alive:
            raise OSError("the ledger sync process is gone")
        self._waiters.append(answered)
        try:
            os.write(self._requests, request)  # one byte into an empty pipe: does not block
        except OSError:
            self._waiters.pop()
            self._stop_reading()
            raise

    def _on_answers(self) -> None:
        try:
            answers = os.read(self._answers, 4096)
        except BlockingIOError:
            return
        except OSError as error:
            self._fail_waiting(error)
            return
        if not answers:
            self._fail_waiting(OSError("the ledger sync process exited"))
            return
        for answer in answers:
            if not self._waiters:
                break
            answered = self._waiters.popleft()
            if answer == ord("k"):
                answered(None)
            else:  # the process exits after a failed sync
                self._stop_reading()
                answered(OSError("fdatasync of the ledger log failed"))

    def _fail_waiting(self, error: OSError) -> None:
        self._stop_reading()
        while self._waiters:
            self._waiters.popleft()(error)

    def _stop_reading(self) -> None:
        self.alive = False
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._answers)

    async def close(self) -> None:
        """Close its input (it exits), and reap it."""
        self._stop_reading()
        self._fail_waiting(OSError("the ledger sync process was closed"))
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        self._process.stdout.close()
        try:
            await asyncio.to_thread(self._process.wait, _HELPER_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            stuck = True
        else:
            stuck = False
        if stuck:  # killed outside the handler (compiled code: no await in one)
            self._process.kill()
            await asyncio.to_thread(self._process.wait)
