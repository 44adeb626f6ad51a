"""The shared ledger when its connection breaks mid-transaction: the caller learns whether the
outcome is unknown (`DatabaseUnavailable.outcome_unknown`), and a post or void of the same
pending transfer on the next connection tells what happened.

The writer's connection is wrapped so that it breaks at a chosen point: before the transaction's
first statement reaches the server (nothing was written: the writer runs the call again on a new
connection), or just after the server ran COMMIT (the answer "lost": the outcome is unknown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from ilpnode.ledger import CreateTransferStatus, LedgerUnavailable, TransferId
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.shared import PostgresLedger
from ilpnode.storage.ledger.shared_writer import DatabaseUnavailable
from tests.integration.ledger import OTHER, PEER, available, one, open_chart, stored_ledger_problems
from tests.support import ManualClock
from tests.unit.ledger.builders import pending, post, transfer, void

pytestmark = pytest.mark.postgres

S = CreateTransferStatus


class BreakingConnection:
    """An asyncpg connection that breaks once, at `where`: "before-read" (the lock-and-read
    statement never runs) or "after-commit" (COMMIT runs, its answer is lost)."""

    def __init__(self, real: asyncpg.Connection, where: str) -> None:
        self._real = real
        self.where: str | None = where

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _break(self) -> None:
        self.where = None
        self._real.terminate()
        raise asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        if self.where == "before-read":
            self._break()
        return await self._real.fetch(*args, **kwargs)

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        result = await self._real.execute(query, *args, **kwargs)
        if "COMMIT;" in query and self.where == "after-commit":
            self._break()
        return result


@pytest.fixture
async def ledger(pg_url: str) -> AsyncIterator[PostgresLedger]:
    database = Database(pg_url)
    opened = await PostgresLedger.open(database, clock=ManualClock(), sweep_interval_seconds=None)
    yield opened
    await opened.close()
    await database.close()


def break_next_connection(ledger: PostgresLedger, where: str, times: int = 1) -> None:
    """The writer's next `times` connections break at `where` (the current one is dropped
    first)."""
    writer = ledger._writer
    connect = writer._connect
    armed = [where] * times

    async def connect_once() -> Any:
        real = await connect()
        return BreakingConnection(real, armed.pop()) if armed else real

    writer._connect = connect_once
    assert writer._connection is not None
    writer._connection.terminate()  # found closed before the next call: replaced


async def test_a_connection_lost_after_commit_is_an_unknown_outcome_the_next_call_settles(
    ledger: PostgresLedger, pg_url: str
) -> None:
    await open_chart(ledger, credit_line=100)
    [reserved] = await ledger.create_transfers([pending(10, PEER, OTHER, 30, timeout=60)])
    assert reserved.status is S.CREATED
    break_next_connection(ledger, "after-commit")

    with pytest.raises(DatabaseUnavailable) as lost:
        await ledger.create_transfers([post(11, 10)])
    assert isinstance(lost.value, LedgerUnavailable)
    assert lost.value.outcome_unknown
    # It had been committed: a void of the same pending transfer says so (and changes nothing).
    [voided] = await ledger.create_transfers([void(12, 10)])
    assert voided.status is S.PENDING_TRANSFER_ALREADY_POSTED
    [posted] = await ledger.lookup_transfers([TransferId(11)])
    assert posted.pending_id == 10
    peer = await one(ledger, PEER)
    assert (peer.debits_posted, peer.debits_pending, available(peer)) == (30, 0, 70)
    database = Database(pg_url)
    try:
        assert await stored_ledger_problems(database) == []
    finally:
        await database.close()


async def test_a_connection_lost_before_its_read_is_replaced_and_the_call_runs_once(
    ledger: PostgresLedger,
) -> None:
    await open_chart(ledger, credit_line=100)
    break_next_connection(ledger, "before-read")
    commits = ledger.commits

    # A plain transfer is decided on a read (a post of this process's own reservation is not).
    [spent] = await ledger.create_transfers([transfer(11, PEER, OTHER, 30)])  # nothing sent: again
    assert spent.status is S.CREATED
    assert ledger.commits == commits + 1
    [again] = await ledger.create_transfers([transfer(11, PEER, OTHER, 30)])
    assert again.status is S.EXISTS
    assert available(await one(ledger, PEER)) == 70


async def test_a_connection_that_keeps_breaking_before_its_read_fails_the_call(
    ledger: PostgresLedger,
) -> None:
    await open_chart(ledger, credit_line=100)
    break_next_connection(ledger, "before-read", times=2)

    with pytest.raises(DatabaseUnavailable) as lost:
        await ledger.create_transfers([transfer(11, PEER, OTHER, 30)])
    assert not lost.value.outcome_unknown
    assert await ledger.lookup_transfers([TransferId(11)]) == []
    [spent] = await ledger.create_transfers([transfer(11, PEER, OTHER, 30)])
    assert spent.status is S.CREATED
    assert available(await one(ledger, PEER)) == 70
