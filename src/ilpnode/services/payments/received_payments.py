"""The payments received by the wallet addresses: one durable summary per STREAM connection.

Theory of operation
===================

A STREAM payment into a wallet address is one connection (one SPSP request hands out one). The
list of payments received keeps, per connection, the wallet address, the asset, the total
received, the packets and the first and latest packet's time (`ReceivedPayment`).

Tallied in memory. The packet path writes nothing: the STREAM receiver adds each fulfilled and
posted packet to a `ReceivedTally` (a dict update), and this log's background task takes the
tally every `FLUSH_INTERVAL_SECONDS` and writes every connection that changed in one
transaction (`ReceivedPaymentStore.add`), which adds to the stored row. Additive, because
several processes may receive packets of one connection (`--workers`, a load balancer): each
adds its share, and the row sums them. `close` writes what is left (the node's shutdown).

If a write fails (the database away), the batch is put back into the tally, merged with what
arrived since, and tried again at the next interval: nothing is lost while the process lives.

What this list is not: the books. The ledger is the source of truth for the balance; this list
can lag it by the flush interval, and after a `kill -9` it misses what the process tallied in
its last second (the balance misses nothing: every packet was posted before its Fulfill left).
It does not count more than the ledger either: only posted packets are tallied, and a batch is
written once (a write commits whole, or fails and is tried again), with one exception in
theory: a commit whose acknowledgement is lost (the database connection drops at that instant)
is tried again and counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final
from uuid import UUID

from ilpnode.services.payments.model import ReceivedPayment
from ilpnode.services.payments.ports import ReceivedPaymentStore
from ilpnode.services.payments.received_tally import ReceivedTally
from ilpnode.services.peering import Page, PageRequest
from ilpnode.uuids import parse_uuid

__all__ = ["CLOSE_TIMEOUT_SECONDS", "FLUSH_INTERVAL_SECONDS", "ReceivedPaymentLog"]

logger = logging.getLogger("ilpnode.payments")

FLUSH_INTERVAL_SECONDS: Final = 1.0
"""How often the tally is written: the most the list lags the ledger while the node runs."""
CLOSE_TIMEOUT_SECONDS: Final = 5.0
"""The longest the last write may take at shutdown (the database may be away)."""


class ReceivedPaymentLog:
    """Writes the `ReceivedTally` in batches and lists the payments (module docstring)."""

    def __init__(
        self,
        *,
        store: ReceivedPaymentStore,
        tally: ReceivedTally,
        interval_seconds: float = FLUSH_INTERVAL_SECONDS,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self._store = store
        self._tally = tally
        self._interval = interval_seconds
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._dropped_reported = 0

    @property
    def tally(self) -> ReceivedTally:
        """What the packet path records into."""
        return self._tally

    async def page(
        self, wallet_address_id: UUID | str, request: PageRequest
    ) -> Page[ReceivedPayment]:
        """A page of the payments the wallet address received (newest first with a DESC
        request; an id that is not a UUID has none). What the last write stored: up to
        `FLUSH_INTERVAL_SECONDS` behind the ledger."""
        id_ = parse_uuid(wallet_address_id)
        if id_ is None:
            return Page(items=(), has_next_page=False, has_previous_page=False)
        return await self._store.page(id_, request)

    async def start(self) -> None:
        """Start writing in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="received-payments")

    async def flush(self) -> int:
        """Write everything tallied so far, now. Returns how many connections were written.

        Raises:
            What the store raised (the tally was put back: nothing is lost).
        """
        async with self._writing:
            taken = self._tally.take()
            if not taken:
                return 0
            failure: BaseException | None = None
            try:
                await self._store.add([tally.summary() for tally in taken])
            except BaseException as error:  # a cancellation too: put back, then raise
                failure = error
            if failure is not None:
                self._tally.put_back(taken)
                raise failure
            return len(taken)

    async def close(self) -> None:
        """Stop, writing what is left (logged, not raised, if the database is away). A write
        under way may finish first (up to `CLOSE_TIMEOUT_SECONDS`): cancelled in its commit, it
        would be put back and could be written twice."""
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_SECONDS)
            if not task.done():  # the database hangs: give up on that write
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        failure: Exception | None = None
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.flush()
        except Exception as error:
            failure = error
        if failure is not None:
            logger.warning(
                "the payments received on %d connections in the last moments are not in the "
                "list (their money is in the ledger): %s",
                len(self._tally),
                failure,
            )

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stop.wait()
            if self._stop.is_set():
                return  # `close` writes the rest
            failure: Exception | None = None
            try:
                await self.flush()
            except Exception as error:  # the database away: kept, tried at the next interval
                failure = error
            if failure is not None:
                logger.warning(
                    "could not write the payments received (%d connections kept, retrying in "
                    "%g s): %s",
                    len(self._tally),
                    self._interval,
                    failure,
                )
            dropped = self._tally.dropped
            if dropped != self._dropped_reported:
                logger.warning(
                    "%d packets are missing from the list of payments received: too many "
                    "connections waited to be written (their money is in the ledger)",
                    dropped - self._dropped_reported,
                )
                self._dropped_reported = dropped
