"""The connector server's busy polling: only for dense traffic, and bounded."""

from __future__ import annotations

import asyncio

from ilpnode.connector.busy_poll import BusyPoller


async def _turns(count: int = 20) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_a_lone_packet_does_not_make_the_loop_poll() -> None:
    poller = BusyPoller(window_ms=5)
    poller.arrived()
    await _turns()
    assert poller.in_flight == 1
    assert poller.polls == 0
    poller.answered()
    await asyncio.sleep(0.02)  # further apart than the window: still light traffic
    poller.arrived()
    await _turns()
    assert poller.polls == 0


async def test_close_arrivals_poll_while_in_flight_and_stop_after_the_window() -> None:
    poller = BusyPoller(window_ms=5)
    poller.arrived()
    poller.arrived()  # within the window of the first: dense
    await _turns()
    early = poller.polls
    assert early > 0
    await asyncio.sleep(0.03)
    late = poller.polls
    await asyncio.sleep(0.03)
    assert poller.polls == late  # the window is over, though both are still in flight
    assert poller.in_flight == 2


async def test_polling_stops_once_nothing_is_in_flight() -> None:
    poller = BusyPoller(window_ms=50)
    poller.arrived()
    poller.arrived()
    await _turns()
    poller.answered()
    poller.answered()
    await _turns(3)
    stopped = poller.polls
    await _turns()
    assert poller.polls == stopped
    assert poller.in_flight == 0


async def test_a_window_of_zero_never_polls() -> None:
    poller = BusyPoller(window_ms=0)
    for _ in range(5):
        poller.arrived()
    await _turns()
    assert poller.polls == 0
    assert poller.in_flight == 5
