"""Keeps Python's cyclic garbage collector away from the ledger's records.

The embedded ledger keeps every account and transfer in memory (two records per forwarded
packet), and every record is an object the cyclic collector tracks. Its full collections walk
all tracked objects, so their pauses grow with the ledger: on the connector benchmark, freezing
cut both the tail latency and the CPU per packet (docs/benchmarks.md).

The records never take part in reference cycles, so collecting them is pure waste.
`gc.freeze()` moves every object alive at that moment into a permanent generation that
collections skip. The node freezes once it has rebuilt its ledger, and then every
`FREEZE_INTERVAL_SECONDS`, after a collection of the young generations (cheap: only recent
objects), so what is frozen is what survived. The generations' thresholds are raised
(`THRESHOLDS`): fewer, larger young collections cost less per object, and with the freezer
keeping the old generation small, full collections are only a backstop.

The packet path creates no cyclic garbage (a test checks that), so what the freezer gives up
is the collection of cycles made of objects that were alive at a freeze and became garbage
later: a closed connection's few objects, now and then. Reference counting still frees
everything else at once.
"""

from __future__ import annotations

import asyncio
import gc

__all__ = ["FREEZE_INTERVAL_SECONDS", "THRESHOLDS", "freeze_periodically", "freeze_survivors"]

FREEZE_INTERVAL_SECONDS = 1.0
THRESHOLDS = (10_000, 20, 100)
"""Python's defaults are (700, 10, 10)."""


def freeze_survivors() -> None:
    """Collect the young generations, then move every live object out of the collector's way."""
    gc.collect(1)
    gc.freeze()


async def freeze_periodically(interval_seconds: float = FREEZE_INTERVAL_SECONDS) -> None:
    """Set `THRESHOLDS`, then `freeze_survivors` now and every `interval_seconds`, until
    cancelled (the thresholds stay: the process is a node's)."""
    gc.set_threshold(*THRESHOLDS)
    while True:
        freeze_survivors()
        await asyncio.sleep(interval_seconds)
