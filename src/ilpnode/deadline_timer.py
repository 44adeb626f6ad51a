"""A deadline enforced by one event-loop timer kept across deadlines, not one timer per deadline.

Theory of operation
===================

`DeadlineTimer(loop, fire)` calls `fire()` once the loop's time reaches the deadline last `set`,
unless `clear` or `cancel` came first. It holds at most one loop timer:

- `set(when)` keeps a timer already armed no later than `when`; one armed later is replaced.
- When the timer goes off: no deadline (cleared): nothing happens, and the timer is gone; a
  deadline later than the instant it was armed for (moved on since): it is armed again for
  that; else the deadline is forgotten and `fire()` is called.
- `clear()` forgets the deadline and leaves the timer to lapse; `cancel()` also drops the timer
  (when nothing will need it soon: shutdown, light traffic, a closed connection).

A user whose deadlines move forward with each request (a connection's answers, the ledger's
deferred flush) makes about one timer per deadline span instead of one per request: making and
cancelling event-loop timers was a visible share of the packet path (docs/benchmarks.md). The
price is a timer that may go off once with nothing to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["DeadlineTimer"]


class DeadlineTimer:
    """Calls `fire()` at the deadline last `set` (loop time), unless cleared first."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fire: Callable[[], None]) -> None:
        self._loop = loop
        self._fire = fire
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for = 0.0
        self._deadline: float | None = None

    @property
    def armed(self) -> bool:
        """Whether a loop timer is pending (it may lapse with nothing to do)."""
        return self._handle is not None

    def set(self, when: float) -> None:
        """Call `fire()` at loop time `when` (replacing any earlier deadline)."""
        self._deadline = when
        handle = self._handle
        if handle is not None:
            if self._armed_for <= when:
                return  # it goes off first, and is armed again for the rest
            handle.cancel()
        self._arm(when)

    def clear(self) -> None:
        """Forget the deadline; a pending timer lapses when it goes off."""
        self._deadline = None

    def cancel(self) -> None:
        """Forget the deadline and drop the pending timer now."""
        self._deadline = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self, when: float) -> None:
        self._handle = self._loop.call_at(when, self._went_off)
        self._armed_for = when

    def _went_off(self) -> None:
        self._handle = None
        deadline = self._deadline
        if deadline is None:
            return
        if deadline > self._armed_for:
            self._arm(deadline)
            return
        self._deadline = None
        self._fire()
