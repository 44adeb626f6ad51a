"""`DeadlineTimer`: one loop timer kept across deadlines, calling back once each is reached."""

from __future__ import annotations

import asyncio

from ilpnode.deadline_timer import DeadlineTimer


class Recorder:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.fired: list[float] = []

    def __call__(self) -> None:
        self.fired.append(self.loop.time())


def _timer() -> tuple[DeadlineTimer, Recorder, asyncio.AbstractEventLoop]:
    loop = asyncio.get_running_loop()
    recorder = Recorder(loop)
    return DeadlineTimer(loop, recorder), recorder, loop


async def test_fires_once_at_its_deadline() -> None:
    timer, recorder, loop = _timer()
    timer.set(loop.time() + 0.02)
    assert timer.armed
    await asyncio.sleep(0.1)
    assert len(recorder.fired) == 1
    assert not timer.armed


async def test_a_later_deadline_keeps_the_timer_and_waits_on() -> None:
    timer, recorder, loop = _timer()
    timer.set(loop.time() + 0.02)
    later = loop.time() + 0.12
    timer.set(later)
    await asyncio.sleep(0.06)  # the first instant has gone by: it armed itself again
    assert recorder.fired == []
    assert timer.armed
    await asyncio.sleep(0.15)
    assert len(recorder.fired) == 1
    assert recorder.fired[0] >= later - 0.002  # the loop's timers round to milliseconds


async def test_an_earlier_deadline_replaces_the_timer() -> None:
    timer, recorder, loop = _timer()
    timer.set(loop.time() + 10)
    timer.set(loop.time() + 0.02)
    await asyncio.sleep(0.1)
    assert len(recorder.fired) == 1


async def test_a_cleared_deadline_lapses_without_a_call() -> None:
    timer, recorder, loop = _timer()
    timer.set(loop.time() + 0.02)
    timer.clear()
    assert timer.armed  # left to lapse
    await asyncio.sleep(0.08)
    assert recorder.fired == []
    assert not timer.armed


async def test_cancel_drops_the_timer_at_once() -> None:
    timer, recorder, loop = _timer()
    timer.set(loop.time() + 0.02)
    timer.cancel()
    assert not timer.armed
    await asyncio.sleep(0.08)
    assert recorder.fired == []
    timer.set(loop.time() + 0.01)  # usable again
    await asyncio.sleep(0.06)
    assert len(recorder.fired) == 1
