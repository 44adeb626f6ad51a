"""The wall clock, in one place: everything below `bootstrap` receives time as an argument.

`Clock` is the one protocol every layer takes (the ledger's backends, the packet path, the
services' timestamps); `SystemClock` is the real one, built by the composition root, and tests
pass a clock they move by hand (`tests/support.ManualClock`). This module sits outside the
layers so that all of them may import it, and imports nothing of the node's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Wall-clock time, injected so that tests control it."""

    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch (the ledger and the packet path)."""
        ...

    def now(self) -> datetime:
        """The current time, timezone-aware UTC (created_at, updated_at, deleted_at)."""
        ...


class SystemClock:
    """Real time. Satisfies `Clock`."""

    def now_ns(self) -> int:
        return time.time_ns()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        """Unix time in milliseconds (Admin API signatures)."""
        return time.time_ns() // 1_000_000
