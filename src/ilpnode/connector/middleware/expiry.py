"""Expiry: refuse what has expired, give the next hop less time, and never wait past it.

Three rules (RFC 0027 "ILP Packet Lifecycle"; Rafiki's values, rafiki-peering §5.2 items 13-14):

- `IncomingExpiry` (first): a Prepare that expired before we read it is R02.
- `ReduceExpiry` (just before the money is reserved, so a refused packet reserves nothing): the
  next hop gets `min(expiry - min_window, received + max_hold)`; if that leaves less than
  `min_window` from now, R02. The window pays for the Fulfill's way back to the sender.
- `OutgoingTimeout` (around the call to the next hop): the time left until the reduced expiry
  is the next hop's deadline (`PacketContext.timeout_seconds`, which the peer client enforces);
  when it passes with no answer, R00 `packet expired.`, and the balance middleware above voids
  the reservation.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime

from ilpnode.clock import Clock
from ilpnode.connector.errors import InsufficientTimeout, TransferTimedOut
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import Prepare

__all__ = ["IncomingExpiry", "OutgoingTimeout", "ReduceExpiry", "expiry_ms"]

_NS_PER_MS = 1_000_000
_NS_PER_SECOND = 1_000_000_000


def expiry_ms(prepare: Prepare) -> int:
    """The Prepare's expiry in Unix milliseconds (exact: wire expiries are whole ms)."""
    return round(prepare.expires_at.timestamp() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


class IncomingExpiry:
    def __init__(self, next_: Handler) -> None:
        self._next = next_

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        now_ms = context.received_ns // _NS_PER_MS
        expires_at_ms = context.expires_at_ms
        if expires_at_ms <= now_ms:
            raise InsufficientTimeout(
                "source transfer has already expired. "
                f"sourceExpiry={_iso(expires_at_ms)} currentTime={_iso(now_ms)}"
            )
        return self._next(prepare, context)


class ReduceExpiry:
    def __init__(self, next_: Handler, *, min_window_ms: int, max_hold_ms: int) -> None:
        self._next = next_
        self._min_window_ms = min_window_ms
        self._max_hold_ms = max_hold_ms

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        now_ms = context.received_ns // _NS_PER_MS
        source_ms = context.expires_at_ms
        window_ms = self._min_window_ms
        outgoing_ms = min(source_ms - window_ms, now_ms + self._max_hold_ms)
        if outgoing_ms < now_ms + window_ms:
            raise InsufficientTimeout(
                "source transfer expires too soon to complete payment. "
                f"actualSourceExpiry={_iso(source_ms)} "
                f"requiredSourceExpiry={_iso(now_ms + 2 * window_ms)} currentTime={_iso(now_ms)}"
            )
        outgoing = prepare.with_expiry_ms(outgoing_ms)
        context.expires_at_ms = outgoing_ms
        return self._next(outgoing, context)


class OutgoingTimeout:
    def __init__(self, next_: Handler, *, clock: Clock) -> None:
        self._next = next_
        self._clock = clock

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        remaining_ns = context.expires_at_ms * _NS_PER_MS - self._clock.now_ns()
        if remaining_ns <= 0:
            raise TransferTimedOut("packet expired.")
        # The next hop's client enforces it (one timer on its answer, no task cancellation).
        context.timeout_seconds = remaining_ns / _NS_PER_SECOND
        return self._next(prepare, context)
