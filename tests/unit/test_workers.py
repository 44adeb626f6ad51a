"""`ilpnode run --workers`: when it is refused, and how long a crashed worker waits."""

from __future__ import annotations

import pytest

from ilpnode.workers import (
    RESTART_DELAY_MAX_SECONDS,
    RESTART_DELAY_MIN_SECONDS,
    refusal,
    restart_delay,
)
from tests.support import make_settings

POSTGRES = "postgresql://postgres@127.0.0.1:5432/ilpnode"


def test_the_shared_ledger_may_run_workers() -> None:
    assert refusal(make_settings(database_url=POSTGRES, ledger_backend="postgres"), 4) is None


@pytest.mark.parametrize(
    ("database_url", "on"), [("sqlite:///node.sqlite3", " on SQLite"), (POSTGRES, "")]
)
def test_the_embedded_ledger_may_not(database_url: str, on: str) -> None:
    reason = refusal(make_settings(database_url=database_url, ledger_backend="embedded"), 2)

    assert reason is not None
    assert reason.startswith("--workers 2 needs the shared ledger: set LEDGER_BACKEND=postgres")
    assert f"uses the embedded ledger{on}, which one process owns" in reason


def test_the_restart_delay_doubles_per_failure_up_to_the_maximum() -> None:
    delays = [restart_delay(failures) for failures in range(1, 40)]

    assert delays[:3] == [RESTART_DELAY_MIN_SECONDS, 2 * RESTART_DELAY_MIN_SECONDS, 4.0]
    assert delays == sorted(delays)
    assert delays[-1] == RESTART_DELAY_MAX_SECONDS
