"""Busy polling: the connector's server keeps the event loop turning while packets are in flight,
but only when packets come close together.

Theory of operation
===================

A packet spends most of its life waiting: for the next hop's answer and for its commit (the sync
process's fdatasync). Asleep in `epoll_wait`, the loop pays a wake-up for each answer, with cold
caches after. With a callback always ready, the loop polls instead (`epoll_wait` with no
timeout) and sees each answer at once: more packets per second and a lower p50 when packets
follow each other closely and the machine has a core to spare (docs/benchmarks.md, "Polling
while any packet is in flight").

It is not free: every turn spent polling is CPU that a peer on the same cores (a load generator,
a fulfiller, a STREAM sender) does not get, and a lone packet gains little from it. So polling
is adaptive, decided at each arrival (`arrived`) from two numbers and no timer:

- **Dense traffic only.** A packet starts or extends the polling only if it arrived within
  `window_ms` of the one before it. At light traffic (arrivals further apart than the window,
  e.g. 100 packets/s against a 2 ms window) the loop never polls, so such a node sleeps between
  packets as it would without the setting. Under load, arrivals are close and it polls.
- **Bounded.** Polling goes on while any packet is in flight (`arrived` ... `answered`) and until
  `window_ms` after the latest dense arrival: a slow next hop does not keep a core busy once the
  traffic stops, and the polling per packet is at most the window.

One chain of `call_soon` callbacks does the polling; a new dense arrival moves its deadline.
`window_ms = 0` turns polling off. On the event loop's thread only.
"""

from __future__ import annotations

import asyncio

__all__ = ["BusyPoller"]


class BusyPoller:
    """Fed by the server: `arrived` when a request starts being answered, `answered` when it
    was. Polls the loop as the module docstring says."""

    def __init__(self, window_ms: float) -> None:
        self._window = window_ms / 1_000  # loop time is in seconds
        self.in_flight = 0
        """Requests arrived and not yet answered."""
        self.polls = 0
        """Turns of the event loop spent polling."""
        self._last_arrival = -1e18
        self._poll_until = 0.0
        self._polling = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def arrived(self) -> None:
        self.in_flight += 1
        window = self._window
        if not window:
            return
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        now = loop.time()
        dense = now - self._last_arrival < window
        self._last_arrival = now
        if not dense:
            return
        self._poll_until = now + window
        if not self._polling:
            self._polling = True
            loop.call_soon(self._poll)

    def answered(self) -> None:
        self.in_flight -= 1

    def _poll(self) -> None:
        loop = self._loop
        if loop is not None and self.in_flight and loop.time() < self._poll_until:
            self.polls += 1
            loop.call_soon(self._poll)
        else:
            self._polling = False
