"""The wall clock, in one place: everything below `bootstrap` receives time as an argument."""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["SystemClock"]


class SystemClock:
    """Real time. Satisfies `ilpnode.ledger.ports.Clock` (and whatever else needs `now`)."""

    def now_ns(self) -> int:
        return time.time_ns()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        """Unix time in milliseconds (Admin API signatures)."""
        return time.time_ns() // 1_000_000
