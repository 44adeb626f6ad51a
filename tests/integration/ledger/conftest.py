"""Fixtures: a freshly opened ledger per test for every backend in `BACKENDS`.

PostgreSQL backends run in a throwaway database created for the test session
(`ilpnode_test_<random>` on the server of `TEST_DATABASE_URL`, migrated once, dropped at the
end), with the ledger tables truncated before each test. SQLite backends get a new file per test.
Without a reachable server the PostgreSQL cases are skipped, except under CI, where they fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import text

from ilpnode.ledger import Ledger
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.embedded import EmbeddedLedger
from ilpnode.storage.ledger.shared import PostgresLedger
from ilpnode.storage.migrate import migrate
from tests.support import (
    ManualClock,
    migrated_throwaway_database,
)

LEDGER_TABLES = "ledger_accounts, ledger_transfers, ledger_expiries, ledger_pending_deadlines"


class ContractLedger(Ledger, Protocol):
    """What the contract suite drives: the port, plus a deterministic sweep and close."""

    async def expire_due(self) -> int:
        """Expire every pending transfer due by the clock's now; durable on return."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backend:
    open: Callable[[Database, ManualClock], Awaitable[ContractLedger]]
    postgres: bool


async def _open_postgres(database: Database, clock: ManualClock) -> ContractLedger:
    return await PostgresLedger.open(database, clock=clock)


async def _open_embedded(database: Database, clock: ManualClock) -> ContractLedger:
    return await EmbeddedLedger.open(database, clock=clock)


BACKENDS: dict[str, Backend] = {
    "postgres": Backend(open=_open_postgres, postgres=True),
    "embedded-sqlite": Backend(open=_open_embedded, postgres=False),
    "embedded-postgres": Backend(open=_open_embedded, postgres=True),
}


class LedgerUnderTest:
    """One backend's ledger on its database, with the clock it reads; can be reopened."""

    def __init__(self, name: str, backend: Backend, url: str) -> None:
        self.name = name
        self.backend = backend
        self.url = url
        self.clock = ManualClock()
        self._database: Database | None = None
        self._ledger: ContractLedger | None = None

    @property
    def ledger(self) -> ContractLedger:
        assert self._ledger is not None, "not open"
        return self._ledger

    @property
    def database(self) -> Database:
        assert self._database is not None, "not open"
        return self._database

    async def start(self) -> None:
        self._database = Database(self.url)
        self._ledger = await self.backend.open(self._database, self.clock)

    async def stop(self) -> None:
        if self._ledger is not None:
            await self._ledger.close()
            self._ledger = None
        if self._database is not None:
            await self._database.close()
            self._database = None

    async def reopen(self) -> None:
        """Close the ledger and its database engine, then open both again on the same data."""
        await self.stop()
        await self.start()


# -- PostgreSQL: one throwaway database per session --------------------------------------------


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database that lives as long as the test session."""
    yield from migrated_throwaway_database()


async def truncate_ledger(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {LEDGER_TABLES}"))
    finally:
        await database.close()


@pytest.fixture
async def pg_url(pg_database_url: str) -> str:
    """The session's PostgreSQL database, with empty ledger tables."""
    await truncate_ledger(pg_database_url)
    return pg_database_url


# -- the contract fixture ----------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.postgres] if backend.postgres else [], id=name)
        for name, backend in BACKENDS.items()
    ]
)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(backend name, database URL). Sync, so the session database is made outside a loop."""
    name: str = request.param
    if BACKENDS[name].postgres:
        return name, request.getfixturevalue("pg_database_url")
    return name, f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture
async def subject(backend_url: tuple[str, str]) -> AsyncIterator[LedgerUnderTest]:
    """A freshly opened ledger of one backend, on an empty migrated database."""
    name, url = backend_url
    backend = BACKENDS[name]
    if backend.postgres:
        await truncate_ledger(url)
    else:
        database = Database(url)
        try:
            await migrate(database)
        finally:
            await database.close()
    under_test = LedgerUnderTest(name, backend, url)
    await under_test.start()
    try:
        yield under_test
    finally:
        await under_test.stop()
