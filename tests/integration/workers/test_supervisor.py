"""The `--workers` supervisor (`ilpnode.workers`) with stand-in worker bodies: a failed start
stops the others, a crash loop backs off, SIGTERM stops every worker."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import pytest

from ilpnode import workers
from ilpnode.workers import _Supervisor
from tests.support import make_settings

from . import fake_workers

SETTINGS = make_settings(
    database_url="postgresql://postgres@127.0.0.1:9/unused", ledger_backend="postgres"
)


async def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, count: int = 1) -> None:
    for _ in range(600):
        if caplog.text.count(text) >= count:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"never logged {text!r} {count} times:\n{caplog.text}")


async def test_sigterm_stops_every_worker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="ilpnode")
    supervisor = _Supervisor(SETTINGS, 2, "key", target=fake_workers.serve_until_sigterm)
    running = asyncio.create_task(supervisor.run())
    await wait_for_log(caplog, "ilpnode ready: 2 workers")
    os.kill(os.getpid(), signal.SIGTERM)  # the supervisor's handler, on this loop

    assert await asyncio.wait_for(running, 30) == 0
    assert "SIGTERM received: stopping 2 workers" in caplog.text
    assert "all workers stopped" in caplog.text
    assert "starting it again" not in caplog.text


async def test_a_worker_that_fails_to_start_stops_the_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="ilpnode")
    supervisor = _Supervisor(SETTINGS, 2, None, target=fake_workers.second_fails_to_start)

    assert await asyncio.wait_for(supervisor.run(), 30) == 1
    assert "a worker did not start: stopping the others" in caplog.text
    assert re.search(r"worker 2 \(pid \d+\) exited with status 1", caplog.text)
    assert "ilpnode ready" not in caplog.text
    assert "starting it again" not in caplog.text


async def test_a_crash_loop_backs_off(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level("INFO", logger="ilpnode")
    monkeypatch.setattr(workers, "RESTART_DELAY_MIN_SECONDS", 0.05)
    supervisor = _Supervisor(SETTINGS, 1, None, target=fake_workers.crash_once_ready)
    running = asyncio.create_task(supervisor.run())
    await wait_for_log(caplog, "starting it again", count=4)
    os.kill(os.getpid(), signal.SIGTERM)

    assert await asyncio.wait_for(running, 30) == 1
    delays = re.findall(r"exited with status 3: starting it again in (\S+) s", caplog.text)
    assert delays[:4] == ["0.05", "0.1", "0.2", "0.4"]
