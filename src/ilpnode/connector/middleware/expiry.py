"""Expiry: refuse what has expired, give the next hop less time, and never wait past it.

Three rules (RFC 0027 "ILP Packet Lifecycle"; Rafiki's values, rafiki-peering §5.2 items 13-14):

- `IncomingExpiry` (first): a Prepare that expired before we read it is R02.
- `ReduceExpiry` (just before the money is reserved, so a refused packet reserves nothing): the
  next hop gets `min(expiry - min_window, received + max_hold)`; if that leaves less than
  `min_window` from now, R02. The window pays for the Fulfill's way back to the sender. The
  reduced expiry is `PacketContext.expires_at_ns`, which every handler after it reads; the
  Prepare object keeps the expiry it arrived with (`Prepare.expires_at` below this point is
  the incoming one), and the forwarded packet is written with the context's.
- `OutgoingTimeout` (around the call to the next hop): the time left until the reduced expiry
  is the next hop's deadline (`PacketContext.timeout_ns`, which the peer client enforces);
  when it passes with no answer, R00 `packet expired.`, and the balance middleware above voids
  the reservation.

One unit: every instant and duration here is in nanoseconds, as the clock gives them
(`PacketContext.received_ns`, `expires_at_ns`, `timeout_ns`). Milliseconds appear only at the
edges: the settings (`min_window_ms`, `max_hold_ms`, converted once) and the wire, whose
expiries are whole milliseconds (`expiry_ns` reads one, `ReduceExpiry` writes one). Rafiki
compares in whole milliseconds, so the reduction does too (the instant of arrival rounded down).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime

from ilpnode.clock import Clock
from ilpnode.connector.errors import InsufficientTimeout, TransferTimedOut
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import Prepare, prepare_expires_ms

__all__ = ["IncomingExpiry", "OutgoingTimeout", "ReduceExpiry", "expiry_ns"]

_NS_PER_MS = 1_000_000


def expiry_ns(prepare: Prepare, raw: bytes = b"") -> int:
    """The Prepare's expiry in Unix nanoseconds (whole milliseconds on the wire: exact).
    `raw`, when given, is `prepare` encoded: its digits are read with integer arithmetic
    (`prepare_expires_ms`), cheaper than the datetime's `timestamp()` and its float."""
    if raw:
        return prepare_expires_ms(raw) * _NS_PER_MS
    return round(prepare.expires_at.timestamp() * 1000) * _NS_PER_MS


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns // _NS_PER_MS / 1000, UTC).isoformat(timespec="milliseconds")


class IncomingExpiry:
    def __init__(self, next_: Handler) -> None:
        self._next = next_

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        now_ns = context.received_ns
        expires_at_ns = context.expires_at_ns
        if expires_at_ns <= now_ns:
            raise InsufficientTimeout(
                "source transfer has already expired. "
                f"sourceExpiry={_iso(expires_at_ns)} currentTime={_iso(now_ns)}"
            )
        return self._next(prepare, context)


class ReduceExpiry:
    def __init__(self, next_: Handler, *, min_window_ms: int, max_hold_ms: int) -> None:
        self._next = next_
        self._min_window_ns = min_window_ms * _NS_PER_MS
        self._max_hold_ns = max_hold_ms * _NS_PER_MS

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        received_ns = context.received_ns
        now_ns = received_ns - received_ns % _NS_PER_MS  # whole ms, as Rafiki's
        source_ns = context.expires_at_ns
        window_ns = self._min_window_ns
        outgoing_ns = min(source_ns - window_ns, now_ns + self._max_hold_ns)
        if outgoing_ns < now_ns + window_ns:
            raise InsufficientTimeout(
                "source transfer expires too soon to complete payment. "
                f"actualSourceExpiry={_iso(source_ns)} "
                f"requiredSourceExpiry={_iso(now_ns + 2 * window_ns)} currentTime={_iso(now_ns)}"
            )
        # Whole milliseconds: the source expiry, the window and the hold all are. The
        # Prepare object is passed on as it came; the forwarded bytes carry this expiry
        # (`Connector._forward`), so no Prepare is made again per packet.
        context.expires_at_ns = outgoing_ns
        return self._next(prepare, context)


class OutgoingTimeout:
    def __init__(self, next_: Handler, *, clock: Clock) -> None:
        self._next = next_
        self._clock = clock

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        remaining_ns = context.expires_at_ns - self._clock.now_ns()
        if remaining_ns <= 0:
            raise TransferTimedOut("packet expired.")
        # The next hop's client enforces it (one timer on its answer, no task cancellation).
        context.timeout_ns = remaining_ns
        return self._next(prepare, context)
