"""The embedded ledger's expiry sweep: pending transfers released at their deadline.

A task per ledger wakes at the engine's next pending deadline (at least every
`SWEEP_INTERVAL_SECONDS_MAX`, so a deadline added while it sleeps is not missed long) and calls
`expire_due`, which releases the due reservations and journals the expiries, durably. A post or
void after the deadline is refused as expired by the engine itself, swept or not. The sweep
stops when the ledger becomes unavailable; its recovery starts a new one.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from ilpnode.clock import Clock
from ilpnode.ledger import LedgerEngine
from ilpnode.ledger.errors import LedgerUnavailable

__all__ = ["SWEEP_INTERVAL_SECONDS_MAX", "sweep_expired"]

SWEEP_INTERVAL_SECONDS_MAX = 1.0


class Expiring(Protocol):
    @property
    def engine(self) -> LedgerEngine: ...

    async def expire_due(self) -> int: ...


async def sweep_expired(ledger: Expiring, clock: Clock) -> None:
    """Expire due pending transfers until the ledger is unavailable (or the task is cancelled)."""
    while True:
        next_deadline = ledger.engine.next_expires_at()
        delay = SWEEP_INTERVAL_SECONDS_MAX
        if next_deadline is not None:
            delay = max(0.0, min(delay, (next_deadline - clock.now_ns()) / 1e9))
        await asyncio.sleep(delay)
        try:
            await ledger.expire_due()
        except LedgerUnavailable:
            break  # recovery starts a new sweep
