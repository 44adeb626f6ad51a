"""The ledger log's sync process: `fdatasync`s the log file whenever the node asks.

Run as a script (`python sync_helper.py LOG_PATH`, by `sync_process.SyncProcess`), never
imported by the node. Protocol on stdin/stdout: every byte read is one request; after reading
what is there, one `fdatasync` covers all of them (each was sent after its frame was written),
after opening the log's path again first if one of them is `r` (a compaction replaced the
file), and one answer byte per request goes back: `k` synced, `e` the sync failed (then the process
exits: after a failed fsync the kernel may have dropped the unsynced pages, and only a rebuild
from what is on disk is safe). End of input, or a closed answer pipe (the node closed the pipe
or died), ends it quietly.

Stopping is the node's business, not this process's: it ignores SIGINT and SIGTERM (and is
started in a session of its own, so a terminal's Ctrl-C does not reach it), so a stop signalled
to the whole process group (Ctrl-C, systemd's `KillMode=control-group`) cannot fail the node's
last commits; the node closes the request pipe when it has flushed, and that ends this process.

Why a process and not a thread: a thread returning from `fdatasync` must take the GIL back
before it can say so, and behind a busy event loop that took up to the GIL's switch interval
(5 ms) per commit. This process holds no GIL of the node's.
"""

import os
import signal
import sys


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    path = sys.argv[1]
    log = os.open(path, os.O_WRONLY | os.O_CLOEXEC)  # never written through: for syncs
    while True:
        try:
            requests = os.read(0, 4096)
        except InterruptedError:  # pragma: no cover - retried by the OS on Linux
            continue
        if not requests:
            return 0
        try:
            if b"r" in requests:
                os.close(log)
                log = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            os.fdatasync(log)
        except OSError:
            _answer(b"e" * len(requests))
            return 1
        if not _answer(b"k" * len(requests)):
            return 0


def _answer(answers: bytes) -> bool:
    """False if the node is gone (it closed the pipe, or was killed): then just stop."""
    try:
        os.write(1, answers)
    except OSError:  # BrokenPipeError mostly
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
