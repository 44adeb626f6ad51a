"""Crash safety: SIGKILL a ledger process under load; nothing reported durable is lost.

The embedded ledger (SQLite, its ledger log appended to or compacted) and the shared ledger
(PostgreSQL, group commits of 16 concurrent workers) alike."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilpnode.ledger import TransferId, check_invariants
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.embedded import EmbeddedLedger
from ilpnode.storage.ledger.shared import PostgresLedger
from tests.integration.ledger import stored_ledger_problems
from tests.support import ManualClock, migrated_throwaway_database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


KILLS = 20
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_until_killed(
    url: str, id_base: int, rng: random.Random, log: Path, compact: list[str]
) -> list[int]:
    """Start the worker, let it run for a random while under load, SIGKILL it."""
    with log.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.ledger_crash_worker", url, str(id_base), *compact],
            cwd=PROJECT_ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        deadline = time.monotonic() + 30
        while "ready" not in log.read_text():
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                pytest.fail(f"worker did not start:\n{log.read_text()}")
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
    output = log.read_text()
    assert "Traceback" not in output, output
    return [int(line.split()[1]) for line in output.splitlines() if line.startswith("durable ")]


@pytest.mark.parametrize("compacting", [False, True], ids=["appending", "compacting"])
async def test_sigkill_under_load_loses_nothing_reported_durable(
    tmp_path: Path, compacting: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    rng = random.Random(20261125)
    # Compacting: a new log every few commits (2 KiB of frames), so kills hit compactions too.
    compact = ["2048"] if compacting else []
    durable: list[int] = []
    for kill in range(KILLS):
        log = tmp_path / f"worker{kill}.log"
        reported = run_until_killed(url, (kill + 1) * 10**9, rng, log, compact)
        assert reported, "the worker made no progress before it was killed"
        durable.extend(reported)

        database = Database(url)
        try:
            # Opening replays the journal and checks it against the stored balances.
            ledger = await EmbeddedLedger.open(database, clock=ManualClock(time.time_ns()))
            try:
                found = await ledger.lookup_transfers([TransferId(i) for i in durable])
                assert {t.id for t in found} == set(durable), f"lost after kill {kill + 1}"
                assert check_invariants(ledger.engine) == []
                if compacting:  # the log was replaced by snapshots, and stays small
                    assert ledger.log is not None
                    assert ledger.log.snapshot_bytes > 0
            finally:
                await ledger.close()
        finally:
            await database.close()


async def test_sigkill_of_a_shared_ledger_process_loses_nothing_reported_durable(
    tmp_path: Path, pg_database_url: str
) -> None:
    rng = random.Random(20261206)
    durable: list[int] = []
    for kill in range(KILLS // 2):
        log = tmp_path / f"worker{kill}.log"
        reported = run_until_killed(pg_database_url, (kill + 1) * 10**9, rng, log, [])
        assert reported, "the worker made no progress before it was killed"
        durable.extend(reported)
        database = Database(pg_database_url)
        try:
            ledger = await PostgresLedger.open(
                database, clock=ManualClock(time.time_ns()), sweep_interval_seconds=None
            )
            try:
                found = await ledger.lookup_transfers([TransferId(i) for i in durable])
                assert {t.id for t in found} == set(durable), f"lost after kill {kill + 1}"
            finally:
                await ledger.close()
            assert await stored_ledger_problems(database) == []
        finally:
            await database.close()
