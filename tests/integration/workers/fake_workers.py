"""Worker bodies for the supervisor's tests (`ilpnode.workers.WorkerMain`), run in spawned
processes: no node, only the behaviour under test."""

from __future__ import annotations

import signal
import sys
import time
from multiprocessing.connection import Connection
from types import FrameType

from ilpnode.config import Settings


def _exit_on_sigterm() -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)


def serve_until_sigterm(
    _settings: Settings, _number: int, _key: str | None, ready: Connection
) -> None:
    """Says it is ready, then waits for SIGTERM and exits 0."""
    _exit_on_sigterm()
    ready.send("ready")
    while True:
        time.sleep(1)


def second_fails_to_start(
    settings: Settings, number: int, key: str | None, ready: Connection
) -> None:
    """Worker 2 exits 1 before it is ready; the others serve until SIGTERM."""
    if number == 2:
        sys.exit(1)
    serve_until_sigterm(settings, number, key, ready)


def crash_once_ready(
    _settings: Settings, _number: int, _key: str | None, ready: Connection
) -> None:
    """Says it is ready, then exits 3 at once: a crash loop."""
    _exit_on_sigterm()
    ready.send("ready")
    sys.exit(3)
