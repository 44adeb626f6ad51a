"""The stop request the node's servers share (`ilpnode.exit_request`)."""

from __future__ import annotations

import asyncio
import time

from ilpnode.exit_request import ExitRequest


async def test_sleep_lasts_its_time_while_nothing_is_requested() -> None:
    request = ExitRequest()
    began = time.monotonic()
    assert await request.sleep(0.05) is False
    assert time.monotonic() - began >= 0.04


async def test_a_request_wakes_a_sleeper_at_once() -> None:
    request = ExitRequest()
    sleeper = asyncio.create_task(request.sleep(30))
    await asyncio.sleep(0)
    request.set(True)
    assert await asyncio.wait_for(sleeper, 1) is True
    assert request.requested
    assert await asyncio.wait_for(request.sleep(30), 1) is True  # already set: no wait


async def test_a_request_taken_back_lets_sleep_last_again() -> None:
    request = ExitRequest()
    request.set(True)
    request.set(False)
    assert not request.requested
    assert await request.sleep(0.01) is False
